#include "rtl/counted_string.hpp"

#include <algorithm>
#include <cstring>

#include "rtl/charset.hpp"
#include "rtl/string_allocator.hpp"

namespace wdmlab::rtl {

namespace {

// Pool allocations of zero bytes still return a block; so does this.
void* allocate_string_buffer(std::size_t bytes) { return string_allocator().allocate(bytes == 0 ? 1 : bytes); }

WCHAR fold(WCHAR c, bool case_insensitive) {
  return case_insensitive ? static_cast<WCHAR>(charset::upcase(static_cast<char16_t>(c))) : c;
}
unsigned char fold_ansi(char c, bool case_insensitive) {
  const auto u = static_cast<unsigned char>(c);
  return case_insensitive ? charset::upcase_ansi(u) : u;
}

}  // namespace

std::size_t wide_length(const WCHAR* string) {
  std::size_t n = 0;
  while (string[n] != WCHAR(0)) ++n;
  return n;
}

void init_unicode_string(PUNICODE_STRING destination, PCWSTR source) {
  destination->Buffer = const_cast<PWCH>(source);
  if (source == nullptr) {
    destination->Length = 0;
    destination->MaximumLength = 0;
    return;
  }
  const std::size_t bytes = wide_length(source) * sizeof(WCHAR);
  if (bytes > kMaxUnicodeStringLength) {
    // As documented: the lengths then misdescribe the string.
    destination->Length = static_cast<USHORT>(kMaxUnicodeStringLength);
    destination->MaximumLength = static_cast<USHORT>(kMaxUnicodeStringLength + sizeof(WCHAR));
  } else {
    destination->Length = static_cast<USHORT>(bytes);
    destination->MaximumLength = static_cast<USHORT>(bytes + sizeof(WCHAR));
  }
}

NTSTATUS init_unicode_string_ex(PUNICODE_STRING destination, PCWSTR source) {
  if (source != nullptr && wide_length(source) * sizeof(WCHAR) > kMaxUnicodeStringLength) {
    return STATUS_NAME_TOO_LONG;
  }
  init_unicode_string(destination, source);
  return STATUS_SUCCESS;
}

void init_ansi_string(PSTRING destination, PCSZ source) {
  destination->Buffer = const_cast<PCHAR>(source);
  if (source == nullptr) {
    destination->Length = 0;
    destination->MaximumLength = 0;
    return;
  }
  const std::size_t bytes = std::strlen(source);
  if (bytes > kMaxAnsiStringLength) {
    destination->Length = static_cast<USHORT>(kMaxAnsiStringLength);
    destination->MaximumLength = static_cast<USHORT>(kMaxAnsiStringLength + 1);
  } else {
    destination->Length = static_cast<USHORT>(bytes);
    destination->MaximumLength = static_cast<USHORT>(bytes + 1);
  }
}

NTSTATUS init_ansi_string_ex(PSTRING destination, PCSZ source) {
  if (source != nullptr && std::strlen(source) > kMaxAnsiStringLength) return STATUS_NAME_TOO_LONG;
  init_ansi_string(destination, source);
  return STATUS_SUCCESS;
}

void copy_unicode_string(PUNICODE_STRING destination, PCUNICODE_STRING source) {
  if (source == nullptr) {
    destination->Length = 0;
    return;
  }
  const USHORT bytes = std::min(source->Length, destination->MaximumLength);
  std::memmove(destination->Buffer, source->Buffer, bytes);
  destination->Length = bytes;
  if (bytes + sizeof(WCHAR) <= destination->MaximumLength) destination->Buffer[bytes / sizeof(WCHAR)] = WCHAR(0);
}

void copy_ansi_string(PSTRING destination, const STRING* source) {
  if (source == nullptr) {
    destination->Length = 0;
    return;
  }
  const USHORT bytes = std::min(source->Length, destination->MaximumLength);
  std::memmove(destination->Buffer, source->Buffer, bytes);
  destination->Length = bytes;
  if (bytes < destination->MaximumLength) destination->Buffer[bytes] = '\0';
}

NTSTATUS append_to_unicode_string(PUNICODE_STRING destination, const WCHAR* source, std::size_t source_bytes) {
  if (source_bytes == 0) return STATUS_SUCCESS;
  const std::size_t total = destination->Length + source_bytes;
  if (total > destination->MaximumLength) return STATUS_BUFFER_TOO_SMALL;
  std::memmove(reinterpret_cast<unsigned char*>(destination->Buffer) + destination->Length, source, source_bytes);
  destination->Length = static_cast<USHORT>(total);
  if (total + sizeof(WCHAR) <= destination->MaximumLength) destination->Buffer[total / sizeof(WCHAR)] = WCHAR(0);
  return STATUS_SUCCESS;
}

LONG compare_unicode_strings(PCUNICODE_STRING string1, PCUNICODE_STRING string2, bool case_insensitive) {
  const std::size_t n = std::min(string1->Length, string2->Length) / sizeof(WCHAR);
  for (std::size_t i = 0; i < n; ++i) {
    const WCHAR c1 = fold(string1->Buffer[i], case_insensitive);
    const WCHAR c2 = fold(string2->Buffer[i], case_insensitive);
    if (c1 != c2) return static_cast<LONG>(c1) - static_cast<LONG>(c2);
  }
  return static_cast<LONG>(string1->Length) - static_cast<LONG>(string2->Length);
}

LONG compare_ansi_strings(const STRING* string1, const STRING* string2, bool case_insensitive) {
  const std::size_t n = std::min(string1->Length, string2->Length);
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char c1 = fold_ansi(string1->Buffer[i], case_insensitive);
    const unsigned char c2 = fold_ansi(string2->Buffer[i], case_insensitive);
    if (c1 != c2) return static_cast<LONG>(c1) - static_cast<LONG>(c2);
  }
  return static_cast<LONG>(string1->Length) - static_cast<LONG>(string2->Length);
}

