// RtlUnicodeStringToInteger, RtlCharToInteger, RtlIntegerToUnicodeString, RtlInt64ToUnicodeString
// and RtlIntegerToChar.
#include <gtest/gtest.h>

#include "rtl/test_support.hpp"

namespace wdmlab::rtl::test {
namespace {

TEST(RtlUnicodeStringToInteger, DocumentedExamples) {
  struct Case {
    const char16_t* text;
    ULONG base;
    ULONG value;
  };
  // The table of the routine's documentation, then the base prefixes.
  const Case cases[] = {
      {u"123", 10, 123},
      {u"  -345", 10, static_cast<ULONG>(-345)},
      {u"xyz", 10, 0},
      {u"   +678abc", 10, 678},
      {u"   +678abc", 16, 6785724},
      {u"007", 10, 7},
      {u"789", 8, 7},
      {u"FGH", 16, 15},
      {u"      ", 10, 0},
      {u"0x1A", 0, 26},
      {u"0b101", 0, 5},
      {u"0o17", 0, 15},
      {u"-0x10", 0, static_cast<ULONG>(-16)},
      {u"0x1A", 16, 0},
      {u"12", 0, 12},
      {u"4294967296", 10, 0},
      {u"\t\n42", 10, 42},
      {u"+-5", 10, 0},
  };
  for (const Case& c : cases) {
    UNICODE_STRING string = counted(c.text);
    ULONG value = 0xDEADBEEF;
    EXPECT_EQ(RtlUnicodeStringToInteger(&string, c.base, &value), STATUS_SUCCESS);
    EXPECT_EQ(value, c.value);
  }
}

TEST(RtlUnicodeStringToInteger, ReadsOnlyLengthCharacters) {
  WCHAR text[] = {u'1', u'2', u'3'};
  UNICODE_STRING string{4, 6, text};
  ULONG value = 0;
  EXPECT_EQ(RtlUnicodeStringToInteger(&string, 10, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 12u);
}

TEST(RtlUnicodeStringToInteger, InvalidParameters) {
  UNICODE_STRING empty{0, 0, nullptr};
  UNICODE_STRING digits = counted(u"10");
  ULONG value = 0;
  EXPECT_EQ(RtlUnicodeStringToInteger(&empty, 10, &value), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringToInteger(&digits, 3, &value), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringToInteger(&digits, 36, &value), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringToInteger(&digits, 2, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 2u);
}

TEST(RtlCharToInteger, ParsesNarrowStrings) {
  ULONG value = 0;
  EXPECT_EQ(RtlCharToInteger(" 0x7f", 0, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 127u);
  EXPECT_EQ(RtlCharToInteger("-1", 10, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 0xFFFFFFFFu);
  EXPECT_EQ(RtlCharToInteger("", 10, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 0u);
  EXPECT_EQ(RtlCharToInteger("1", 7, &value), STATUS_INVALID_PARAMETER);
}

TEST(RtlIntegerToUnicodeString, Bases) {
  struct Case {
    ULONG value;
    ULONG base;
    const char16_t* text;
  };
  const Case cases[] = {
      {1234, 10, u"1234"},           {1234, 0, u"1234"}, {255, 16, u"FF"}, {8, 8, u"10"}, {5, 2, u"101"}, {0, 10, u"0"},
      {0xFFFFFFFF, 16, u"FFFFFFFF"},
  };
  for (const Case& c : cases) {
    WCHAR buffer[40];
    UNICODE_STRING string{0, sizeof(buffer), buffer};
    EXPECT_EQ(RtlIntegerToUnicodeString(c.value, c.base, &string), STATUS_SUCCESS);
    EXPECT_EQ(contents(string), c.text);
    EXPECT_EQ(buffer[string.Length / 2], 0);
  }
}

TEST(RtlIntegerToUnicodeString, NeedsRoomForTheTerminatorAndAValidBase) {
  WCHAR buffer[5];
  UNICODE_STRING string{0, 8, buffer};
  EXPECT_EQ(RtlIntegerToUnicodeString(1234, 10, &string), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(string.Length, 0);
  string.MaximumLength = 10;
  EXPECT_EQ(RtlIntegerToUnicodeString(1234, 10, &string), STATUS_SUCCESS);
  EXPECT_EQ(contents(string), u"1234");
  EXPECT_EQ(RtlIntegerToUnicodeString(1, 7, &string), STATUS_INVALID_PARAMETER);
}

TEST(RtlInt64ToUnicodeString, SixtyFourBitValues) {
  WCHAR buffer[70];
  UNICODE_STRING string{0, sizeof(buffer), buffer};
  EXPECT_EQ(RtlInt64ToUnicodeString(0xFFFFFFFFFFFFFFFFULL, 16, &string), STATUS_SUCCESS);
  EXPECT_EQ(contents(string), u"FFFFFFFFFFFFFFFF");
  EXPECT_EQ(RtlInt64ToUnicodeString(18446744073709551615ULL, 10, &string), STATUS_SUCCESS);
  EXPECT_EQ(contents(string), u"18446744073709551615");
  EXPECT_EQ(RtlInt64ToUnicodeString(1ULL << 63, 2, &string), STATUS_SUCCESS);
  EXPECT_EQ(string.Length, 64 * 2);
}

TEST(RtlIntegerToChar, TerminatesOnlyIfThereIsRoom) {
  char buffer[8];
  std::memset(buffer, 'X', sizeof(buffer));
  EXPECT_EQ(RtlIntegerToChar(255, 16, 2, buffer), STATUS_SUCCESS);
  EXPECT_EQ(std::string(buffer, 3), "FFX");
  EXPECT_EQ(RtlIntegerToChar(255, 10, 8, buffer), STATUS_SUCCESS);
  EXPECT_STREQ(buffer, "255");
  EXPECT_EQ(RtlIntegerToChar(255, 10, 2, buffer), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(RtlIntegerToChar(255, 10, -1, buffer), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(RtlIntegerToChar(255, 3, 8, buffer), STATUS_INVALID_PARAMETER);
}

}  // namespace
}  // namespace wdmlab::rtl::test
