// RtlCompare/Equal/PrefixUnicodeString, RtlCompare/EqualString and the case routines:
// RtlUpcase/DowncaseUnicodeString, RtlUpcase/DowncaseUnicodeChar, RtlUpperString, RtlUpperChar.
#include <gtest/gtest.h>

#include "rtl/string_allocator.hpp"
#include "rtl/test_support.hpp"

namespace wdmlab::rtl::test {
namespace {

int sign(LONG value) { return value < 0 ? -1 : value > 0 ? 1 : 0; }

TEST(RtlCompareUnicodeString, Table) {
  struct Case {
    const char16_t* a;
    const char16_t* b;
    BOOLEAN case_insensitive;
    int sign;
  };
  const Case cases[] = {
      {u"abc", u"abc", FALSE, 0},      {u"abc", u"abd", FALSE, -1}, {u"abd", u"abc", FALSE, 1},
      {u"ABC", u"abc", FALSE, -1},     {u"ABC", u"abc", TRUE, 0},   {u"ab", u"abc", FALSE, -1},
      {u"abc", u"ab", TRUE, 1},        {u"", u"", FALSE, 0},        {u"\u00e9t\u00e9", u"\u00c9T\u00c9", TRUE, 0},
      {u"\u03c3", u"\u03a3", TRUE, 0}, {u"a", u"\u00e0", TRUE, -1},
  };
  for (const Case& c : cases) {
    UNICODE_STRING a = counted(c.a);
    UNICODE_STRING b = counted(c.b);
    EXPECT_EQ(sign(RtlCompareUnicodeString(&a, &b, c.case_insensitive)), c.sign);
    EXPECT_EQ(RtlEqualUnicodeString(&a, &b, c.case_insensitive), c.sign == 0 ? TRUE : FALSE);
  }
}

TEST(RtlCompareUnicodeString, ComparesCharactersNotTerminators) {
  WCHAR a_text[] = {u'a', 0, u'b'};
  WCHAR b_text[] = {u'a', 0, u'c'};
  UNICODE_STRING a{6, 6, a_text};
  UNICODE_STRING b{6, 6, b_text};
  EXPECT_LT(RtlCompareUnicodeString(&a, &b, FALSE), 0);
  EXPECT_EQ(RtlEqualUnicodeString(&a, &b, TRUE), FALSE);
}

TEST(RtlPrefixUnicodeString, Table) {
  UNICODE_STRING path = counted(u"\\Device\\Harddisk0");
  UNICODE_STRING prefix = counted(u"\\device\\");
  UNICODE_STRING longer = counted(u"\\Device\\Harddisk0\\Partition1");
  UNICODE_STRING empty = counted(u"");
  EXPECT_EQ(RtlPrefixUnicodeString(&prefix, &path, TRUE), TRUE);
  EXPECT_EQ(RtlPrefixUnicodeString(&prefix, &path, FALSE), FALSE);
  EXPECT_EQ(RtlPrefixUnicodeString(&path, &path, FALSE), TRUE);
  EXPECT_EQ(RtlPrefixUnicodeString(&longer, &path, TRUE), FALSE);
  EXPECT_EQ(RtlPrefixUnicodeString(&empty, &path, FALSE), TRUE);
}

TEST(RtlCompareString, UsesTheAnsiCodePageForCase) {
  STRING a{3, 3, const_cast<char*>("\xe9t\xe9")};
  STRING b{3, 3, const_cast<char*>("\xc9T\xc9")};
  EXPECT_EQ(RtlCompareString(&a, &b, TRUE), 0);
  EXPECT_GT(RtlCompareString(&a, &b, FALSE), 0);
  EXPECT_EQ(RtlEqualString(&a, &b, TRUE), TRUE);
  EXPECT_EQ(RtlEqualString(&a, &b, FALSE), FALSE);
  STRING shorter{2, 2, const_cast<char*>("\xe9t")};
  EXPECT_LT(RtlCompareString(&shorter, &a, FALSE), 0);
  EXPECT_EQ(RtlEqualString(&shorter, &a, TRUE), FALSE);
}

TEST(RtlUpcaseUnicodeChar, SimpleCaseMappingOfTheBmp) {
  struct Case {
    char16_t in;
    char16_t upper;
    char16_t lower;
  };
  const Case cases[] = {
      {u'a', u'A', u'a'},
      {u'Z', u'Z', u'z'},
      {u'1', u'1', u'1'},
      {u'\u00e9', u'\u00c9', u'\u00e9'},
      {u'\u00ff', u'\u0178', u'\u00ff'},
      {u'\u00df', u'\u00df', u'\u00df'},
      {u'\u03c9', u'\u03a9', u'\u03c9'},
      {u'\u03a3', u'\u03a3', u'\u03c3'},
      {u'\u0436', u'\u0416', u'\u0436'},
      {char16_t{0xD800}, char16_t{0xD800}, char16_t{0xD800}},
      {u'\u4e2d', u'\u4e2d', u'\u4e2d'},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RtlUpcaseUnicodeChar(c.in), c.upper) << static_cast<int>(c.in);
    EXPECT_EQ(RtlDowncaseUnicodeChar(c.in), c.lower) << static_cast<int>(c.in);
  }
}

TEST(RtlUpperChar, StaysInTheAnsiCodePage) {
  EXPECT_EQ(RtlUpperChar('a'), 'A');
  EXPECT_EQ(RtlUpperChar('!'), '!');
  EXPECT_EQ(static_cast<unsigned char>(RtlUpperChar(static_cast<CHAR>(0xE9))), 0xC9);  // e acute
  EXPECT_EQ(static_cast<unsigned char>(RtlUpperChar(static_cast<CHAR>(0xFF))), 0x9F);  // y diaeresis
  EXPECT_EQ(static_cast<unsigned char>(RtlUpperChar(static_cast<CHAR>(0x9A))), 0x8A);  // s caron
  EXPECT_EQ(static_cast<unsigned char>(RtlUpperChar(static_cast<CHAR>(0xB5))), 0xB5);  // micro: upper case not in 1252
  EXPECT_EQ(static_cast<unsigned char>(RtlUpperChar(static_cast<CHAR>(0xDF))), 0xDF);  // sharp s
}

TEST(RtlUpperString, UpcasesWhatFits) {
  char buffer[4] = {'X', 'X', 'X', 'X'};
  STRING dest{0, 3, buffer};
  STRING source{5, 5, const_cast<char*>("ab\xe9yz")};
  RtlUpperString(&dest, &source);
  EXPECT_EQ(contents(dest), "AB\xc9");
  EXPECT_EQ(buffer[3], 'X');
}

TEST(RtlUpcaseUnicodeString, InPlaceIntoABufferOrAllocated) {
  WCHAR buffer[4];
  UNICODE_STRING dest{0, 8, buffer};
  UNICODE_STRING source = counted(u"ab\u00e9");
  EXPECT_EQ(RtlUpcaseUnicodeString(&dest, &source, FALSE), STATUS_SUCCESS);
  EXPECT_EQ(contents(dest), u"AB\u00c9");
  EXPECT_EQ(RtlDowncaseUnicodeString(&dest, &dest, FALSE), STATUS_SUCCESS);
  EXPECT_EQ(contents(dest), u"ab\u00e9");

  UNICODE_STRING small{0, 4, buffer};
  EXPECT_EQ(RtlUpcaseUnicodeString(&small, &source, FALSE), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(small.Length, 0);

  UNICODE_STRING allocated{};
  EXPECT_EQ(RtlUpcaseUnicodeString(&allocated, &source, TRUE), STATUS_SUCCESS);
  EXPECT_EQ(contents(allocated), u"AB\u00c9");
  EXPECT_EQ(allocated.MaximumLength, 6);
  EXPECT_NE(allocated.Buffer, source.Buffer);
  RtlFreeUnicodeString(&allocated);
  EXPECT_EQ(allocated.Buffer, nullptr);
  EXPECT_EQ(allocated.MaximumLength, 0);

  UNICODE_STRING lower{};
  UNICODE_STRING upper = counted(u"\u0416\u03a3");
  EXPECT_EQ(RtlDowncaseUnicodeString(&lower, &upper, TRUE), STATUS_SUCCESS);
  EXPECT_EQ(contents(lower), u"\u0436\u03c3");
  RtlFreeUnicodeString(&lower);
}

TEST(RtlUpcaseUnicodeString, ReportsExhaustedPool) {
  set_string_allocator({[](std::size_t) -> void* { return nullptr; }, [](void*) {}});
  UNICODE_STRING allocated{};
  UNICODE_STRING source = counted(u"abc");
  EXPECT_EQ(RtlUpcaseUnicodeString(&allocated, &source, TRUE), STATUS_NO_MEMORY);
  reset_string_allocator();
  EXPECT_EQ(allocated.Buffer, nullptr);
}

}  // namespace
}  // namespace wdmlab::rtl::test
