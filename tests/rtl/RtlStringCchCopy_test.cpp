// RtlStringCchCopy{A,W}, RtlStringCbCopy{A,W} and the N forms: results and truncation for every
// documented case, for both character widths.
#include <gtest/gtest.h>

#include "rtl/test_support.hpp"

namespace wdmlab::rtl::test {
namespace {

template <class Char>
class RtlStringCopy : public ::testing::Test {};
using CharTypes = ::testing::Types<char, WCHAR>;
TYPED_TEST_SUITE(RtlStringCopy, CharTypes);

struct CopyCase {
  const char* name;
  std::size_t cch;     // destination size in characters (the buffer itself holds 8)
  const char* source;  // nullptr: a NULL source
  NTSTATUS status;
  const char* result;  // nullptr: the destination is not touched at all
};

constexpr std::size_t kHuge = static_cast<std::size_t>(NTSTRSAFE_MAX_CCH) + 1;

const CopyCase kCopyCases[] = {
    {"fits", 8, "abc", STATUS_SUCCESS, "abc"},
    {"exact fit", 4, "abc", STATUS_SUCCESS, "abc"},
    {"truncated by one", 3, "abc", STATUS_BUFFER_OVERFLOW, "ab"},
    {"room for the terminator only", 1, "abc", STATUS_BUFFER_OVERFLOW, ""},
    {"empty source", 8, "", STATUS_SUCCESS, ""},
    {"zero size", 0, "abc", STATUS_INVALID_PARAMETER, nullptr},
    {"size above NTSTRSAFE_MAX_CCH", kHuge, "abc", STATUS_INVALID_PARAMETER, ""},
    {"size of exactly NTSTRSAFE_MAX_CCH", NTSTRSAFE_MAX_CCH, "abc", STATUS_SUCCESS, "abc"},
    {"NULL source", 8, nullptr, STATUS_INVALID_PARAMETER, ""},
};

TYPED_TEST(RtlStringCopy, CchTable) {
  using Char = TypeParam;
  for (const CopyCase& c : kCopyCases) {
    SCOPED_TRACE(c.name);
    Buffer<Char, 8> dest;
    const auto source = c.source != nullptr ? text<Char>(c.source) : std::basic_string<Char>();
    EXPECT_EQ(StrSafe<Char>::CchCopy(dest.data, c.cch, c.source != nullptr ? source.c_str() : nullptr), c.status);
    if (c.result == nullptr) {
      EXPECT_EQ(dest.data[0], dest.kMarker);
    } else {
      EXPECT_EQ(dest.str(), text<Char>(c.result));
    }
  }
}

TYPED_TEST(RtlStringCopy, CbTableCountsBytes) {
  using Char = TypeParam;
  for (const CopyCase& c : kCopyCases) {
    if (c.cch == kHuge || c.cch == NTSTRSAFE_MAX_CCH) continue;  // covered below in bytes
    SCOPED_TRACE(c.name);
    Buffer<Char, 8> dest;
    const auto source = c.source != nullptr ? text<Char>(c.source) : std::basic_string<Char>();
    EXPECT_EQ(StrSafe<Char>::CbCopy(dest.data, c.cch * sizeof(Char), c.source != nullptr ? source.c_str() : nullptr),
              c.status);
    if (c.result == nullptr) {
      EXPECT_EQ(dest.data[0], dest.kMarker);
    } else {
      EXPECT_EQ(dest.str(), text<Char>(c.result));
    }
  }
}

TYPED_TEST(RtlStringCopy, CbSizeLimitIsMaxCchCharacters) {
  using Char = TypeParam;
  Buffer<Char, 8> dest;
  const auto source = text<Char>("abc");
  EXPECT_EQ(
      StrSafe<Char>::CbCopy(dest.data, static_cast<std::size_t>(NTSTRSAFE_MAX_CCH) * sizeof(Char), source.c_str()),
      STATUS_SUCCESS);
  EXPECT_EQ(StrSafe<Char>::CbCopy(dest.data, kHuge * sizeof(Char), source.c_str()), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(dest.data[0], Char(0));
}

TEST(RtlStringCbCopyW, OddByteCountLeavesTheLastByteUnused) {
  Buffer<WCHAR, 8> dest;
  // 7 bytes hold 3 characters: "abc" needs 4.
  EXPECT_EQ(RtlStringCbCopyW(dest.data, 7, u"abc"), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.str(), u"ab");
  EXPECT_EQ(dest.data[3], dest.kMarker);
  EXPECT_EQ(RtlStringCbCopyW(dest.data, 9, u"abc"), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"abc");
  // One byte holds no character at all.
  dest.fill(dest.kMarker);
  EXPECT_EQ(RtlStringCbCopyW(dest.data, 1, u"abc"), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(dest.data[0], dest.kMarker);
}

struct CopyNCase {
  const char* name;
  std::size_t cch;
  const char* source;
  std::size_t count;
  NTSTATUS status;
  const char* result;
};

const CopyNCase kCopyNCases[] = {
    {"count shorter than source", 8, "abcdef", 3, STATUS_SUCCESS, "abc"},
    {"count longer than source", 8, "ab", 10, STATUS_SUCCESS, "ab"},
    {"count zero", 8, "abc", 0, STATUS_SUCCESS, ""},
    {"count fills the buffer without room for the terminator", 4, "abcdef", 4, STATUS_BUFFER_OVERFLOW, "abc"},
    {"count exact fit", 4, "abcdef", 3, STATUS_SUCCESS, "abc"},
    {"count above NTSTRSAFE_MAX_LENGTH", 8, "abc", NTSTRSAFE_MAX_CCH, STATUS_INVALID_PARAMETER, ""},
    {"count of NTSTRSAFE_MAX_LENGTH", 8, "abc", NTSTRSAFE_MAX_LENGTH, STATUS_SUCCESS, "abc"},
    {"zero size", 0, "abc", 2, STATUS_INVALID_PARAMETER, nullptr},
};

TYPED_TEST(RtlStringCopy, CchCopyNTable) {
  using Char = TypeParam;
  for (const CopyNCase& c : kCopyNCases) {
    SCOPED_TRACE(c.name);
    Buffer<Char, 8> dest;
    const auto source = text<Char>(c.source);
    EXPECT_EQ(StrSafe<Char>::CchCopyN(dest.data, c.cch, source.c_str(), c.count), c.status);
    if (c.result == nullptr) {
      EXPECT_EQ(dest.data[0], dest.kMarker);
    } else {
      EXPECT_EQ(dest.str(), text<Char>(c.result));
    }
  }
}

TYPED_TEST(RtlStringCopy, CopyNReadsOnlyCountCharactersOfAnUnterminatedSource) {
  using Char = TypeParam;
  const Char unterminated[3] = {Char('x'), Char('y'), Char('z')};
  Buffer<Char, 8> dest;
  EXPECT_EQ(StrSafe<Char>::CchCopyN(dest.data, 8, unterminated, 3), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), text<Char>("xyz"));
  EXPECT_EQ(StrSafe<Char>::CbCopyN(dest.data, 8 * sizeof(Char), unterminated, 2 * sizeof(Char)), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), text<Char>("xy"));
}

TYPED_TEST(RtlStringCopy, CbCopyNLeavesAnInvalidDestinationUntouched) {
  using Char = TypeParam;
  Buffer<Char, 8> dest;
  const auto source = text<Char>("abc");
  EXPECT_EQ(StrSafe<Char>::CbCopyN(dest.data, kHuge * sizeof(Char), source.c_str(), 3), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(dest.data[0], dest.kMarker);
}

TEST(RtlStringCbCopyNW, OddByteCountsRoundDown) {
  Buffer<WCHAR, 8> dest;
  EXPECT_EQ(RtlStringCbCopyNW(dest.data, 16, u"abcdef", 5), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"ab");
}

}  // namespace
}  // namespace wdmlab::rtl::test
