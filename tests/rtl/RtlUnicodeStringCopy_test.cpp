// The UNICODE_STRING functions of ntstrsafe.h: Init, Validate, Copy, Cat, Printf and their N and
// Ex forms, and RtlStringCch/CbCopyUnicodeString(Ex).
#include <gtest/gtest.h>

#include <vector>

#include "rtl/test_support.hpp"

namespace wdmlab::rtl::test {
namespace {

constexpr WCHAR kMarker = u'X';

// A UNICODE_STRING over a marker-filled buffer of `chars` characters.
struct Counted {
  explicit Counted(std::size_t chars, const char16_t* initial = u"") : buffer(chars + 4, kMarker) {
    std::size_t n = 0;
    while (initial[n] != 0) {
      buffer[n] = initial[n];
      ++n;
    }
    string = UNICODE_STRING{static_cast<USHORT>(n * 2), static_cast<USHORT>(chars * 2), buffer.data()};
  }
  std::u16string str() const { return contents(string); }
  std::vector<WCHAR> buffer;
  UNICODE_STRING string;
};

TEST(RtlUnicodeStringValidate, Table) {
  WCHAR buffer[4] = {};
  struct Case {
    const char* name;
    UNICODE_STRING string;
    NTSTATUS status;
  };
  const Case cases[] = {
      {"empty without a buffer", {0, 0, nullptr}, STATUS_SUCCESS},
      {"in use", {2, 4, buffer}, STATUS_SUCCESS},
      {"full", {4, 4, buffer}, STATUS_SUCCESS},
      {"odd Length", {3, 4, buffer}, STATUS_INVALID_PARAMETER},
      {"odd MaximumLength", {2, 5, buffer}, STATUS_INVALID_PARAMETER},
      {"Length above MaximumLength", {6, 4, buffer}, STATUS_INVALID_PARAMETER},
      {"no buffer but a MaximumLength", {0, 4, nullptr}, STATUS_INVALID_PARAMETER},
      {"largest MaximumLength", {0, 0xFFFE, buffer}, STATUS_SUCCESS},
      {"MaximumLength above the largest", {0, 0xFFFF, buffer}, STATUS_INVALID_PARAMETER},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(RtlUnicodeStringValidate(&c.string), c.status);
    EXPECT_EQ(RtlUnicodeStringValidateEx(&c.string, 0), c.status);
  }
  EXPECT_EQ(RtlUnicodeStringValidate(nullptr), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringValidateEx(nullptr, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
  EXPECT_EQ(RtlUnicodeStringValidateEx(&cases[1].string, 0x00010000), STATUS_INVALID_PARAMETER);
}

TEST(RtlUnicodeStringInit, PointsAtTheSource) {
  UNICODE_STRING string{1, 1, nullptr};
  const WCHAR* text = u"abc";
  EXPECT_EQ(RtlUnicodeStringInit(&string, text), STATUS_SUCCESS);
  EXPECT_EQ(string.Length, 6);
  EXPECT_EQ(string.MaximumLength, 8);
  EXPECT_EQ(string.Buffer, text);
  EXPECT_EQ(RtlUnicodeStringInit(&string, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(string.Length, 0);
  EXPECT_EQ(string.MaximumLength, 0);
  EXPECT_EQ(string.Buffer, nullptr);
}

TEST(RtlUnicodeStringInit, RejectsStringsLongerThanTheMaximum) {
  std::u16string longest(NTSTRSAFE_UNICODE_STRING_MAX_CCH - 1, u'a');
  std::u16string too_long(NTSTRSAFE_UNICODE_STRING_MAX_CCH, u'a');
  UNICODE_STRING string{};
  EXPECT_EQ(RtlUnicodeStringInit(&string, longest.c_str()), STATUS_SUCCESS);
  EXPECT_EQ(string.Length, 0xFFFC);
  EXPECT_EQ(string.MaximumLength, 0xFFFE);
  EXPECT_EQ(RtlUnicodeStringInit(&string, too_long.c_str()), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(string.Length, 0);
  EXPECT_EQ(string.Buffer, nullptr);
}

TEST(RtlUnicodeStringInitEx, FlagsAndNulls) {
  UNICODE_STRING string{2, 2, nullptr};
  EXPECT_EQ(RtlUnicodeStringInitEx(&string, u"a", 0x00010000), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(string.Length, 0);
  EXPECT_EQ(RtlUnicodeStringInitEx(nullptr, nullptr, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
  EXPECT_EQ(RtlUnicodeStringInitEx(nullptr, u"a", STRSAFE_IGNORE_NULLS), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringInitEx(&string, u"ab", STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
  EXPECT_EQ(string.Length, 4);
}

TEST(RtlUnicodeStringCopy, NeverTerminatesAndFillsExactly) {
  Counted dest(4);
  UNICODE_STRING source = counted(u"abcd");
  EXPECT_EQ(RtlUnicodeStringCopy(&dest.string, &source), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"abcd");
  EXPECT_EQ(dest.buffer[4], kMarker);

  UNICODE_STRING longer = counted(u"abcde");
  EXPECT_EQ(RtlUnicodeStringCopy(&dest.string, &longer), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.str(), u"abcd");
  EXPECT_EQ(dest.buffer[4], kMarker);

  UNICODE_STRING odd{3, 4, source.Buffer};
  EXPECT_EQ(RtlUnicodeStringCopy(&dest.string, &odd), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(dest.string.Length, 0);  // a failed copy leaves an empty string

  UNICODE_STRING invalid_dest{6, 4, dest.buffer.data()};
  EXPECT_EQ(RtlUnicodeStringCopy(&invalid_dest, &source), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(invalid_dest.Length, 6);
}

TEST(RtlUnicodeStringCopyString, StopsAtTheTerminator) {
  Counted dest(4);
  EXPECT_EQ(RtlUnicodeStringCopyString(&dest.string, u"ab"), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"ab");
  EXPECT_EQ(RtlUnicodeStringCopyString(&dest.string, u"abcdef"), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.str(), u"abcd");
  EXPECT_EQ(RtlUnicodeStringCopyString(&dest.string, nullptr), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(dest.string.Length, 0);
}

TEST(RtlUnicodeStringCchCopyStringN, CountLimits) {
  Counted dest(8);
  EXPECT_EQ(RtlUnicodeStringCchCopyStringN(&dest.string, u"abcdef", 2), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"ab");
  EXPECT_EQ(RtlUnicodeStringCbCopyStringN(&dest.string, u"abcdef", 7), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"abc");
  // The plain form accepts NTSTRSAFE_UNICODE_STRING_MAX_CCH; the Ex form only counts below it.
  EXPECT_EQ(RtlUnicodeStringCchCopyStringN(&dest.string, u"ab", NTSTRSAFE_UNICODE_STRING_MAX_CCH), STATUS_SUCCESS);
  EXPECT_EQ(RtlUnicodeStringCchCopyStringN(&dest.string, u"ab", NTSTRSAFE_UNICODE_STRING_MAX_CCH + 1),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(dest.string.Length, 0);
  EXPECT_EQ(RtlUnicodeStringCchCopyStringNEx(&dest.string, u"ab", NTSTRSAFE_UNICODE_STRING_MAX_CCH - 1, nullptr, 0),
            STATUS_SUCCESS);
  EXPECT_EQ(RtlUnicodeStringCchCopyStringNEx(&dest.string, u"ab", NTSTRSAFE_UNICODE_STRING_MAX_CCH, nullptr, 0),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCbCopyStringNEx(&dest.string, u"abcd", 6, nullptr, 0), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"abc");
}

TEST(RtlUnicodeStringCchCopyN, CopiesAtMostCountCharactersOfTheSource) {
  Counted dest(8);
  UNICODE_STRING source = counted(u"abcdef");
  EXPECT_EQ(RtlUnicodeStringCchCopyN(&dest.string, &source, 2), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"ab");
  EXPECT_EQ(RtlUnicodeStringCbCopyN(&dest.string, &source, 100), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"abcdef");
  EXPECT_EQ(RtlUnicodeStringCchCopyN(&dest.string, &source, NTSTRSAFE_UNICODE_STRING_MAX_CCH + 1),
            STATUS_INVALID_PARAMETER);
  UNICODE_STRING remaining{};
  EXPECT_EQ(RtlUnicodeStringCchCopyNEx(&dest.string, &source, 3, &remaining, 0), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"abc");
  EXPECT_EQ(remaining.MaximumLength, 10);
  EXPECT_EQ(RtlUnicodeStringCbCopyNEx(&dest.string, &source, 4, &remaining, 0), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"ab");
}

TEST(RtlUnicodeStringCat, AppendsAfterLength) {
  Counted dest(5, u"ab");
  UNICODE_STRING source = counted(u"cd");
  EXPECT_EQ(RtlUnicodeStringCat(&dest.string, &source), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"abcd");
  EXPECT_EQ(RtlUnicodeStringCatString(&dest.string, u"efg"), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.str(), u"abcde");
  EXPECT_EQ(RtlUnicodeStringCatString(&dest.string, u""), STATUS_SUCCESS);
  EXPECT_EQ(RtlUnicodeStringCatString(&dest.string, u"x"), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.str(), u"abcde");

  Counted other(8, u"ab");
  EXPECT_EQ(RtlUnicodeStringCchCatN(&other.string, &source, 1), STATUS_SUCCESS);
  EXPECT_EQ(other.str(), u"abc");
  EXPECT_EQ(RtlUnicodeStringCbCatN(&other.string, &source, 4), STATUS_SUCCESS);
  EXPECT_EQ(other.str(), u"abccd");
  EXPECT_EQ(RtlUnicodeStringCchCatStringN(&other.string, u"xyz", 2), STATUS_SUCCESS);
  EXPECT_EQ(other.str(), u"abccdxy");
  EXPECT_EQ(RtlUnicodeStringCbCatStringN(&other.string, u"xyz", 3), STATUS_SUCCESS);
  EXPECT_EQ(other.str(), u"abccdxyx");
  EXPECT_EQ(RtlUnicodeStringCchCatStringN(&other.string, u"xyz", NTSTRSAFE_UNICODE_STRING_MAX_CCH + 1),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(other.str(), u"abccdxyx");  // a failed concatenation keeps the original length
}

struct ExCase {
  const char* name;
  DWORD flags;
  NTSTATUS status;
  const char16_t* result;
  USHORT remaining_bytes;
  std::size_t end;  // characters from the buffer start
};

TEST(RtlUnicodeStringCopyEx, FlagTable) {
  const ExCase cases[] = {
      {"fits", 0, STATUS_SUCCESS, u"abc", 2, 3},
      {"truncated", 0, STATUS_BUFFER_OVERFLOW, u"abcd", 0, 4},
      {"ZERO_LENGTH_ON_FAILURE", STRSAFE_ZERO_LENGTH_ON_FAILURE, STATUS_BUFFER_OVERFLOW, u"", 8, 0},
      {"NO_TRUNCATION", STRSAFE_NO_TRUNCATION, STATUS_BUFFER_OVERFLOW, u"", 8, 0},
      {"FILL_ON_FAILURE", STRSAFE_FAILURE_BYTE(0x41), STATUS_BUFFER_OVERFLOW, u"", 8, 0},
  };
  UNICODE_STRING fits = counted(u"abc");
  UNICODE_STRING too_long = counted(u"abcdef");
  for (const ExCase& c : cases) {
    SCOPED_TRACE(c.name);
    Counted dest(4);
    UNICODE_STRING remaining{1, 1, nullptr};
    EXPECT_EQ(RtlUnicodeStringCopyEx(&dest.string, c.status == STATUS_SUCCESS ? &fits : &too_long, &remaining, c.flags),
              c.status);
    EXPECT_EQ(dest.str(), c.result);
    EXPECT_EQ(remaining.Length, 0);
    EXPECT_EQ(remaining.MaximumLength, c.remaining_bytes);
    EXPECT_EQ(remaining.Buffer, dest.buffer.data() + c.end);
    if ((c.flags & STRSAFE_FILL_ON_FAILURE) != 0) {
      for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(dest.buffer[i], WCHAR(0x4141));
    }
  }
}

TEST(RtlUnicodeStringCopyStringEx, FillBehindFillsTheUnusedBuffer) {
  Counted dest(4);
  UNICODE_STRING remaining{};
  EXPECT_EQ(RtlUnicodeStringCopyStringEx(&dest.string, u"ab", &remaining, STRSAFE_FILL_BEHIND | 0x41), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"ab");
  EXPECT_EQ(dest.buffer[2], WCHAR(0x4141));
  EXPECT_EQ(dest.buffer[3], WCHAR(0x4141));
  EXPECT_EQ(dest.buffer[4], kMarker);
  EXPECT_EQ(remaining.Buffer, dest.buffer.data() + 2);
  EXPECT_EQ(remaining.MaximumLength, 4);
}

TEST(RtlUnicodeStringCopyStringEx, InvalidFlagsAndNulls) {
  Counted dest(4, u"ab");
  UNICODE_STRING remaining{7, 7, nullptr};
  EXPECT_EQ(RtlUnicodeStringCopyStringEx(&dest.string, u"x", &remaining, STRSAFE_NULL_ON_FAILURE << 8),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(dest.string.Length, 0);  // a copy that failed its checks leaves an empty string
  EXPECT_EQ(remaining.Length, 7);    // and reports nothing
  EXPECT_EQ(RtlUnicodeStringCopyStringEx(&dest.string, nullptr, &remaining, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
  EXPECT_EQ(remaining.MaximumLength, 8);
  EXPECT_EQ(RtlUnicodeStringCopyStringEx(&dest.string, nullptr, nullptr, 0), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCopyStringEx(nullptr, u"", nullptr, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
  EXPECT_EQ(RtlUnicodeStringCopyStringEx(nullptr, u"a", nullptr, STRSAFE_IGNORE_NULLS), STATUS_INVALID_PARAMETER);
  UNICODE_STRING empty{0, 0, nullptr};
  EXPECT_EQ(RtlUnicodeStringCopyStringEx(&empty, u"a", nullptr, 0), STATUS_INVALID_PARAMETER);
}

TEST(RtlUnicodeStringCatEx, NoTruncationKeepsTheOriginalLength) {
  Counted dest(3, u"ab");
  UNICODE_STRING source = counted(u"cd");
  UNICODE_STRING remaining{};
  EXPECT_EQ(RtlUnicodeStringCatEx(&dest.string, &source, &remaining, STRSAFE_NO_TRUNCATION), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.str(), u"ab");
  EXPECT_EQ(remaining.Buffer, dest.buffer.data() + 2);
  EXPECT_EQ(remaining.MaximumLength, 2);
  EXPECT_EQ(RtlUnicodeStringCatEx(&dest.string, &source, &remaining, 0), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.str(), u"abc");
  EXPECT_EQ(remaining.MaximumLength, 0);
  EXPECT_EQ(RtlUnicodeStringCatStringEx(&dest.string, u"d", &remaining, STRSAFE_ZERO_LENGTH_ON_FAILURE),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.string.Length, 0);
  Counted other(8, u"ab");
  EXPECT_EQ(RtlUnicodeStringCchCatStringNEx(&other.string, u"cdef", 2, &remaining, 0), STATUS_SUCCESS);
  EXPECT_EQ(other.str(), u"abcd");
  EXPECT_EQ(RtlUnicodeStringCbCatStringNEx(&other.string, u"ef", 2, &remaining, 0), STATUS_SUCCESS);
  EXPECT_EQ(other.str(), u"abcde");
  EXPECT_EQ(RtlUnicodeStringCchCatNEx(&other.string, &source, 1, &remaining, 0), STATUS_SUCCESS);
  EXPECT_EQ(RtlUnicodeStringCbCatNEx(&other.string, &source, 2, &remaining, 0), STATUS_SUCCESS);
  EXPECT_EQ(other.str(), u"abcdecc");
  EXPECT_EQ(RtlUnicodeStringCatStringEx(&other.string, u"x", &remaining, 0x00020000), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(other.str(), u"abcdecc");
}

NTSTATUS vprintf_into(PUNICODE_STRING dest, const WCHAR* format, ...) {
  va_list args;
  va_start(args, format);
  const NTSTATUS status = RtlUnicodeStringVPrintf(dest, format, args);
  va_end(args);
  return status;
}

NTSTATUS vprintf_ex_into(PUNICODE_STRING dest, PUNICODE_STRING remaining, DWORD flags, const WCHAR* format, ...) {
  va_list args;
  va_start(args, format);
  const NTSTATUS status = RtlUnicodeStringVPrintfEx(dest, remaining, flags, format, args);
  va_end(args);
  return status;
}

TEST(RtlUnicodeStringPrintf, FormatsWithoutATerminator) {
  Counted dest(8);
  WCHAR name_buffer[2] = {u'h', u'i'};  // not terminated
  UNICODE_STRING name{4, 4, name_buffer};
  EXPECT_EQ(RtlUnicodeStringPrintf(&dest.string, u"%wZ=%d", &name, 42), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"hi=42");
  EXPECT_EQ(RtlUnicodeStringPrintf(&dest.string, u"%s", u"12345678"), STATUS_SUCCESS);  // exact fit
  EXPECT_EQ(dest.str(), u"12345678");
  EXPECT_EQ(RtlUnicodeStringPrintf(&dest.string, u"%s", u"123456789"), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.str(), u"12345678");
  EXPECT_EQ(dest.buffer[8], kMarker);
  EXPECT_EQ(vprintf_into(&dest.string, u"%x", 0xab), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"ab");
  int n = 0;
  EXPECT_EQ(RtlUnicodeStringPrintf(&dest.string, u"%n", &n), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(dest.string.Length, 0);
}

TEST(RtlUnicodeStringPrintfEx, FlagsAndRemaining) {
  Counted dest(4);
  UNICODE_STRING remaining{};
  EXPECT_EQ(RtlUnicodeStringPrintfEx(&dest.string, &remaining, 0, u"%d", 12), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"12");
  EXPECT_EQ(remaining.Buffer, dest.buffer.data() + 2);
  EXPECT_EQ(remaining.MaximumLength, 4);
  EXPECT_EQ(RtlUnicodeStringPrintfEx(&dest.string, &remaining, STRSAFE_ZERO_LENGTH_ON_FAILURE, u"%d", 12345),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.string.Length, 0);
  EXPECT_EQ(remaining.MaximumLength, 8);
  EXPECT_EQ(vprintf_ex_into(&dest.string, &remaining, STRSAFE_IGNORE_NULLS, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(dest.string.Length, 0);
  EXPECT_EQ(vprintf_ex_into(&dest.string, &remaining, 0, u"%d", 7), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"7");
}

TEST(RtlStringCchCopyUnicodeString, CopiesLengthCharactersAndTerminates) {
  Buffer<WCHAR, 8> dest;
  const WCHAR with_null[3] = {u'a', 0, u'b'};
  UNICODE_STRING source{6, 6, const_cast<WCHAR*>(with_null)};
  EXPECT_EQ(RtlStringCchCopyUnicodeString(dest.data, 8, &source), STATUS_SUCCESS);
  EXPECT_EQ(dest.data[0], u'a');
  EXPECT_EQ(dest.data[1], 0);
  EXPECT_EQ(dest.data[2], u'b');
  EXPECT_EQ(dest.data[3], 0);

  UNICODE_STRING abc = counted(u"abc");
  EXPECT_EQ(RtlStringCchCopyUnicodeString(dest.data, 3, &abc), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.str(), u"ab");
  EXPECT_EQ(RtlStringCbCopyUnicodeString(dest.data, 8, &abc), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"abc");

  UNICODE_STRING invalid{3, 6, abc.Buffer};
  EXPECT_EQ(RtlStringCchCopyUnicodeString(dest.data, 8, &invalid), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(dest.str(), u"");
  dest.fill(dest.kMarker);
  EXPECT_EQ(RtlStringCchCopyUnicodeString(dest.data, NTSTRSAFE_UNICODE_STRING_MAX_CCH + 1, &abc),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(dest.data[0], dest.kMarker);
}

TEST(RtlStringCbCopyUnicodeStringEx, ReportsBytesAndHonoursFlags) {
  Buffer<WCHAR, 8> dest;
  UNICODE_STRING abc = counted(u"abc");
  WCHAR* end = nullptr;
  std::size_t remaining = 0;
  EXPECT_EQ(RtlStringCbCopyUnicodeStringEx(dest.data, 16, &abc, &end, &remaining, 0), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"abc");
  EXPECT_EQ(end, dest.data + 3);
  EXPECT_EQ(remaining, 10u);
  EXPECT_EQ(RtlStringCchCopyUnicodeStringEx(dest.data, 3, &abc, &end, &remaining, STRSAFE_NULL_ON_FAILURE),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.str(), u"");
  EXPECT_EQ(remaining, 3u);
  EXPECT_EQ(RtlStringCchCopyUnicodeStringEx(dest.data, 8, nullptr, &end, &remaining, STRSAFE_IGNORE_NULLS),
            STATUS_SUCCESS);
  EXPECT_EQ(remaining, 8u);
  EXPECT_EQ(RtlStringCchCopyUnicodeStringEx(dest.data, 8, nullptr, &end, &remaining, 0), STATUS_INVALID_PARAMETER);
}

}  // namespace
}  // namespace wdmlab::rtl::test