bool equal_unicode_strings(PCUNICODE_STRING string1, PCUNICODE_STRING string2, bool case_insensitive) {
  return string1->Length == string2->Length && compare_unicode_strings(string1, string2, case_insensitive) == 0;
}

bool equal_ansi_strings(const STRING* string1, const STRING* string2, bool case_insensitive) {
  return string1->Length == string2->Length && compare_ansi_strings(string1, string2, case_insensitive) == 0;
}

bool unicode_string_has_prefix(PCUNICODE_STRING prefix, PCUNICODE_STRING string, bool case_insensitive) {
  if (prefix->Length > string->Length) return false;
  for (std::size_t i = 0; i < prefix->Length / sizeof(WCHAR); ++i) {
    if (fold(prefix->Buffer[i], case_insensitive) != fold(string->Buffer[i], case_insensitive)) return false;
  }
  return true;
}

NTSTATUS change_unicode_string_case(PUNICODE_STRING destination, PCUNICODE_STRING source, bool allocate,
                                    bool to_upper) {
  const USHORT bytes = source->Length;
  const PWCH from = source->Buffer;
  if (allocate) {
    auto* buffer = static_cast<PWCH>(allocate_string_buffer(bytes));
    if (buffer == nullptr) return STATUS_NO_MEMORY;
    destination->Buffer = buffer;
    destination->MaximumLength = bytes;
  } else if (bytes > destination->MaximumLength) {
    return STATUS_BUFFER_OVERFLOW;
  }
  for (std::size_t i = 0; i < bytes / sizeof(WCHAR); ++i) {
    const auto c = static_cast<char16_t>(from[i]);
    destination->Buffer[i] = static_cast<WCHAR>(to_upper ? charset::upcase(c) : charset::downcase(c));
  }
  destination->Length = bytes;
  return STATUS_SUCCESS;
}

void upcase_ansi_string(PSTRING destination, const STRING* source) {
  const USHORT bytes = std::min(source->Length, destination->MaximumLength);
  for (std::size_t i = 0; i < bytes; ++i) {
    destination->Buffer[i] = static_cast<CHAR>(charset::upcase_ansi(static_cast<unsigned char>(source->Buffer[i])));
  }
  destination->Length = bytes;
}

