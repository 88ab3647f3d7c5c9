// RtlUnicodeToUTF8N and RtlUTF8ToUnicodeN.
#include <gtest/gtest.h>

#include "rtl/test_support.hpp"

namespace wdmlab::rtl::test {
namespace {

const char16_t kMixed[] = u"a\u00e9\u4e2d\U0001F600";  // 1 + 2 + 3 + 4 UTF-8 bytes
const char kMixedUtf8[] = "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80";
constexpr ULONG kMixedUnits = 5;  // the emoji is a surrogate pair

TEST(RtlUnicodeToUTF8N, ConvertsSurrogatePairs) {
  char out[16] = {};
  ULONG written = 0;
  EXPECT_EQ(RtlUnicodeToUTF8N(out, sizeof(out), &written, kMixed, kMixedUnits * 2), STATUS_SUCCESS);
  EXPECT_EQ(written, 10u);
  EXPECT_EQ(std::string(out, written), kMixedUtf8);
}

TEST(RtlUnicodeToUTF8N, MeasuresWithoutADestination) {
  ULONG needed = 0;
  EXPECT_EQ(RtlUnicodeToUTF8N(nullptr, 0, &needed, kMixed, kMixedUnits * 2), STATUS_SUCCESS);
  EXPECT_EQ(needed, 10u);
  // A terminator in the input is converted like any other character.
  EXPECT_EQ(RtlUnicodeToUTF8N(nullptr, 0, &needed, kMixed, (kMixedUnits + 1) * 2), STATUS_SUCCESS);
  EXPECT_EQ(needed, 11u);
}

TEST(RtlUnicodeToUTF8N, StopsBeforeACharacterThatDoesNotFit) {
  char out[8] = {};
  ULONG written = 0;
  EXPECT_EQ(RtlUnicodeToUTF8N(out, 5, &written, kMixed, kMixedUnits * 2), STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(written, 3u);
  EXPECT_EQ(std::string(out, 3), "a\xC3\xA9");
}

TEST(RtlUnicodeToUTF8N, UnpairedSurrogatesAreReplaced) {
  const char16_t lone[] = {u'x', char16_t{0xD800}, u'y', char16_t{0xDC00}};
  char out[16] = {};
  ULONG written = 0;
  EXPECT_EQ(RtlUnicodeToUTF8N(out, sizeof(out), &written, lone, sizeof(lone)), STATUS_SOME_NOT_MAPPED);
  EXPECT_EQ(std::string(out, written), "x\xEF\xBF\xBDy\xEF\xBF\xBD");
}

TEST(RtlUnicodeToUTF8N, InvalidParameters) {
  char out[4];
  ULONG written = 0;
  EXPECT_EQ(RtlUnicodeToUTF8N(nullptr, 0, nullptr, u"a", 2), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeToUTF8N(out, 4, &written, nullptr, 2), STATUS_INVALID_PARAMETER_4);
  EXPECT_EQ(RtlUnicodeToUTF8N(out, 4, &written, u"ab", 3), STATUS_INVALID_PARAMETER_5);
  EXPECT_EQ(RtlUnicodeToUTF8N(out, 4, nullptr, u"ab", 4), STATUS_SUCCESS);
}

TEST(RtlUTF8ToUnicodeN, ConvertsToSurrogatePairs) {
  WCHAR out[8] = {};
  ULONG written = 0;
  EXPECT_EQ(RtlUTF8ToUnicodeN(out, sizeof(out), &written, kMixedUtf8, 10), STATUS_SUCCESS);
  EXPECT_EQ(written, kMixedUnits * 2);
  EXPECT_EQ(std::u16string(out, kMixedUnits), std::u16string(kMixed));
  EXPECT_EQ(RtlUTF8ToUnicodeN(nullptr, 0, &written, kMixedUtf8, 10), STATUS_SUCCESS);
  EXPECT_EQ(written, kMixedUnits * 2);
}

TEST(RtlUTF8ToUnicodeN, InvalidSequencesAreReplaced) {
  struct Case {
    const char* name;
    const char* input;
    const char16_t* output;
  };
  const Case cases[] = {
      {"invalid byte",
       "a\xFF"
       "b",
       u"a\uFFFDb"},
      {"overlong encoding", "\xC0\x80", u"\uFFFD\uFFFD"},
      {"stray continuation", "\x80x", u"\uFFFDx"},
      {"truncated sequence at the end", "x\xE4\xB8", u"x\uFFFD"},
      {"encoded surrogate", "\xED\xA0\x80", u"\uFFFD\uFFFD\uFFFD"},
      {"above U+10FFFF", "\xF4\x90\x80\x80", u"\uFFFD\uFFFD\uFFFD\uFFFD"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    WCHAR out[8] = {};
    ULONG written = 0;
    EXPECT_EQ(RtlUTF8ToUnicodeN(out, sizeof(out), &written, c.input, static_cast<ULONG>(std::strlen(c.input))),
              STATUS_SOME_NOT_MAPPED);
    EXPECT_EQ(std::u16string(out, written / 2), std::u16string(c.output));
  }
}

TEST(RtlUTF8ToUnicodeN, DoesNotSplitASurrogatePair) {
  WCHAR out[2] = {u'X', u'X'};
  ULONG written = 0;
  EXPECT_EQ(RtlUTF8ToUnicodeN(out, 2, &written, "\xF0\x9F\x98\x80", 4), STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(written, 0u);
  EXPECT_EQ(out[0], u'X');
  EXPECT_EQ(RtlUTF8ToUnicodeN(out, 3, &written, "ab", 2), STATUS_BUFFER_TOO_SMALL);  // 3 bytes hold one unit
  EXPECT_EQ(written, 2u);
  EXPECT_EQ(RtlUTF8ToUnicodeN(nullptr, 0, nullptr, "ab", 2), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUTF8ToUnicodeN(out, 4, &written, nullptr, 2), STATUS_INVALID_PARAMETER_4);
}

}  // namespace
}  // namespace wdmlab::rtl::test
