// rtl/safe_string.hpp - the semantics of the ntstrsafe functions (include/ntstrsafe.h).
//
// Every function of ntstrsafe.h is one of a few operations on a destination and a source:
//   destinations: a character array (counted in characters or in bytes) or a UNICODE_STRING;
//   placement:    Start (Copy, CopyN, Printf) or Append (Cat, CatN);
//   sources:      a null-terminated string read up to a count, a counted array (a UNICODE_STRING's
//                 Length characters) or a format with its arguments;
//   forms:        plain, or Ex (flags, end pointer and remaining space).
// The functions below take those parameters; include/ntstrsafe.h's exported routines only choose
// them. The order of checks and the effect of every flag are the WDK's; where the WDK would
// dereference a NULL pointer (a NULL source or destination without STRSAFE_IGNORE_NULLS), the lab
// returns STATUS_INVALID_PARAMETER, as the documentation lists.
#pragma once

#include <cstdarg>
#include <cstddef>

#include <ntdef.h>
#include <ntstatus.h>
#include <ntstrsafe.h>

namespace wdmlab::rtl::strsafe {

inline constexpr std::size_t kMaxCch = 2147483647;               // NTSTRSAFE_MAX_CCH
inline constexpr std::size_t kMaxLength = kMaxCch - 1;           // NTSTRSAFE_MAX_LENGTH
inline constexpr std::size_t kUnicodeStringMaxCch = 0xffff / 2;  // NTSTRSAFE_UNICODE_STRING_MAX_CCH

// A character-array destination as the caller sized it.
template <class Char>
struct CharArray {
  Char* buffer;
  std::size_t cch;          // whole characters
  std::size_t extra_bytes;  // Cb forms: bytes beyond the last whole character (cbDest % sizeof(Char))
  bool counted_in_bytes;    // Cb forms: sizes in and out are bytes

  std::size_t bytes() const { return cch * sizeof(Char) + extra_bytes; }
};

template <class Char>
CharArray<Char> cch_array(Char* buffer, std::size_t cch) {
  return {buffer, cch, 0, false};
}
template <class Char>
CharArray<Char> cb_array(Char* buffer, std::size_t cb) {
  return {buffer, cb / sizeof(Char), cb % sizeof(Char), true};
}

// What an operation writes. A source that failed validation carries the status it failed with.
template <class Char>
struct Source {
  enum class Kind : unsigned char { String, Counted, Format };
  Kind kind = Kind::String;
  const Char* text = nullptr;    // String/Counted: the characters (null: none given); Format: the format
  std::size_t count = 0;         // String: most characters read; Counted: the characters
  std::va_list* args = nullptr;  // Format: the arguments, consumed by the operation
  NTSTATUS status = STATUS_SUCCESS;
};

// A null-terminated source read up to `count` characters; a count above `max_count` is invalid.
template <class Char>
Source<Char> string_source(const Char* text, std::size_t count, std::size_t max_count) {
  Source<Char> source{Source<Char>::Kind::String, text, count, nullptr, STATUS_SUCCESS};
  if (count > max_count) source.status = STATUS_INVALID_PARAMETER;
  return source;
}
template <class Char>
Source<Char> format_source(const Char* format, std::va_list* args) {
  return {Source<Char>::Kind::Format, format, 0, args, STATUS_SUCCESS};
}
// A UNICODE_STRING's characters, at most `count` of them; a count above `max_count` is invalid.
Source<WCHAR> counted_source(PCUNICODE_STRING string, std::size_t count, std::size_t max_count, DWORD flags);

// A valid UNICODE_STRING (see include/ntstrsafe.h); NULL is valid only with STRSAFE_IGNORE_NULLS.
NTSTATUS validate_unicode_string(PCUNICODE_STRING string, std::size_t max_cch, DWORD flags);

enum class Placement : unsigned char { Start, Append };

// RtlStringCch/Cb{Copy,CopyN,Cat,CatN,VPrintf,Printf}{A,W}, RtlStringCch/CbCopyUnicodeString.
template <class Char>
NTSTATUS array_operation(CharArray<Char> dest, std::size_t max_cch, Placement placement, Source<Char> source);
// The Ex forms. *remaining is in the destination's unit (characters or bytes).
template <class Char>
NTSTATUS array_operation_ex(CharArray<Char> dest, std::size_t max_cch, Placement placement, Source<Char> source,
                            Char** end, std::size_t* remaining, DWORD flags);
// RtlStringCch/CbLength{A,W}, RtlUnalignedStringCch/CbLengthW. *length is in characters.
template <class Char>
NTSTATUS string_length(const Char* string, std::size_t cch_max, std::size_t* length);

// RtlUnicodeString{Copy,CopyString,Cat,CatString,VPrintf,Printf} and their Cch/Cb N forms.
NTSTATUS unicode_string_operation(PUNICODE_STRING dest, Placement placement, Source<WCHAR> source);
// The Ex forms.
NTSTATUS unicode_string_operation_ex(PUNICODE_STRING dest, Placement placement, Source<WCHAR> source,
                                     PUNICODE_STRING remaining, DWORD flags);
// RtlUnicodeStringInit(Ex) (ex selects the flag check) and RtlUnicodeStringValidate(Ex).
NTSTATUS unicode_string_init(PUNICODE_STRING dest, PCWSTR source, DWORD flags, bool ex);
NTSTATUS unicode_string_validate(PCUNICODE_STRING string, DWORD flags, bool ex);

}  // namespace wdmlab::rtl::strsafe
