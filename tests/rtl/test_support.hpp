// Helpers shared by the rtl tests: character-width-generic access to the A/W routines, and
// construction of counted strings. Lab test code sees WCHAR as char16_t.
#pragma once

#include <cstdarg>
#include <cstring>
#include <string>

#include <ntdef.h>
#include <ntstatus.h>
#include <ntstrsafe.h>
#include <wdk/rtl.h>
#include <wdk/rtl_string.h>

namespace wdmlab::rtl::test {

// An ASCII literal in the character type of a test.
template <class Char>
std::basic_string<Char> text(const char* ascii) {
  std::basic_string<Char> s;
  for (const char* p = ascii; *p != '\0'; ++p) s.push_back(static_cast<Char>(static_cast<unsigned char>(*p)));
  return s;
}

// A destination buffer pre-filled with a marker so that untouched characters are visible.
template <class Char, std::size_t N>
struct Buffer {
  static constexpr Char kMarker = Char('X');
  Char data[N];
  Buffer() { fill(kMarker); }
  void fill(Char c) {
    for (auto& d : data) d = c;
  }
  void set(const char* ascii) {
    fill(kMarker);
    const auto s = text<Char>(ascii);
    for (std::size_t i = 0; i < s.size(); ++i) data[i] = s[i];
    data[s.size()] = Char(0);
  }
  // The null-terminated string at the start (the whole buffer if there is no terminator).
  std::basic_string<Char> str() const {
    std::size_t n = 0;
    while (n < N && data[n] != Char(0)) ++n;
    return std::basic_string<Char>(data, n);
  }
  const unsigned char* bytes() const { return reinterpret_cast<const unsigned char*>(data); }
};

inline UNICODE_STRING counted(WCHAR* buffer, USHORT length_bytes, USHORT maximum_bytes) {
  return UNICODE_STRING{length_bytes, maximum_bytes, buffer};
}
inline UNICODE_STRING counted(const WCHAR* buffer) {
  std::size_t n = 0;
  while (buffer[n] != 0) ++n;
  return UNICODE_STRING{static_cast<USHORT>(n * 2), static_cast<USHORT>(n * 2), const_cast<WCHAR*>(buffer)};
}
inline std::u16string contents(const UNICODE_STRING& s) {
  return s.Buffer == nullptr ? std::u16string() : std::u16string(s.Buffer, s.Length / sizeof(WCHAR));
}
inline std::string contents(const ANSI_STRING& s) {
  return s.Buffer == nullptr ? std::string() : std::string(s.Buffer, s.Length);
}

// The A and W forms of the character-array ntstrsafe routines, selected by character type.
template <class Char>
struct StrSafe;

#define WDMLAB_STRSAFE_FORMS(Char, S)                              \
  template <>                                                      \
  struct StrSafe<Char> {                                           \
    static constexpr auto CchCopy = RtlStringCchCopy##S;           \
    static constexpr auto CbCopy = RtlStringCbCopy##S;             \
    static constexpr auto CchCopyEx = RtlStringCchCopyEx##S;       \
    static constexpr auto CbCopyEx = RtlStringCbCopyEx##S;         \
    static constexpr auto CchCopyN = RtlStringCchCopyN##S;         \
    static constexpr auto CbCopyN = RtlStringCbCopyN##S;           \
    static constexpr auto CchCopyNEx = RtlStringCchCopyNEx##S;     \
    static constexpr auto CbCopyNEx = RtlStringCbCopyNEx##S;       \
    static constexpr auto CchCat = RtlStringCchCat##S;             \
    static constexpr auto CbCat = RtlStringCbCat##S;               \
    static constexpr auto CchCatEx = RtlStringCchCatEx##S;         \
    static constexpr auto CbCatEx = RtlStringCbCatEx##S;           \
    static constexpr auto CchCatN = RtlStringCchCatN##S;           \
    static constexpr auto CbCatN = RtlStringCbCatN##S;             \
    static constexpr auto CchCatNEx = RtlStringCchCatNEx##S;       \
    static constexpr auto CbCatNEx = RtlStringCbCatNEx##S;         \
    static constexpr auto CchPrintf = RtlStringCchPrintf##S;       \
    static constexpr auto CbPrintf = RtlStringCbPrintf##S;         \
    static constexpr auto CchPrintfEx = RtlStringCchPrintfEx##S;   \
    static constexpr auto CbPrintfEx = RtlStringCbPrintfEx##S;     \
    static constexpr auto CchVPrintf = RtlStringCchVPrintf##S;     \
    static constexpr auto CbVPrintf = RtlStringCbVPrintf##S;       \
    static constexpr auto CchVPrintfEx = RtlStringCchVPrintfEx##S; \
    static constexpr auto CbVPrintfEx = RtlStringCbVPrintfEx##S;   \
    static constexpr auto CchLength = RtlStringCchLength##S;       \
    static constexpr auto CbLength = RtlStringCbLength##S;         \
  };

WDMLAB_STRSAFE_FORMS(char, A)
WDMLAB_STRSAFE_FORMS(WCHAR, W)
#undef WDMLAB_STRSAFE_FORMS

}  // namespace wdmlab::rtl::test
