// The kernel printf format specifiers, through the routines drivers call: RtlStringCchPrintfA/W
// (the SafeString dialect) and DbgPrint (the DebugPrint dialect).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "base/log_sink.hpp"
#include "rtl/test_support.hpp"

namespace wdmlab::rtl::test {
namespace {

template <class... Args>
std::string narrow(const char* format, Args... args) {
  char buffer[256];
  const NTSTATUS status = RtlStringCchPrintfA(buffer, sizeof(buffer), format, args...);
  EXPECT_EQ(status, STATUS_SUCCESS) << format;
  return buffer;
}

template <class... Args>
std::u16string wide(const WCHAR* format, Args... args) {
  WCHAR buffer[256];
  const NTSTATUS status = RtlStringCchPrintfW(buffer, 256, format, args...);
  EXPECT_EQ(status, STATUS_SUCCESS);
  return buffer;
}

TEST(FormatSpecifiers, Integers) {
  EXPECT_EQ(narrow("%d", 42), "42");
  EXPECT_EQ(narrow("%i", -7), "-7");
  EXPECT_EQ(narrow("%u", 4294967295u), "4294967295");
  EXPECT_EQ(narrow("%x|%X|%o", 255, 255, 8), "ff|FF|10");
  EXPECT_EQ(narrow("%d", std::numeric_limits<int>::min()), "-2147483648");
}

TEST(FormatSpecifiers, FlagsWidthAndPrecision) {
  struct Case {
    const char* format;
    int value;
    const char* expected;
  };
  const Case cases[] = {
      {"%5d", 42, "   42"},      {"%-5d|", 42, "42   |"}, {"%05d", -42, "-0042"}, {"%+d", 5, "+5"},
      {"% d", 5, " 5"},          {"%+d", -5, "-5"},       {"%.3d", 7, "007"},     {"%8.3d", 7, "     007"},
      {"%08.3d", 7, "     007"}, {"%.0d", 0, ""},         {"%#x", 255, "0xff"},   {"%#X", 255, "0XFF"},
      {"%#x", 0, "0"},           {"%#o", 8, "010"},       {"%#o", 0, "0"},        {"%-+6d|", 3, "+3    |"},
      {"%x", -1, "ffffffff"},    {"%+u", 3, "3"},
  };
  for (const Case& c : cases) EXPECT_EQ(narrow(c.format, c.value), c.expected) << c.format;
}

TEST(FormatSpecifiers, StarWidthAndPrecision) {
  EXPECT_EQ(narrow("%*d", 4, 7), "   7");
  EXPECT_EQ(narrow("%-*d|", 4, 7), "7   |");
  EXPECT_EQ(narrow("%*d|", -4, 7), "7   |");
  EXPECT_EQ(narrow("%.*d", 3, 7), "007");
  EXPECT_EQ(narrow("%.*d", -1, 7), "7");
  EXPECT_EQ(narrow("%*.*s|", 5, 2, "abc"), "   ab|");
}

TEST(FormatSpecifiers, SizePrefixes) {
  // %ld is a 32-bit LONG, as on Windows.
  EXPECT_EQ(narrow("%ld %lu %lx", -1, 4000000000u, 0xdeadbeefu), "-1 4000000000 deadbeef");
  EXPECT_EQ(narrow("%lld", -1LL), "-1");
  EXPECT_EQ(narrow("%I64x", 0x123456789ABCDEF0ULL), "123456789abcdef0");
  EXPECT_EQ(narrow("%I64X", 0x123456789ABCDEF0ULL), "123456789ABCDEF0");
  EXPECT_EQ(narrow("%I64d", std::numeric_limits<long long>::min()), "-9223372036854775808");
  EXPECT_EQ(narrow("%I64u", 18446744073709551615ULL), "18446744073709551615");
  EXPECT_EQ(narrow("%I32x|%d", 0xdeadbeefu, 5), "deadbeef|5");
  EXPECT_EQ(narrow("%Ix", static_cast<std::size_t>(0x1122334455ULL)), "1122334455");
  EXPECT_EQ(narrow("%zu", static_cast<std::size_t>(123)), "123");
  EXPECT_EQ(narrow("%hd|%hu", 65535, 65537), "-1|1");
  EXPECT_EQ(narrow("%hhd|%hhu", 255, 257), "-1|1");
  EXPECT_EQ(narrow("%016I64X", 0xABCULL), "0000000000000ABC");
}

TEST(FormatSpecifiers, PointersAreSixteenUpperCaseDigits) {
  EXPECT_EQ(narrow("%p", reinterpret_cast<void*>(0x1234abcdULL)), "000000001234ABCD");
  EXPECT_EQ(narrow("%p", static_cast<void*>(nullptr)), "0000000000000000");
  EXPECT_EQ(narrow("[%20p]", reinterpret_cast<void*>(0x10ULL)), "[    0000000000000010]");
  EXPECT_EQ(wide(u"%p", reinterpret_cast<void*>(0xFFULL)), u"00000000000000FF");
}

TEST(FormatSpecifiers, Characters) {
  EXPECT_EQ(narrow("%c%c", 'a', 'b'), "ab");
  EXPECT_EQ(narrow("%3c|%-3c|", 'a', 'b'), "  a|b  |");
  EXPECT_EQ(narrow("%wc", u'\u00e9'), "\xe9");
  EXPECT_EQ(narrow("%C", u'\u20ac'), "\x80");  // the euro sign in code page 1252
  EXPECT_EQ(narrow("%lc", u'\u4e2d'), "?");    // not in code page 1252
  EXPECT_EQ(wide(u"%c|%wc|%C|%hc", u'\u03a9', u'\u00e9', 'a', static_cast<char>(0x80)), u"\u03a9|\u00e9|a|\u20ac");
}

TEST(FormatSpecifiers, NarrowStrings) {
  EXPECT_EQ(narrow("%s", "abc"), "abc");
  EXPECT_EQ(narrow("%.2s", "abc"), "ab");
  EXPECT_EQ(narrow("%5s|%-5s|", "ab", "ab"), "   ab|ab   |");
  EXPECT_EQ(narrow("%05s", "ab"), "000ab");  // Microsoft's printf pads strings with the 0 flag too
  EXPECT_EQ(narrow("%s", static_cast<const char*>(nullptr)), "(null)");
  EXPECT_EQ(narrow("%.3s", static_cast<const char*>(nullptr)), "(nu");
  EXPECT_EQ(narrow("%hs", "narrow"), "narrow");
  // Precision bounds what is read: the source need not be terminated.
  const char unterminated[3] = {'x', 'y', 'z'};
  EXPECT_EQ(narrow("%.3s", unterminated), "xyz");
}

TEST(FormatSpecifiers, WideStringsInANarrowFormat) {
  EXPECT_EQ(narrow("%ws", u"wide"), "wide");
  EXPECT_EQ(narrow("%ls", u"x\u20acy"), "x\x80y");
  EXPECT_EQ(narrow("%S", u"abc"), "abc");
  EXPECT_EQ(narrow("%ws", u"\u4e2d"), "?");
  EXPECT_EQ(narrow("%ws", static_cast<const WCHAR*>(nullptr)), "(null)");
  EXPECT_EQ(narrow("%6.2ws|", u"wide"), "    wi|");
}

TEST(FormatSpecifiers, StringsInAWideFormat) {
  EXPECT_EQ(wide(u"%s", u"wide"), u"wide");
  EXPECT_EQ(wide(u"%S|%hs", "a\x80", "b"), u"a\u20ac|b");
  EXPECT_EQ(wide(u"%ls|%ws", u"l", u"w"), u"l|w");
  EXPECT_EQ(wide(u"%s", static_cast<const WCHAR*>(nullptr)), u"(null)");
  EXPECT_EQ(wide(u"%S", static_cast<const char*>(nullptr)), u"(null)");
}

TEST(FormatSpecifiers, CountedStrings) {
  char ansi_text[] = "ansi\x80";
  ANSI_STRING ansi{5, 6, ansi_text};
  WCHAR unicode_text[] = {u'u', u'n', u'i', u'X', u'X'};  // not terminated; Length covers "uni"
  UNICODE_STRING unicode{6, 10, unicode_text};
  EXPECT_EQ(narrow("%Z|%wZ|%lZ", &ansi, &unicode, &unicode), "ansi\x80|uni|uni");
  EXPECT_EQ(narrow("[%6wZ][%-6Z]", &unicode, &ansi), "[   uni][ansi\x80 ]");
  EXPECT_EQ(narrow("%wZ|%Z", static_cast<UNICODE_STRING*>(nullptr), static_cast<ANSI_STRING*>(nullptr)),
            "(null)|(null)");
  UNICODE_STRING no_buffer{0, 0, nullptr};
  EXPECT_EQ(narrow("%wZ", &no_buffer), "(null)");
  UNICODE_STRING empty{0, 10, unicode_text};
  EXPECT_EQ(narrow("[%wZ]", &empty), "[]");
  EXPECT_EQ(wide(u"%wZ|%Z", &unicode, &ansi), u"uni|ansi\u20ac");
}

TEST(FormatSpecifiers, PercentAndUnknownConversions) {
  EXPECT_EQ(narrow("100%%"), "100%");
  EXPECT_EQ(narrow("%y|%d", 3), "y|3");
  EXPECT_EQ(narrow("end%"), "end");
  EXPECT_EQ(wide(u"%%%d", 1), u"%1");
}

TEST(FormatSpecifiers, FloatingPointKeepsLaterArgumentsInPlace) {
  EXPECT_EQ(narrow("%.1f %d %s", 1.5, 7, "x"), "1.5 7 x");
  EXPECT_EQ(narrow("%-8.2e|", 12.0), "1.20e+01|");
  EXPECT_EQ(narrow("%+.0f", 2.0), "+2");
  EXPECT_EQ(wide(u"%.3f", 0.25), u"0.250");
}

TEST(FormatSpecifiers, DebugPrintDropsFloatingPointAndPercentN) {
  Log log;
  base::set_current_log(&log);
  int written = -1;
  EXPECT_EQ(DbgPrint("a%fb%nc%d", 1.5, &written, 7), 0u);
  base::set_current_log(nullptr);
  ASSERT_EQ(log.records().size(), 1u);
  EXPECT_EQ(log.records()[0].text, "abc7");
  EXPECT_EQ(written, -1);
}

}  // namespace
}  // namespace wdmlab::rtl::test
