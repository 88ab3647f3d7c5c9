// rtl/number_string.hpp - the semantics of the number and GUID conversions of wdk/rtl_string.h.
// The exported routines (rtl_string.cpp) check their arguments and call these.
#pragma once

#include <cstddef>
#include <cstdint>

#include <ntdef.h>
#include <ntstatus.h>

namespace wdmlab::rtl {

// Parses characters [text, text + count) as RtlUnicodeStringToInteger documents: leading white
// space (any character up to ' '), an optional sign, a base prefix when base is 0, then digits
// until the first character that is not a digit of the base. The value wraps modulo 2^32.
NTSTATUS parse_integer(const char16_t* text, std::size_t count, ULONG base, ULONG* value);
NTSTATUS parse_integer(const char* text, std::size_t count, ULONG base, ULONG* value);

// Formats value in base (0 means 10) with upper-case digits, as RtlIntegerToChar documents.
// Returns STATUS_INVALID_PARAMETER for another base; otherwise writes the digits to out (which
// holds at least 65 characters) and returns their count in *count.
NTSTATUS format_integer(std::uint64_t value, ULONG base, char* out, std::size_t* count);

NTSTATUS integer_to_char(ULONG value, ULONG base, LONG output_length, PSZ string);
NTSTATUS integer_to_unicode_string(std::uint64_t value, ULONG base, PUNICODE_STRING string);

NTSTATUS guid_to_string(const GUID& guid, PUNICODE_STRING string);
NTSTATUS guid_from_string(PCUNICODE_STRING string, GUID* guid);

}  // namespace wdmlab::rtl