ULONG unicode_string_ansi_size(PCUNICODE_STRING string) {
  return static_cast<ULONG>(string->Length / sizeof(WCHAR) + 1);
}

ULONG ansi_string_unicode_size(PCANSI_STRING string) {
  return static_cast<ULONG>((string->Length + 1) * sizeof(WCHAR));
}

NTSTATUS ansi_to_unicode_string(PUNICODE_STRING destination, PCANSI_STRING source, bool allocate) {
  const ULONG size = ansi_string_unicode_size(source);
  if (size > MAXUSHORT) return STATUS_INVALID_PARAMETER_2;
  const auto length = static_cast<USHORT>(size - sizeof(WCHAR));
  if (allocate) {
    auto* buffer = static_cast<PWCH>(allocate_string_buffer(size));
    if (buffer == nullptr) return STATUS_NO_MEMORY;
    destination->Buffer = buffer;
    destination->MaximumLength = static_cast<USHORT>(size);
  } else if (length >= destination->MaximumLength) {
    return STATUS_BUFFER_OVERFLOW;
  }
  for (std::size_t i = 0; i < source->Length; ++i) {
    destination->Buffer[i] =
        static_cast<WCHAR>(charset::ansi_to_unicode(static_cast<unsigned char>(source->Buffer[i])));
  }
  destination->Buffer[source->Length] = WCHAR(0);
  destination->Length = length;
  return STATUS_SUCCESS;
}

NTSTATUS unicode_to_ansi_string(PANSI_STRING destination, PCUNICODE_STRING source, bool allocate) {
  const ULONG size = unicode_string_ansi_size(source);
  if (size > MAXUSHORT) return STATUS_INVALID_PARAMETER_2;
  auto length = static_cast<USHORT>(size - 1);
  NTSTATUS status = STATUS_SUCCESS;
  if (allocate) {
    auto* buffer = static_cast<PCHAR>(allocate_string_buffer(size));
    if (buffer == nullptr) return STATUS_NO_MEMORY;
    destination->Buffer = buffer;
    destination->MaximumLength = static_cast<USHORT>(size);
  } else if (length >= destination->MaximumLength) {
    // Windows converts what fits, terminates it, and reports the truncation.
    if (destination->MaximumLength == 0) return STATUS_BUFFER_OVERFLOW;
    length = static_cast<USHORT>(destination->MaximumLength - 1);
    status = STATUS_BUFFER_OVERFLOW;
  }
  for (std::size_t i = 0; i < length; ++i) {
    destination->Buffer[i] = static_cast<CHAR>(charset::unicode_to_ansi(static_cast<char16_t>(source->Buffer[i])));
  }
  destination->Buffer[length] = '\0';
  destination->Length = length;
  return status;
}

NTSTATUS multibyte_to_unicode(PWCH destination, ULONG destination_bytes, PULONG written_bytes, const CHAR* source,
                              ULONG source_bytes) {
  const ULONG n = std::min<ULONG>(destination_bytes / sizeof(WCHAR), source_bytes);
  for (ULONG i = 0; i < n; ++i) {
    destination[i] = static_cast<WCHAR>(charset::ansi_to_unicode(static_cast<unsigned char>(source[i])));
  }
  if (written_bytes != nullptr) *written_bytes = n * sizeof(WCHAR);
  return STATUS_SUCCESS;
}

NTSTATUS unicode_to_multibyte(PCHAR destination, ULONG destination_bytes, PULONG written_bytes, PCWCH source,
                              ULONG source_bytes) {
  const ULONG n = std::min<ULONG>(destination_bytes, source_bytes / sizeof(WCHAR));
  for (ULONG i = 0; i < n; ++i) {
    destination[i] = static_cast<CHAR>(charset::unicode_to_ansi(static_cast<char16_t>(source[i])));
  }
  if (written_bytes != nullptr) *written_bytes = n;
  return STATUS_SUCCESS;
}

