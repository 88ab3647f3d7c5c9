#include "rtl/charset.hpp"

#include <array>
#include <clocale>
#include <cwctype>
#include <locale.h>

#include "base/check.hpp"

namespace wdmlab::rtl::charset {

namespace {

// Code page 1252, bytes 0x80..0x9F; the other bytes are the Unicode characters with the same value.
constexpr std::array<char16_t, 32> kCp1252High = {
    u'\u20AC', u'\u0081', u'\u201A', u'\u0192', u'\u201E', u'\u2026', u'\u2020', u'\u2021',
    u'\u02C6', u'\u2030', u'\u0160', u'\u2039', u'\u0152', u'\u008D', u'\u017D', u'\u008F',
    u'\u0090', u'\u2018', u'\u2019', u'\u201C', u'\u201D', u'\u2022', u'\u2013', u'\u2014',
    u'\u02DC', u'\u2122', u'\u0161', u'\u203A', u'\u0153', u'\u009D', u'\u017E', u'\u0178',
};

// Case mapping comes from the C library's tables for the C.UTF-8 locale (towupper_l/towlower_l),
// which implement Unicode simple case mapping. The locale is the same on every run of a given
// build, so the mapping is deterministic; characters whose mapping would leave the BMP keep
// their value, as a 16-bit character cannot hold the result.
locale_t unicode_locale() {
  static const locale_t locale = [] {
    locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    WDMLAB_CHECK(l != static_cast<locale_t>(nullptr), "the C.UTF-8 locale is not available for case mapping");
    return l;
  }();
  return locale;
}

bool is_surrogate(char32_t c) { return c >= 0xD800 && c <= 0xDFFF; }

char16_t map_case(char16_t c, bool upper) {
  if (c < 0x80) {
    if (upper && c >= u'a' && c <= u'z') return static_cast<char16_t>(c - u'a' + u'A');
    if (!upper && c >= u'A' && c <= u'Z') return static_cast<char16_t>(c - u'A' + u'a');
    return c;
  }
  if (is_surrogate(c)) return c;
  const wint_t mapped = upper ? towupper_l(static_cast<wint_t>(c), unicode_locale())
                              : towlower_l(static_cast<wint_t>(c), unicode_locale());
  if (mapped > 0xFFFF || is_surrogate(static_cast<char32_t>(mapped))) return c;
  return static_cast<char16_t>(mapped);
}

}  // namespace

char16_t ansi_to_unicode(unsigned char c) {
  if (c >= 0x80 && c < 0xA0) return kCp1252High[c - 0x80];
  return static_cast<char16_t>(c);
}

unsigned char unicode_to_ansi(char16_t c) {
  if (c < 0x80 || (c >= 0xA0 && c <= 0xFF)) return static_cast<unsigned char>(c);
  for (std::size_t i = 0; i < kCp1252High.size(); ++i) {
    if (kCp1252High[i] == c) return static_cast<unsigned char>(0x80 + i);
  }
  return kAnsiDefaultCharacter;
}

char16_t upcase(char16_t c) { return map_case(c, true); }
char16_t downcase(char16_t c) { return map_case(c, false); }

unsigned char upcase_ansi(unsigned char c) {
  const char16_t upper = upcase(ansi_to_unicode(c));
  const unsigned char back = unicode_to_ansi(upper);
  if (back == kAnsiDefaultCharacter && upper != u'?') return c;
  return back;
}

Utf8Result utf16_to_utf8(const char16_t* source, std::size_t units, char* out, std::size_t capacity) {
  Utf8Result result;
  std::size_t i = 0;
  while (i < units) {
    char32_t code = source[i];
    std::size_t used = 1;
    if (code >= 0xD800 && code <= 0xDBFF && i + 1 < units && source[i + 1] >= 0xDC00 && source[i + 1] <= 0xDFFF) {
      code = 0x10000 + ((code - 0xD800) << 10) + (source[i + 1] - 0xDC00);
      used = 2;
    } else if (is_surrogate(code)) {
      code = kReplacementCharacter;
      result.replaced = true;
    }
    char bytes[4];
    std::size_t n = 0;
    if (code < 0x80) {
      bytes[n++] = static_cast<char>(code);
    } else if (code < 0x800) {
      bytes[n++] = static_cast<char>(0xC0 | (code >> 6));
      bytes[n++] = static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      bytes[n++] = static_cast<char>(0xE0 | (code >> 12));
      bytes[n++] = static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      bytes[n++] = static_cast<char>(0x80 | (code & 0x3F));
    } else {
      bytes[n++] = static_cast<char>(0xF0 | (code >> 18));
      bytes[n++] = static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      bytes[n++] = static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      bytes[n++] = static_cast<char>(0x80 | (code & 0x3F));
    }
    if (out != nullptr) {
      if (result.produced + n > capacity) {
        result.truncated = true;
        break;
      }
      for (std::size_t k = 0; k < n; ++k) out[result.produced + k] = bytes[k];
    }
    result.produced += n;
    i += used;
  }
  result.consumed = i;
  return result;
}

Utf8Result utf8_to_utf16(const char* source, std::size_t bytes, char16_t* out, std::size_t capacity) {
  Utf8Result result;
  const auto* s = reinterpret_cast<const unsigned char*>(source);
  std::size_t i = 0;
  while (i < bytes) {
    const unsigned char lead = s[i];
    char32_t code = kReplacementCharacter;
    std::size_t used = 1;
    std::size_t need = 0;
    unsigned char low = 0x80, high = 0xBF;  // valid range of the second byte (Unicode table 3-7)
    if (lead < 0x80) {
      code = lead;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      need = 1;
      code = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      need = 2;
      code = lead & 0x0F;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      need = 3;
      code = lead & 0x07;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      result.replaced = true;
    }
    bool valid = true;
    for (std::size_t k = 0; k < need; ++k) {
      const std::size_t at = i + 1 + k;
      const unsigned char lo = k == 0 ? low : 0x80;
      const unsigned char hi = k == 0 ? high : 0xBF;
      if (at >= bytes || s[at] < lo || s[at] > hi) {
        valid = false;
        break;
      }
      code = (code << 6) | (s[at] & 0x3F);
      ++used;
    }
    if (!valid) {
      code = kReplacementCharacter;
      result.replaced = true;
    }
    const std::size_t units = code >= 0x10000 ? 2 : 1;
    if (out != nullptr) {
      if (result.produced + units > capacity) {
        result.truncated = true;
        break;
      }
      if (units == 2) {
        out[result.produced] = static_cast<char16_t>(0xD800 + ((code - 0x10000) >> 10));
        out[result.produced + 1] = static_cast<char16_t>(0xDC00 + ((code - 0x10000) & 0x3FF));
      } else {
        out[result.produced] = static_cast<char16_t>(code);
      }
    }
    result.produced += units;
    i += used;
  }
  result.consumed = i;
  return result;
}

}  // namespace wdmlab::rtl::charset
