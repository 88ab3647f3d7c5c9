// RtlInit{Unicode,Ansi,}String(Ex), RtlCopyUnicodeString, RtlCopyString,
// RtlAppendUnicodeStringToString and RtlAppendUnicodeToString.
#include <gtest/gtest.h>

#include <string>

#include "rtl/test_support.hpp"

namespace wdmlab::rtl::test {
namespace {

TEST(RtlInitUnicodeString, DescribesTheSourceInPlace) {
  UNICODE_STRING string;
  const WCHAR* text = u"hello";
  RtlInitUnicodeString(&string, text);
  EXPECT_EQ(string.Length, 10);
  EXPECT_EQ(string.MaximumLength, 12);
  EXPECT_EQ(string.Buffer, text);
  RtlInitUnicodeString(&string, nullptr);
  EXPECT_EQ(string.Length, 0);
  EXPECT_EQ(string.MaximumLength, 0);
  EXPECT_EQ(string.Buffer, nullptr);
}

TEST(RtlInitUnicodeString, LongStringsAreCappedAsDocumented) {
  const std::u16string longest(32766, u'a');  // 65532 bytes: still exact
  const std::u16string too_long(40000, u'a');
  UNICODE_STRING string;
  RtlInitUnicodeString(&string, longest.c_str());
  EXPECT_EQ(string.Length, 65532);
  EXPECT_EQ(string.MaximumLength, 65534);
  RtlInitUnicodeString(&string, too_long.c_str());
  EXPECT_EQ(string.Length, 0xFFFC);  // MAX_USTRING - sizeof(WCHAR)
  EXPECT_EQ(string.MaximumLength, 0xFFFE);
  EXPECT_EQ(string.Buffer, too_long.c_str());
}

TEST(RtlInitUnicodeStringEx, RejectsTooLongStringsAndLeavesTheDestination) {
  const std::u16string too_long(32767, u'a');
  UNICODE_STRING string{2, 4, nullptr};
  EXPECT_EQ(RtlInitUnicodeStringEx(&string, too_long.c_str()), STATUS_NAME_TOO_LONG);
  EXPECT_EQ(string.Length, 2);
  EXPECT_EQ(string.MaximumLength, 4);
  EXPECT_EQ(RtlInitUnicodeStringEx(&string, u"ab"), STATUS_SUCCESS);
  EXPECT_EQ(string.Length, 4);
  EXPECT_EQ(RtlInitUnicodeStringEx(&string, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(string.MaximumLength, 0);
}

TEST(RtlInitAnsiString, DescribesTheSourceAndCapsLongStrings) {
  ANSI_STRING string;
  RtlInitAnsiString(&string, "abc");
  EXPECT_EQ(string.Length, 3);
  EXPECT_EQ(string.MaximumLength, 4);
  const std::string longest(65534, 'a');
  const std::string too_long(65535, 'a');
  RtlInitString(&string, longest.c_str());
  EXPECT_EQ(string.Length, 65534);
  EXPECT_EQ(string.MaximumLength, 65535);
  RtlInitAnsiString(&string, too_long.c_str());
  EXPECT_EQ(string.Length, 0xFFFE);  // MAXUSHORT - 1
  EXPECT_EQ(string.MaximumLength, 0xFFFF);
  STRING other{1, 1, nullptr};
  EXPECT_EQ(RtlInitAnsiStringEx(&other, too_long.c_str()), STATUS_NAME_TOO_LONG);
  EXPECT_EQ(other.Length, 1);
  EXPECT_EQ(RtlInitStringEx(&other, longest.c_str()), STATUS_SUCCESS);
  EXPECT_EQ(other.Length, 65534);
  EXPECT_EQ(RtlInitAnsiStringEx(&other, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(other.Length, 0);
  EXPECT_EQ(other.Buffer, nullptr);
}

TEST(RtlCopyUnicodeString, CopiesWhatFitsAndTerminatesIfThereIsRoom) {
  WCHAR buffer[6];
  for (auto& c : buffer) c = u'X';
  UNICODE_STRING dest{0, 8, buffer};  // room for 4 characters
  UNICODE_STRING source = counted(u"abc");
  RtlCopyUnicodeString(&dest, &source);
  EXPECT_EQ(contents(dest), u"abc");
  EXPECT_EQ(buffer[3], 0);
  UNICODE_STRING longer = counted(u"abcdef");
  RtlCopyUnicodeString(&dest, &longer);
  EXPECT_EQ(contents(dest), u"abcd");
  EXPECT_EQ(buffer[4], u'X');  // no room for a terminator
  RtlCopyUnicodeString(&dest, nullptr);
  EXPECT_EQ(dest.Length, 0);
}

TEST(RtlCopyString, CopiesWhatFits) {
  char buffer[4] = {'X', 'X', 'X', 'X'};
  STRING dest{0, 3, buffer};
  STRING source{5, 6, const_cast<char*>("hello")};
  RtlCopyString(&dest, &source);
  EXPECT_EQ(contents(dest), "hel");
  EXPECT_EQ(buffer[3], 'X');
  source.Length = 2;
  RtlCopyString(&dest, &source);
  EXPECT_EQ(contents(dest), "he");
  EXPECT_EQ(buffer[2], '\0');
  RtlCopyString(&dest, nullptr);
  EXPECT_EQ(dest.Length, 0);
}

TEST(RtlAppendUnicodeStringToString, AppendsOrFailsWithoutChange) {
  WCHAR buffer[6] = {u'a', u'b', u'X', u'X', u'X', u'X'};
  UNICODE_STRING dest{4, 10, buffer};
  UNICODE_STRING source = counted(u"cd");
  EXPECT_EQ(RtlAppendUnicodeStringToString(&dest, &source), STATUS_SUCCESS);
  EXPECT_EQ(contents(dest), u"abcd");
  EXPECT_EQ(buffer[4], 0);
  UNICODE_STRING more = counted(u"ef");
  EXPECT_EQ(RtlAppendUnicodeStringToString(&dest, &more), STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(contents(dest), u"abcd");
  UNICODE_STRING one = counted(u"e");
  EXPECT_EQ(RtlAppendUnicodeStringToString(&dest, &one), STATUS_SUCCESS);  // exact fit, no terminator
  EXPECT_EQ(contents(dest), u"abcde");
  EXPECT_EQ(buffer[5], u'X');
}

TEST(RtlAppendUnicodeToString, AppendsANullTerminatedString) {
  WCHAR buffer[8] = {};
  UNICODE_STRING dest{0, 8, buffer};
  EXPECT_EQ(RtlAppendUnicodeToString(&dest, u"ab"), STATUS_SUCCESS);
  EXPECT_EQ(RtlAppendUnicodeToString(&dest, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(RtlAppendUnicodeToString(&dest, u"c"), STATUS_SUCCESS);
  EXPECT_EQ(contents(dest), u"abc");
  EXPECT_EQ(RtlAppendUnicodeToString(&dest, u"de"), STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(contents(dest), u"abc");
}

}  // namespace
}  // namespace wdmlab::rtl::test
