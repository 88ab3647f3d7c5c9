#include "rtl/number_string.hpp"

#include <cstring>

#include "rtl/counted_string.hpp"
#include "rtl/string_allocator.hpp"

namespace wdmlab::rtl {

namespace {

bool valid_base(ULONG base) { return base == 2 || base == 8 || base == 10 || base == 16; }

// The digit value of c in any base up to 36, or 36 if c is no digit.
template <class Char>
ULONG digit_value(Char c) {
  if (c >= Char('0') && c <= Char('9')) return static_cast<ULONG>(c - Char('0'));
  if (c >= Char('a') && c <= Char('z')) return static_cast<ULONG>(c - Char('a') + 10);
  if (c >= Char('A') && c <= Char('Z')) return static_cast<ULONG>(c - Char('A') + 10);
  return 36;
}

template <class Char>
NTSTATUS parse(const Char* text, std::size_t count, ULONG base, ULONG* value) {
  std::size_t i = 0;
  while (i < count && text[i] <= Char(' ')) ++i;
  bool negative = false;
  if (i < count && (text[i] == Char('-') || text[i] == Char('+'))) {
    negative = text[i] == Char('-');
    ++i;
  }
  if (base == 0) {
    base = 10;
    if (i + 1 < count && text[i] == Char('0')) {
      if (text[i + 1] == Char('x')) {
        base = 16;
      } else if (text[i + 1] == Char('o')) {
        base = 8;
      } else if (text[i + 1] == Char('b')) {
        base = 2;
      }
      if (base != 10) i += 2;
    }
  } else if (!valid_base(base)) {
    return STATUS_INVALID_PARAMETER;
  }
  ULONG total = 0;
  for (; i < count; ++i) {
    const ULONG digit = digit_value(text[i]);
    if (digit >= base) break;
    total = total * base + digit;
  }
  *value = negative ? 0U - total : total;
  return STATUS_SUCCESS;
}

constexpr char kHexDigits[] = "0123456789ABCDEF";

}  // namespace

NTSTATUS parse_integer(const char16_t* text, std::size_t count, ULONG base, ULONG* value) {
  return parse(text, count, base, value);
}

NTSTATUS parse_integer(const char* text, std::size_t count, ULONG base, ULONG* value) {
  return parse(text, count, base, value);
}

NTSTATUS format_integer(std::uint64_t value, ULONG base, char* out, std::size_t* count) {
  if (base == 0) base = 10;
  if (!valid_base(base)) return STATUS_INVALID_PARAMETER;
  char reversed[64];
  std::size_t n = 0;
  do {
    reversed[n++] = kHexDigits[value % base];
    value /= base;
  } while (value != 0);
  for (std::size_t i = 0; i < n; ++i) out[i] = reversed[n - 1 - i];
  *count = n;
  return STATUS_SUCCESS;
}

NTSTATUS integer_to_char(ULONG value, ULONG base, LONG output_length, PSZ string) {
  char digits[65];
  std::size_t count = 0;
  const NTSTATUS status = format_integer(value, base, digits, &count);
  if (!NT_SUCCESS(status)) return status;
  if (output_length < 0 || count > static_cast<std::size_t>(output_length)) return STATUS_BUFFER_OVERFLOW;
  std::memcpy(string, digits, count);
  if (count < static_cast<std::size_t>(output_length)) string[count] = '\0';
  return STATUS_SUCCESS;
}

NTSTATUS integer_to_unicode_string(std::uint64_t value, ULONG base, PUNICODE_STRING string) {
  char digits[65];
  std::size_t count = 0;
  const NTSTATUS status = format_integer(value, base, digits, &count);
  if (!NT_SUCCESS(status)) return status;
  // The result is null-terminated, so the terminator must fit as well.
  if (count * sizeof(WCHAR) >= string->MaximumLength) return STATUS_BUFFER_OVERFLOW;
  for (std::size_t i = 0; i < count; ++i) string->Buffer[i] = static_cast<WCHAR>(digits[i]);
  string->Buffer[count] = WCHAR(0);
  string->Length = static_cast<USHORT>(count * sizeof(WCHAR));
  return STATUS_SUCCESS;
}

NTSTATUS guid_to_string(const GUID& guid, PUNICODE_STRING string) {
  constexpr std::size_t kCharacters = 38;  // {8-4-4-4-12}
  char text[kCharacters + 1];
  std::size_t n = 0;
  auto put_hex = [&](std::uint64_t value, int digits) {
    for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) text[n++] = kHexDigits[(value >> shift) & 0xF];
  };
  text[n++] = '{';
  put_hex(guid.Data1, 8);
  text[n++] = '-';
  put_hex(guid.Data2, 4);
  text[n++] = '-';
  put_hex(guid.Data3, 4);
  text[n++] = '-';
  put_hex(guid.Data4[0], 2);
  put_hex(guid.Data4[1], 2);
  text[n++] = '-';
  for (int i = 2; i < 8; ++i) put_hex(guid.Data4[i], 2);
  text[n++] = '}';

  auto* buffer = static_cast<PWCH>(string_allocator().allocate((kCharacters + 1) * sizeof(WCHAR)));
  if (buffer == nullptr) return STATUS_NO_MEMORY;
  for (std::size_t i = 0; i < kCharacters; ++i) buffer[i] = static_cast<WCHAR>(text[i]);
  buffer[kCharacters] = WCHAR(0);
  string->Buffer = buffer;
  string->Length = static_cast<USHORT>(kCharacters * sizeof(WCHAR));
  string->MaximumLength = static_cast<USHORT>((kCharacters + 1) * sizeof(WCHAR));
  return STATUS_SUCCESS;
}

NTSTATUS guid_from_string(PCUNICODE_STRING string, GUID* guid) {
  constexpr char kPattern[] = "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}";
  constexpr std::size_t kCharacters = sizeof(kPattern) - 1;
  if (string->Buffer == nullptr || string->Length != kCharacters * sizeof(WCHAR)) return STATUS_INVALID_PARAMETER;
  std::uint8_t nibbles[32];
  std::size_t n = 0;
  for (std::size_t i = 0; i < kCharacters; ++i) {
    const WCHAR c = string->Buffer[i];
    if (kPattern[i] == 'x') {
      const ULONG digit = digit_value(c);
      if (digit >= 16) return STATUS_INVALID_PARAMETER;
      nibbles[n++] = static_cast<std::uint8_t>(digit);
    } else if (c != static_cast<WCHAR>(kPattern[i])) {
      return STATUS_INVALID_PARAMETER;
    }
  }
  auto take = [&](std::size_t first, std::size_t digits) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < digits; ++i) value = (value << 4) | nibbles[first + i];
    return value;
  };
  guid->Data1 = static_cast<unsigned int>(take(0, 8));
  guid->Data2 = static_cast<unsigned short>(take(8, 4));
  guid->Data3 = static_cast<unsigned short>(take(12, 4));
  for (std::size_t i = 0; i < 8; ++i) guid->Data4[i] = static_cast<unsigned char>(take(16 + 2 * i, 2));
  return STATUS_SUCCESS;
}

}  // namespace wdmlab::rtl
