// RtlStringCch/CbPrintf{A,W}, the V and Ex forms: truncation, the Ex outputs and flags, and %n.
#include <gtest/gtest.h>

#include "rtl/test_support.hpp"

namespace wdmlab::rtl::test {
namespace {

template <class Char>
class RtlStringPrintf : public ::testing::Test {};
using CharTypes = ::testing::Types<char, WCHAR>;
TYPED_TEST_SUITE(RtlStringPrintf, CharTypes);

struct PrintfCase {
  const char* name;
  std::size_t cch;
  NTSTATUS status;
  const char* result;  // nullptr: untouched
};

// Every case formats "%s%d" with "hell" and 0, which gives "hell0".
const PrintfCase kPrintfCases[] = {
    {"fits", 8, STATUS_SUCCESS, "hell0"},
    {"exact fit", 6, STATUS_SUCCESS, "hell0"},
    {"truncated by one", 5, STATUS_BUFFER_OVERFLOW, "hell"},
    {"room for the terminator only", 1, STATUS_BUFFER_OVERFLOW, ""},
    {"zero size", 0, STATUS_INVALID_PARAMETER, nullptr},
};

TYPED_TEST(RtlStringPrintf, Table) {
  using Char = TypeParam;
  const auto format = text<Char>(sizeof(Char) == 1 ? "%s%d" : "%s%d");
  const auto word = text<Char>("hell");
  for (bool bytes : {false, true}) {
    for (const PrintfCase& c : kPrintfCases) {
      SCOPED_TRACE(c.name);
      SCOPED_TRACE(bytes ? "Cb" : "Cch");
      Buffer<Char, 8> dest;
      const NTSTATUS status =
          bytes ? StrSafe<Char>::CbPrintf(dest.data, c.cch * sizeof(Char), format.c_str(), word.c_str(), 0)
                : StrSafe<Char>::CchPrintf(dest.data, c.cch, format.c_str(), word.c_str(), 0);
      EXPECT_EQ(status, c.status);
      if (c.result == nullptr) {
        EXPECT_EQ(dest.data[0], dest.kMarker);
      } else {
        EXPECT_EQ(dest.str(), text<Char>(c.result));
      }
    }
  }
}

template <class Char>
NTSTATUS call_vprintf(Char* dest, std::size_t cch, const Char* format, ...) {
  va_list args;
  va_start(args, format);
  const NTSTATUS status = StrSafe<Char>::CchVPrintf(dest, cch, format, args);
  va_end(args);
  return status;
}

template <class Char>
NTSTATUS call_vprintf_ex(Char* dest, std::size_t cb, Char** end, std::size_t* remaining, DWORD flags,
                         const Char* format, ...) {
  va_list args;
  va_start(args, format);
  const NTSTATUS status = StrSafe<Char>::CbVPrintfEx(dest, cb, end, remaining, flags, format, args);
  va_end(args);
  return status;
}

TYPED_TEST(RtlStringPrintf, VPrintfFormsTakeAVaList) {
  using Char = TypeParam;
  Buffer<Char, 16> dest;
  const auto format = text<Char>("%d-%x");
  EXPECT_EQ(call_vprintf<Char>(dest.data, 16, format.c_str(), 12, 255), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), text<Char>("12-ff"));
  Char* end = nullptr;
  std::size_t remaining = 0;
  EXPECT_EQ(call_vprintf_ex<Char>(dest.data, 16 * sizeof(Char), &end, &remaining, 0, format.c_str(), 1, 2),
            STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), text<Char>("1-2"));
  EXPECT_EQ(end, dest.data + 3);
  EXPECT_EQ(remaining, 13 * sizeof(Char));
}

TYPED_TEST(RtlStringPrintf, ExOutputsAndFlags) {
  using Char = TypeParam;
  Buffer<Char, 8> dest;
  const auto format = text<Char>("%d");
  Char* end = nullptr;
  std::size_t remaining = 0;
  EXPECT_EQ(StrSafe<Char>::CchPrintfEx(dest.data, 8, &end, &remaining, STRSAFE_FILL_BYTE(0x41), format.c_str(), 123),
            STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), text<Char>("123"));
  EXPECT_EQ(end, dest.data + 3);
  EXPECT_EQ(remaining, 5u);
  EXPECT_EQ(dest.bytes()[sizeof(dest.data) - 1], 0x41);

  EXPECT_EQ(StrSafe<Char>::CchPrintfEx(dest.data, 3, &end, &remaining, STRSAFE_NULL_ON_FAILURE, format.c_str(), 123),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.str(), text<Char>(""));
  EXPECT_EQ(end, dest.data);
  EXPECT_EQ(remaining, 3u);

  EXPECT_EQ(StrSafe<Char>::CchPrintfEx(dest.data, 8, &end, &remaining, STRSAFE_IGNORE_NULLS, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), text<Char>(""));
  EXPECT_EQ(remaining, 8u);
  EXPECT_EQ(StrSafe<Char>::CchPrintfEx(dest.data, 8, &end, &remaining, 0, nullptr), STATUS_INVALID_PARAMETER);

  EXPECT_EQ(StrSafe<Char>::CchPrintfEx(nullptr, 0, &end, &remaining, STRSAFE_IGNORE_NULLS, format.c_str(), 1),
            STATUS_INVALID_PARAMETER);
  dest.fill(dest.kMarker);
  EXPECT_EQ(StrSafe<Char>::CchPrintfEx(dest.data, 0, &end, &remaining, STRSAFE_IGNORE_NULLS, format.c_str(), 1),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.data[0], dest.kMarker);
}

TYPED_TEST(RtlStringPrintf, PercentNIsRejected) {
  using Char = TypeParam;
  Buffer<Char, 8> dest;
  const auto format = text<Char>("ab%n");
  int written = -1;
  EXPECT_EQ(StrSafe<Char>::CchPrintf(dest.data, 8, format.c_str(), &written), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(written, -1);
  EXPECT_EQ(dest.str(), text<Char>(""));
  Char* end = reinterpret_cast<Char*>(1);
  std::size_t remaining = 77;
  EXPECT_EQ(
      StrSafe<Char>::CchPrintfEx(dest.data, 8, &end, &remaining, STRSAFE_FAILURE_BYTE(0), format.c_str(), &written),
      STATUS_INVALID_PARAMETER);
  EXPECT_EQ(dest.bytes()[sizeof(dest.data) - 1], 0);  // FILL_ON_FAILURE applied
  EXPECT_EQ(remaining, 77u);                          // no outputs on STATUS_INVALID_PARAMETER
}

TEST(RtlStringCchPrintfA, FloatingPointIsSupported) {
  char dest[64];
  EXPECT_EQ(RtlStringCchPrintfA(dest, sizeof(dest), "%.2f|%e|%g|%8.3f|%d", 3.14159, 1234.5, 0.5, 2.5, 7),
            STATUS_SUCCESS);
  EXPECT_STREQ(dest, "3.14|1.234500e+03|0.5|   2.500|7");
}

TEST(RtlStringCchPrintfW, StringsFollowTheFormatWidth) {
  WCHAR dest[32];
  EXPECT_EQ(RtlStringCchPrintfW(dest, 32, u"%s|%S|%hs|%ls|%c|%C", u"wide", "narrow", "h", u"l", u'W', 'n'),
            STATUS_SUCCESS);
  EXPECT_EQ(std::u16string(dest), u"wide|narrow|h|l|W|n");
}

}  // namespace
}  // namespace wdmlab::rtl::test
