// RtlStringCch/CbCat{A,W}, CatEx, CatN and CatNEx.
#include <gtest/gtest.h>

#include "rtl/test_support.hpp"

namespace wdmlab::rtl::test {
namespace {

template <class Char>
class RtlStringCat : public ::testing::Test {};
using CharTypes = ::testing::Types<char, WCHAR>;
TYPED_TEST_SUITE(RtlStringCat, CharTypes);

struct CatCase {
  const char* name;
  const char* initial;  // nullptr: the buffer holds no terminator at all
  std::size_t cch;
  const char* source;
  NTSTATUS status;
  const char* result;  // nullptr: unchanged (no terminator)
};

const CatCase kCatCases[] = {
    {"fits", "ab", 8, "cd", STATUS_SUCCESS, "abcd"},
    {"exact fit", "ab", 5, "cd", STATUS_SUCCESS, "abcd"},
    {"truncated by one", "ab", 4, "cd", STATUS_BUFFER_OVERFLOW, "abc"},
    {"destination already full", "abc", 4, "d", STATUS_BUFFER_OVERFLOW, "abc"},
    {"destination full, empty source", "abc", 4, "", STATUS_SUCCESS, "abc"},
    {"destination not terminated within its size", "abcdef", 4, "x", STATUS_INVALID_PARAMETER, "abcdef"},
    {"no terminator at all", nullptr, 8, "x", STATUS_INVALID_PARAMETER, nullptr},
    {"zero size", "ab", 0, "cd", STATUS_INVALID_PARAMETER, "ab"},
};

TYPED_TEST(RtlStringCat, Table) {
  using Char = TypeParam;
  for (bool bytes : {false, true}) {
    for (const CatCase& c : kCatCases) {
      SCOPED_TRACE(c.name);
      SCOPED_TRACE(bytes ? "Cb" : "Cch");
      Buffer<Char, 8> dest;
      if (c.initial != nullptr) dest.set(c.initial);
      const auto source = text<Char>(c.source);
      const NTSTATUS status = bytes ? StrSafe<Char>::CbCat(dest.data, c.cch * sizeof(Char), source.c_str())
                                    : StrSafe<Char>::CchCat(dest.data, c.cch, source.c_str());
      EXPECT_EQ(status, c.status);
      if (c.result == nullptr) {
        for (Char ch : dest.data) EXPECT_EQ(ch, dest.kMarker);
      } else {
        EXPECT_EQ(dest.str(), text<Char>(c.result));
      }
    }
  }
}

TYPED_TEST(RtlStringCat, NoTruncationKeepsTheOriginalString) {
  using Char = TypeParam;
  Buffer<Char, 8> dest;
  dest.set("ab");
  const auto source = text<Char>("cd");
  Char* end = nullptr;
  std::size_t remaining = 0;
  EXPECT_EQ(StrSafe<Char>::CchCatEx(dest.data, 4, source.c_str(), &end, &remaining, STRSAFE_NO_TRUNCATION),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.str(), text<Char>("ab"));
  EXPECT_EQ(end, dest.data + 2);
  EXPECT_EQ(remaining, 2u);
}

TYPED_TEST(RtlStringCat, NullOnFailureEmptiesTheOriginalString) {
  using Char = TypeParam;
  Buffer<Char, 8> dest;
  dest.set("ab");
  const auto source = text<Char>("cd");
  Char* end = nullptr;
  std::size_t remaining = 0;
  EXPECT_EQ(
      StrSafe<Char>::CbCatEx(dest.data, 4 * sizeof(Char), source.c_str(), &end, &remaining, STRSAFE_NULL_ON_FAILURE),
      STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.str(), text<Char>(""));
  EXPECT_EQ(end, dest.data);
  EXPECT_EQ(remaining, 4 * sizeof(Char));
}

TYPED_TEST(RtlStringCat, ExReportsTheEndAndFillsBehindIt) {
  using Char = TypeParam;
  Buffer<Char, 8> dest;
  dest.set("ab");
  const auto source = text<Char>("c");
  Char* end = nullptr;
  std::size_t remaining = 0;
  EXPECT_EQ(StrSafe<Char>::CchCatEx(dest.data, 8, source.c_str(), &end, &remaining, STRSAFE_FILL_BYTE(0x41)),
            STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), text<Char>("abc"));
  EXPECT_EQ(end, dest.data + 3);
  EXPECT_EQ(remaining, 5u);
  for (std::size_t i = 4 * sizeof(Char); i < sizeof(dest.data); ++i) EXPECT_EQ(dest.bytes()[i], 0x41) << i;
}

TYPED_TEST(RtlStringCat, ExOnAFullDestinationReportsItsEnd) {
  using Char = TypeParam;
  Buffer<Char, 8> dest;
  dest.set("abc");
  const auto source = text<Char>("d");
  Char* end = nullptr;
  std::size_t remaining = 0;
  EXPECT_EQ(StrSafe<Char>::CchCatEx(dest.data, 4, source.c_str(), &end, &remaining, 0), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.str(), text<Char>("abc"));
  EXPECT_EQ(end, dest.data + 3);
  EXPECT_EQ(remaining, 1u);
}

TYPED_TEST(RtlStringCat, ExWithNullsAndBadFlags) {
  using Char = TypeParam;
  Buffer<Char, 8> dest;
  dest.set("ab");
  Char* end = nullptr;
  std::size_t remaining = 0;
  EXPECT_EQ(StrSafe<Char>::CchCatEx(dest.data, 8, nullptr, &end, &remaining, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
  EXPECT_EQ(end, dest.data + 2);
  EXPECT_EQ(remaining, 6u);
  EXPECT_EQ(StrSafe<Char>::CchCatEx(dest.data, 8, nullptr, &end, &remaining, 0), STATUS_INVALID_PARAMETER);
  const auto source = text<Char>("c");
  EXPECT_EQ(StrSafe<Char>::CchCatEx(dest.data, 8, source.c_str(), &end, &remaining, 0x10000), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(dest.str(), text<Char>("ab"));  // a failed Cat leaves the destination alone
  EXPECT_EQ(StrSafe<Char>::CchCatEx(nullptr, 0, source.c_str(), &end, &remaining, STRSAFE_IGNORE_NULLS),
            STATUS_INVALID_PARAMETER);
}

TYPED_TEST(RtlStringCat, CatNAppendsAtMostCountCharacters) {
  using Char = TypeParam;
  Buffer<Char, 8> dest;
  dest.set("ab");
  const auto source = text<Char>("cdef");
  EXPECT_EQ(StrSafe<Char>::CchCatN(dest.data, 8, source.c_str(), 2), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), text<Char>("abcd"));
  EXPECT_EQ(StrSafe<Char>::CbCatN(dest.data, 8 * sizeof(Char), source.c_str(), 1 * sizeof(Char)), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), text<Char>("abcdc"));
  EXPECT_EQ(StrSafe<Char>::CchCatN(dest.data, 8, source.c_str(), NTSTRSAFE_MAX_CCH), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(dest.str(), text<Char>("abcdc"));
  EXPECT_EQ(StrSafe<Char>::CchCatN(dest.data, 8, source.c_str(), 10), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.str(), text<Char>("abcdccd"));

  dest.set("ab");
  Char* end = nullptr;
  std::size_t remaining = 0;
  EXPECT_EQ(StrSafe<Char>::CchCatNEx(dest.data, 8, source.c_str(), 1, &end, &remaining, 0), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), text<Char>("abc"));
  EXPECT_EQ(remaining, 5u);
  EXPECT_EQ(StrSafe<Char>::CbCatNEx(dest.data, 6 * sizeof(Char), source.c_str(), 9 * sizeof(Char), &end, &remaining,
                                    STRSAFE_NO_TRUNCATION),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.str(), text<Char>("abc"));
  EXPECT_EQ(end, dest.data + 3);
  EXPECT_EQ(remaining, 3 * sizeof(Char));
}

}  // namespace
}  // namespace wdmlab::rtl::test
