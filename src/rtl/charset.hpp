// rtl/charset.hpp - the character sets of the runtime library: the ANSI code page, case mapping
// and UTF-8.
//
// ANSI is Windows code page 1252. Its five unassigned bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D) map to
// the C1 control characters with the same value, as Windows maps them, so every byte round-trips;
// a Unicode character the code page lacks becomes '?'. Case mapping is Unicode simple case mapping
// of the Basic Multilingual Plane (see charset.cpp for its source).
#pragma once

#include <cstddef>
#include <cstdint>

namespace wdmlab::rtl::charset {

inline constexpr char16_t kReplacementCharacter = u'\uFFFD';
inline constexpr unsigned char kAnsiDefaultCharacter = '?';

char16_t ansi_to_unicode(unsigned char c);
// '?' when code page 1252 has no such character.
unsigned char unicode_to_ansi(char16_t c);

char16_t upcase(char16_t c);
char16_t downcase(char16_t c);
// The ANSI character's upper case, or the character itself when the upper case is not in the code page.
unsigned char upcase_ansi(unsigned char c);

// UTF-16 -> UTF-8. Converts source[0..units) into out[0..capacity) (out may be null to measure),
// stopping before a character that does not fit. Unpaired surrogates become U+FFFD.
struct Utf8Result {
  std::size_t consumed = 0;  // source units converted
  std::size_t produced = 0;  // output units written (or needed, when out is null)
  bool replaced = false;     // some input was invalid and replaced by U+FFFD
  bool truncated = false;    // the output ran out of space before the input did
};
Utf8Result utf16_to_utf8(const char16_t* source, std::size_t units, char* out, std::size_t capacity);
// UTF-8 -> UTF-16. Invalid or overlong sequences, encoded surrogates and code points above
// U+10FFFF become one U+FFFD per maximal invalid subsequence; a character above U+FFFF becomes a
// surrogate pair, written only if both halves fit.
Utf8Result utf8_to_utf16(const char* source, std::size_t bytes, char16_t* out, std::size_t capacity);

}  // namespace wdmlab::rtl::charset
