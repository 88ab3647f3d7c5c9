#include "rtl/safe_string.hpp"

#include <algorithm>
#include <cstring>

#include "rtl/format.hpp"

namespace wdmlab::rtl::strsafe {

namespace {

template <class Char>
constexpr Char kEmptyString[1] = {};

unsigned char fill_byte(DWORD flags) { return static_cast<unsigned char>(flags & 0xFF); }

// Applies STRSAFE_IGNORE_NULLS to a source and reports a source that cannot be used.
template <class Char>
NTSTATUS resolve(Source<Char>& source, DWORD flags) {
  if (!NT_SUCCESS(source.status)) return source.status;
  if (source.text == nullptr) {
    if (source.kind == Source<Char>::Kind::Counted && source.count == 0) {
      source.text = kEmptyString<Char>;
      return STATUS_SUCCESS;
    }
    if ((flags & STRSAFE_IGNORE_NULLS) == 0) return STATUS_INVALID_PARAMETER;
    source.text = kEmptyString<Char>;
    source.count = 0;
  }
  return STATUS_SUCCESS;
}

// Whether the source would write anything (an empty source fits even a full destination).
template <class Char>
bool has_content(const Source<Char>& source) {
  switch (source.kind) {
    case Source<Char>::Kind::String:
      return source.count != 0 && source.text[0] != Char(0);
    case Source<Char>::Kind::Counted:
      return source.count != 0;
    case Source<Char>::Kind::Format:
      return source.text[0] != Char(0);
  }
  return false;
}

FormatResult format_into(char* out, std::size_t capacity, const char* format, std::va_list* args) {
  return format_narrow(out, capacity, format, *args, FormatDialect::SafeString);
}
FormatResult format_into(WCHAR* out, std::size_t capacity, const WCHAR* format, std::va_list* args) {
  return format_wide(out, capacity, format, *args, FormatDialect::SafeString);
}

// Writes the source into out[0..avail) and a terminator after it; avail >= 1. A result that does
// not fit is truncated to avail - 1 characters.
template <class Char>
NTSTATUS write_terminated(const Source<Char>& source, Char* out, std::size_t avail, std::size_t* written) {
  std::size_t n = 0;
  NTSTATUS status = STATUS_SUCCESS;
  if (source.kind == Source<Char>::Kind::Format) {
    const FormatResult result = format_into(out, avail - 1, source.text, source.args);
    if (!result.valid) {
      out[0] = Char(0);
      *written = 0;
      return STATUS_INVALID_PARAMETER;
    }
    n = std::min(result.length, avail - 1);
    if (result.length > avail - 1) status = STATUS_BUFFER_OVERFLOW;
  } else {
    const bool stop_at_null = source.kind == Source<Char>::Kind::String;
    while (n < avail && n < source.count && !(stop_at_null && source.text[n] == Char(0))) {
      out[n] = source.text[n];
      ++n;
    }
    if (n == avail) {
      --n;
      status = STATUS_BUFFER_OVERFLOW;
    }
  }
  out[n] = Char(0);
  *written = n;
  return status;
}

// Writes the source into out[0..avail) without a terminator (UNICODE_STRING destinations).
NTSTATUS write_unterminated(const Source<WCHAR>& source, WCHAR* out, std::size_t avail, std::size_t* written) {
  std::size_t n = 0;
  NTSTATUS status = STATUS_SUCCESS;
  switch (source.kind) {
    case Source<WCHAR>::Kind::Format: {
      const FormatResult result = format_into(out, avail, source.text, source.args);
      if (!result.valid) {
        *written = 0;
        return STATUS_INVALID_PARAMETER;
      }
      n = std::min(result.length, avail);
      if (result.length > avail) status = STATUS_BUFFER_OVERFLOW;
      break;
    }
    case Source<WCHAR>::Kind::String:
      while (n < avail && n < source.count && source.text[n] != WCHAR(0)) {
        out[n] = source.text[n];
        ++n;
      }
      if (n == avail && n < source.count && source.text[n] != WCHAR(0)) status = STATUS_BUFFER_OVERFLOW;
      break;
    case Source<WCHAR>::Kind::Counted:
      n = std::min(avail, source.count);
      std::copy_n(source.text, n, out);
      if (source.count > avail) status = STATUS_BUFFER_OVERFLOW;
      break;
  }
  *written = n;
  return status;
}

// The length of the null-terminated string in buffer[0..cch), or false if there is no terminator.
template <class Char>
bool terminated_length(const Char* buffer, std::size_t cch, std::size_t* length) {
  for (std::size_t i = 0; i < cch; ++i) {
    if (buffer[i] == Char(0)) {
      *length = i;
      return true;
    }
  }
  *length = 0;
  return false;
}

// STRSAFE_NO_TRUNCATION, STRSAFE_FILL_ON_FAILURE and STRSAFE_NULL_ON_FAILURE, in the WDK's order:
// later flags override what earlier ones chose for the end and the remaining space.
template <class Char>
void apply_failure_flags(const CharArray<Char>& dest, std::size_t original_length, Char** end, std::size_t* remaining,
                         DWORD flags) {
  Char* const buffer = dest.buffer;
  const std::size_t cch = dest.cch;
  if (cch > 0 && (flags & STRSAFE_NO_TRUNCATION) != 0) {
    *end = buffer + original_length;
    *remaining = cch - original_length;
    buffer[original_length] = Char(0);
  }
  if ((flags & STRSAFE_FILL_ON_FAILURE) != 0) {
    std::memset(buffer, fill_byte(flags), dest.bytes());
    if (fill_byte(flags) == 0) {
      *end = buffer;
      *remaining = cch;
    } else if (cch > 0) {
      *end = buffer + cch - 1;
      *remaining = 1;
      buffer[cch - 1] = Char(0);
    }
  }
  if (cch > 0 && (flags & STRSAFE_NULL_ON_FAILURE) != 0) {
    *end = buffer;
    *remaining = cch;
    buffer[0] = Char(0);
  }
}

}  // namespace

Source<WCHAR> counted_source(PCUNICODE_STRING string, std::size_t count, std::size_t max_count, DWORD flags) {
  Source<WCHAR> source{Source<WCHAR>::Kind::Counted, nullptr, 0, nullptr, STATUS_SUCCESS};
  source.status = validate_unicode_string(string, kUnicodeStringMaxCch, flags);
  if (!NT_SUCCESS(source.status)) return source;
  if (count > max_count) {
    source.status = STATUS_INVALID_PARAMETER;
    return source;
  }
  if (string != nullptr) {
    source.text = reinterpret_cast<const WCHAR*>(string->Buffer);
    source.count = std::min<std::size_t>(string->Length / sizeof(WCHAR), count);
  }
  return source;
}

NTSTATUS validate_unicode_string(PCUNICODE_STRING string, std::size_t max_cch, DWORD flags) {
  if (string == nullptr) return (flags & STRSAFE_IGNORE_NULLS) != 0 ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
  if (string->Length % sizeof(WCHAR) != 0 || string->MaximumLength % sizeof(WCHAR) != 0 ||
      string->Length > string->MaximumLength || string->MaximumLength > max_cch * sizeof(WCHAR)) {
    return STATUS_INVALID_PARAMETER;
  }
  if (string->Buffer == nullptr && (string->Length != 0 || string->MaximumLength != 0)) {
    return STATUS_INVALID_PARAMETER;
  }
  return STATUS_SUCCESS;
}

template <class Char>
NTSTATUS array_operation(CharArray<Char> dest, std::size_t max_cch, Placement placement, Source<Char> source) {
  if (dest.buffer == nullptr || dest.cch == 0 || dest.cch > max_cch) {
    if (placement == Placement::Start && dest.buffer != nullptr && dest.cch > 0) dest.buffer[0] = Char(0);
    return STATUS_INVALID_PARAMETER;
  }
  std::size_t start = 0;
  if (placement == Placement::Append && !terminated_length(dest.buffer, dest.cch, &start)) {
    return STATUS_INVALID_PARAMETER;
  }
  const NTSTATUS status = resolve(source, 0);
  if (!NT_SUCCESS(status)) {
    if (placement == Placement::Start) dest.buffer[0] = Char(0);
    return status;
  }
  std::size_t written = 0;
  return write_terminated(source, dest.buffer + start, dest.cch - start, &written);
}

template <class Char>
NTSTATUS array_operation_ex(CharArray<Char> dest, std::size_t max_cch, Placement placement, Source<Char> source,
                            Char** end_out, std::size_t* remaining_out, DWORD flags) {
  Char* const buffer = dest.buffer;
  const std::size_t cch = dest.cch;
  const bool dest_valid = (flags & STRSAFE_IGNORE_NULLS) != 0 ? !((buffer == nullptr && cch != 0) || cch > max_cch)
                                                              : !(buffer == nullptr || cch == 0 || cch > max_cch);
  if (!dest_valid) {
    if (placement == Placement::Start && buffer != nullptr && cch > 0) buffer[0] = Char(0);
    return STATUS_INVALID_PARAMETER;
  }
  std::size_t start = 0;
  if (placement == Placement::Append && cch != 0 && !terminated_length(buffer, cch, &start)) {
    return STATUS_INVALID_PARAMETER;
  }

  Char* end = buffer + start;
  std::size_t remaining = cch - start;
  NTSTATUS status = resolve(source, flags);
  if (NT_SUCCESS(status) && (flags & ~static_cast<DWORD>(STRSAFE_VALID_FLAGS)) != 0) {
    status = STATUS_INVALID_PARAMETER;
  }
  if (!NT_SUCCESS(status)) {
    if (placement == Placement::Start && cch != 0) buffer[0] = Char(0);
  } else if (placement == Placement::Start ? remaining == 0 : remaining <= 1) {
    if (has_content(source)) status = buffer == nullptr ? STATUS_INVALID_PARAMETER : STATUS_BUFFER_OVERFLOW;
  } else {
    std::size_t written = 0;
    status = write_terminated(source, end, remaining, &written);
    end += written;
    remaining -= written;
    if (NT_SUCCESS(status) && (flags & STRSAFE_FILL_BEHIND_NULL) != 0) {
      // Everything after the terminator, including a Cb destination's odd last byte.
      const std::size_t fill = remaining * sizeof(Char) + dest.extra_bytes - sizeof(Char);
      if (fill != 0) std::memset(reinterpret_cast<unsigned char*>(end + 1), fill_byte(flags), fill);
    }
  }

  if (!NT_SUCCESS(status) && buffer != nullptr && dest.bytes() != 0 &&
      (flags & (STRSAFE_NO_TRUNCATION | STRSAFE_FILL_ON_FAILURE | STRSAFE_NULL_ON_FAILURE)) != 0) {
    apply_failure_flags(dest, start, &end, &remaining, flags);
  }
  if (status == STATUS_SUCCESS || status == STATUS_BUFFER_OVERFLOW) {
    if (end_out != nullptr) *end_out = end;
    if (remaining_out != nullptr) {
      *remaining_out = dest.counted_in_bytes ? remaining * sizeof(Char) + dest.extra_bytes : remaining;
    }
  }
  return status;
}

template <class Char>
NTSTATUS string_length(const Char* string, std::size_t cch_max, std::size_t* length) {
  std::size_t found = 0;
  const bool ok = string != nullptr && cch_max <= kMaxCch && terminated_length(string, cch_max, &found);
  if (length != nullptr) *length = ok ? found : 0;
  return ok ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}

NTSTATUS unicode_string_operation(PUNICODE_STRING dest, Placement placement, Source<WCHAR> source) {
  NTSTATUS status = validate_unicode_string(dest, kUnicodeStringMaxCch, 0);
  if (!NT_SUCCESS(status)) return status;
  auto* const buffer = reinterpret_cast<WCHAR*>(dest->Buffer);
  const std::size_t cch = dest->MaximumLength / sizeof(WCHAR);
  const std::size_t start = placement == Placement::Append ? dest->Length / sizeof(WCHAR) : 0;
  std::size_t written = 0;
  status = resolve(source, 0);
  if (NT_SUCCESS(status)) status = write_unterminated(source, buffer + start, cch - start, &written);
  dest->Length = static_cast<USHORT>((start + written) * sizeof(WCHAR));
  return status;
}

NTSTATUS unicode_string_operation_ex(PUNICODE_STRING dest, Placement placement, Source<WCHAR> source,
                                     PUNICODE_STRING remaining_string, DWORD flags) {
  NTSTATUS status = validate_unicode_string(dest, kUnicodeStringMaxCch, flags);
  if (!NT_SUCCESS(status)) return status;
  WCHAR* const buffer = dest != nullptr ? reinterpret_cast<WCHAR*>(dest->Buffer) : nullptr;
  const std::size_t cch = dest != nullptr ? dest->MaximumLength / sizeof(WCHAR) : 0;
  const std::size_t start = dest != nullptr && placement == Placement::Append ? dest->Length / sizeof(WCHAR) : 0;

  WCHAR* end = buffer + start;
  std::size_t remaining = cch - start;
  std::size_t new_length = start;
  status = resolve(source, flags);
  if (NT_SUCCESS(status)) {
    if ((flags & ~static_cast<DWORD>(STRSAFE_UNICODE_STRING_VALID_FLAGS)) != 0) {
      status = STATUS_INVALID_PARAMETER;
    } else if (remaining == 0) {
      if (has_content(source)) status = buffer == nullptr ? STATUS_INVALID_PARAMETER : STATUS_BUFFER_OVERFLOW;
    } else {
      std::size_t written = 0;
      status = write_unterminated(source, end, remaining, &written);
      end += written;
      remaining -= written;
      new_length = start + written;
      if (NT_SUCCESS(status) && (flags & STRSAFE_FILL_BEHIND) != 0 && remaining != 0) {
        std::memset(reinterpret_cast<unsigned char*>(end), fill_byte(flags), remaining * sizeof(WCHAR));
      }
    }
  }

  if (!NT_SUCCESS(status) && cch != 0 &&
      (flags & (STRSAFE_NO_TRUNCATION | STRSAFE_FILL_ON_FAILURE | STRSAFE_ZERO_LENGTH_ON_FAILURE)) != 0) {
    if ((flags & STRSAFE_NO_TRUNCATION) != 0) {
      end = buffer + start;
      remaining = cch - start;
      new_length = start;
    }
    if ((flags & STRSAFE_FILL_ON_FAILURE) != 0) {
      std::memset(reinterpret_cast<unsigned char*>(buffer), fill_byte(flags), cch * sizeof(WCHAR));
      end = buffer;
      remaining = cch;
      new_length = 0;
    }
    if ((flags & STRSAFE_ZERO_LENGTH_ON_FAILURE) != 0) {
      end = buffer;
      remaining = cch;
      new_length = 0;
    }
  }
  if (dest != nullptr) dest->Length = static_cast<USHORT>(new_length * sizeof(WCHAR));
  if ((status == STATUS_SUCCESS || status == STATUS_BUFFER_OVERFLOW) && remaining_string != nullptr) {
    remaining_string->Length = 0;
    remaining_string->MaximumLength = static_cast<USHORT>(remaining * sizeof(WCHAR));
    remaining_string->Buffer = reinterpret_cast<PWCH>(end);
  }
  return status;
}

NTSTATUS unicode_string_init(PUNICODE_STRING dest, PCWSTR source, DWORD flags, bool ex) {
  NTSTATUS status = STATUS_SUCCESS;
  if (ex && (flags & ~static_cast<DWORD>(STRSAFE_UNICODE_STRING_VALID_FLAGS)) != 0) {
    status = STATUS_INVALID_PARAMETER;
  } else if (dest == nullptr && (flags & STRSAFE_IGNORE_NULLS) == 0) {
    status = STATUS_INVALID_PARAMETER;
  } else {
    if (dest != nullptr) *dest = UNICODE_STRING{0, 0, nullptr};
    if (source != nullptr) {
      std::size_t length = 0;
      if (!terminated_length(source, kUnicodeStringMaxCch, &length) || dest == nullptr) {
        status = STATUS_INVALID_PARAMETER;
      } else {
        dest->Length = static_cast<USHORT>(length * sizeof(WCHAR));
        dest->MaximumLength = static_cast<USHORT>((length + 1) * sizeof(WCHAR));
        dest->Buffer = const_cast<PWCH>(source);
      }
    }
  }
  if (!NT_SUCCESS(status) && dest != nullptr) *dest = UNICODE_STRING{0, 0, nullptr};
  return status;
}

NTSTATUS unicode_string_validate(PCUNICODE_STRING string, DWORD flags, bool ex) {
  if (ex && (flags & ~static_cast<DWORD>(STRSAFE_UNICODE_STRING_VALID_FLAGS)) != 0) return STATUS_INVALID_PARAMETER;
  return validate_unicode_string(string, kUnicodeStringMaxCch, flags);
}

template NTSTATUS array_operation<char>(CharArray<char>, std::size_t, Placement, Source<char>);
template NTSTATUS array_operation<WCHAR>(CharArray<WCHAR>, std::size_t, Placement, Source<WCHAR>);
template NTSTATUS array_operation_ex<char>(CharArray<char>, std::size_t, Placement, Source<char>, char**, std::size_t*,
                                           DWORD);
template NTSTATUS array_operation_ex<WCHAR>(CharArray<WCHAR>, std::size_t, Placement, Source<WCHAR>, WCHAR**,
                                            std::size_t*, DWORD);
template NTSTATUS string_length<char>(const char*, std::size_t, std::size_t*);
template NTSTATUS string_length<WCHAR>(const WCHAR*, std::size_t, std::size_t*);

}  // namespace wdmlab::rtl::strsafe