NTSTATUS unicode_to_utf8(PCHAR destination, ULONG destination_bytes, PULONG written_bytes, PCWCH source,
                         ULONG source_bytes) {
  const charset::Utf8Result result =
      charset::utf16_to_utf8(reinterpret_cast<const char16_t*>(source), source_bytes / sizeof(WCHAR), destination,
                             destination == nullptr ? 0 : destination_bytes);
  if (written_bytes != nullptr) *written_bytes = static_cast<ULONG>(result.produced);
  if (result.truncated) return STATUS_BUFFER_TOO_SMALL;
  return result.replaced ? STATUS_SOME_NOT_MAPPED : STATUS_SUCCESS;
}

NTSTATUS utf8_to_unicode(PWSTR destination, ULONG destination_bytes, PULONG written_bytes, PCCH source,
                         ULONG source_bytes) {
  const charset::Utf8Result result =
      charset::utf8_to_utf16(source, source_bytes, reinterpret_cast<char16_t*>(destination),
                             destination == nullptr ? 0 : destination_bytes / sizeof(WCHAR));
  if (written_bytes != nullptr) *written_bytes = static_cast<ULONG>(result.produced * sizeof(WCHAR));
  if (result.truncated) return STATUS_BUFFER_TOO_SMALL;
  return result.replaced ? STATUS_SOME_NOT_MAPPED : STATUS_SUCCESS;
}

void free_counted_string_buffer(void* buffer) {
  if (buffer != nullptr) string_allocator().free(buffer);
}

bool create_unicode_string(PUNICODE_STRING destination, PCWSTR source) {
  const std::size_t size = (wide_length(source) + 1) * sizeof(WCHAR);
  if (size > UNICODE_STRING_MAX_BYTES) return false;
  auto* buffer = static_cast<PWCH>(allocate_string_buffer(size));
  if (buffer == nullptr) return false;
  std::memcpy(buffer, source, size);
  destination->Buffer = buffer;
  destination->Length = static_cast<USHORT>(size - sizeof(WCHAR));
  destination->MaximumLength = static_cast<USHORT>(size);
  return true;
}

NTSTATUS duplicate_unicode_string(ULONG flags, PCUNICODE_STRING source, PUNICODE_STRING destination) {
  constexpr ULONG kNullTerminate = 1;       // RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE
  constexpr ULONG kAllocateNullString = 2;  // RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING
  if (source->Length > source->MaximumLength ||
      (source->Length == 0 && source->MaximumLength > 0 && source->Buffer == nullptr) || flags == kAllocateNullString ||
      flags > (kNullTerminate | kAllocateNullString)) {
    return STATUS_INVALID_PARAMETER;
  }
  if (source->Length == 0 && flags != (kNullTerminate | kAllocateNullString)) {
    *destination = UNICODE_STRING{0, 0, nullptr};
    return STATUS_SUCCESS;
  }
  const std::size_t size = source->Length + ((flags & kNullTerminate) != 0 ? sizeof(WCHAR) : 0);
  if (size > MAXUSHORT) return STATUS_NAME_TOO_LONG;
  auto* buffer = static_cast<PWCH>(allocate_string_buffer(size));
  if (buffer == nullptr) return STATUS_NO_MEMORY;
  std::memcpy(buffer, source->Buffer, source->Length);
  if ((flags & kNullTerminate) != 0) buffer[source->Length / sizeof(WCHAR)] = WCHAR(0);
  destination->Buffer = buffer;
  destination->Length = source->Length;
  destination->MaximumLength = static_cast<USHORT>(size);
  return STATUS_SUCCESS;
}

NTSTATUS hash_unicode_string(PCUNICODE_STRING string, bool case_insensitive, ULONG algorithm, ULONG* hash) {
  constexpr ULONG kDefault = 0;  // HASH_STRING_ALGORITHM_DEFAULT: x65599, as documented
  constexpr ULONG kX65599 = 1;   // HASH_STRING_ALGORITHM_X65599
  if (algorithm != kDefault && algorithm != kX65599) return STATUS_INVALID_PARAMETER;
  ULONG value = 0;
  for (std::size_t i = 0; i < string->Length / sizeof(WCHAR); ++i) {
    value = value * 65599 + fold(string->Buffer[i], case_insensitive);
  }
  *hash = value;
  return STATUS_SUCCESS;
}

}  // namespace wdmlab::rtl
