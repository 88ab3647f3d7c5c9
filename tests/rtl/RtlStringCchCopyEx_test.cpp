// RtlStringCchCopyEx{A,W}, RtlStringCbCopyEx{A,W} and RtlStringCch/CbCopyNEx: every flag, the end
// pointer and the remaining space, for both character widths.
#include <gtest/gtest.h>

#include "rtl/test_support.hpp"

namespace wdmlab::rtl::test {
namespace {

template <class Char>
class RtlStringCopyEx : public ::testing::Test {};
using CharTypes = ::testing::Types<char, WCHAR>;
TYPED_TEST_SUITE(RtlStringCopyEx, CharTypes);

constexpr std::size_t kUntouched = 0xDEAD;  // sentinel for outputs that must not be written

struct ExCase {
  const char* name;
  DWORD flags;
  std::size_t cch;
  const char* source;  // nullptr: NULL
  NTSTATUS status;
  const char* result;  // the string now at the start of the destination (nullptr: checked bytewise elsewhere)
  std::size_t end;     // offset of *ppszDestEnd, or kUntouched
  std::size_t remaining;
};

const ExCase kExCases[] = {
    {"no flags, fits", 0, 8, "abc", STATUS_SUCCESS, "abc", 3, 5},
    {"no flags, exact fit", 0, 4, "abc", STATUS_SUCCESS, "abc", 3, 1},
    {"no flags, truncated", 0, 3, "abc", STATUS_BUFFER_OVERFLOW, "ab", 2, 1},
    {"FILL_ON_FAILURE truncation is overwritten", STRSAFE_FAILURE_BYTE('@'), 3, "abc", STATUS_BUFFER_OVERFLOW, nullptr,
     2, 1},
    {"FILL_ON_FAILURE with fill byte 0", STRSAFE_FAILURE_BYTE(0), 3, "abc", STATUS_BUFFER_OVERFLOW, "", 0, 3},
    {"NULL_ON_FAILURE", STRSAFE_NULL_ON_FAILURE, 3, "abc", STATUS_BUFFER_OVERFLOW, "", 0, 3},
    {"NO_TRUNCATION", STRSAFE_NO_TRUNCATION, 3, "abc", STATUS_BUFFER_OVERFLOW, "", 0, 3},
    {"failure flags do nothing on success", STRSAFE_FAILURE_BYTE('@') | STRSAFE_NULL_ON_FAILURE, 8, "abc",
     STATUS_SUCCESS, "abc", 3, 5},
    {"invalid flag", 0x00002000, 8, "abc", STATUS_INVALID_PARAMETER, "", kUntouched, kUntouched},
    {"NULL source ignored", STRSAFE_IGNORE_NULLS, 8, nullptr, STATUS_SUCCESS, "", 0, 8},
    {"NULL source without IGNORE_NULLS", 0, 8, nullptr, STATUS_INVALID_PARAMETER, "", kUntouched, kUntouched},
    {"zero size without IGNORE_NULLS", 0, 0, "abc", STATUS_INVALID_PARAMETER, "XXXXXXX", kUntouched, kUntouched},
    {"zero size with IGNORE_NULLS and a source", STRSAFE_IGNORE_NULLS, 0, "abc", STATUS_BUFFER_OVERFLOW, "XXXXXXX", 0,
     0},
    {"zero size with IGNORE_NULLS and an empty source", STRSAFE_IGNORE_NULLS, 0, "", STATUS_SUCCESS, "XXXXXXX", 0, 0},
    {"size above NTSTRSAFE_MAX_CCH", STRSAFE_IGNORE_NULLS, static_cast<std::size_t>(NTSTRSAFE_MAX_CCH) + 1, "abc",
     STATUS_INVALID_PARAMETER, "", kUntouched, kUntouched},
};

template <class Char>
void check_case(const ExCase& c, bool bytes) {
  SCOPED_TRACE(c.name);
  SCOPED_TRACE(bytes ? "Cb" : "Cch");
  Buffer<Char, 8> dest;
  dest.data[7] = Char(0);
  const auto source = c.source != nullptr ? text<Char>(c.source) : std::basic_string<Char>();
  Char* end = reinterpret_cast<Char*>(kUntouched);
  std::size_t remaining = kUntouched;
  const Char* src = c.source != nullptr ? source.c_str() : nullptr;
  const NTSTATUS status = bytes
                              ? StrSafe<Char>::CbCopyEx(dest.data, c.cch * sizeof(Char), src, &end, &remaining, c.flags)
                              : StrSafe<Char>::CchCopyEx(dest.data, c.cch, src, &end, &remaining, c.flags);
  EXPECT_EQ(status, c.status);
  if (c.result != nullptr) {
    EXPECT_EQ(dest.str(), text<Char>(c.result));
  }
  if (c.end == kUntouched) {
    EXPECT_EQ(end, reinterpret_cast<Char*>(kUntouched));
    EXPECT_EQ(remaining, kUntouched);
  } else {
    EXPECT_EQ(end, dest.data + c.end);
    EXPECT_EQ(remaining, bytes ? c.remaining * sizeof(Char) : c.remaining);
  }
}

TYPED_TEST(RtlStringCopyEx, FlagTable) {
  for (const ExCase& c : kExCases) {
    check_case<TypeParam>(c, false);
    if (c.cch <= NTSTRSAFE_MAX_CCH) check_case<TypeParam>(c, true);
  }
}

TYPED_TEST(RtlStringCopyEx, FillBehindNullFillsEverythingAfterTheTerminator) {
  using Char = TypeParam;
  Buffer<Char, 8> dest;
  const auto source = text<Char>("ab");
  Char* end = nullptr;
  std::size_t remaining = 0;
  EXPECT_EQ(StrSafe<Char>::CchCopyEx(dest.data, 8, source.c_str(), &end, &remaining, STRSAFE_FILL_BYTE(0x41)),
            STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), source);
  EXPECT_EQ(end, dest.data + 2);
  EXPECT_EQ(remaining, 6u);
  for (std::size_t i = 3 * sizeof(Char); i < sizeof(dest.data); ++i) EXPECT_EQ(dest.bytes()[i], 0x41) << i;
}

TYPED_TEST(RtlStringCopyEx, FillOnFailureFillsTheWholeBufferAndTerminatesIt) {
  using Char = TypeParam;
  Buffer<Char, 4> dest;
  const auto source = text<Char>("abcdef");
  Char* end = nullptr;
  std::size_t remaining = 0;
  EXPECT_EQ(StrSafe<Char>::CchCopyEx(dest.data, 4, source.c_str(), &end, &remaining, STRSAFE_FAILURE_BYTE(0x41)),
            STATUS_BUFFER_OVERFLOW);
  for (std::size_t i = 0; i < 3 * sizeof(Char); ++i) EXPECT_EQ(dest.bytes()[i], 0x41) << i;
  EXPECT_EQ(dest.data[3], Char(0));
  EXPECT_EQ(end, dest.data + 3);
  EXPECT_EQ(remaining, 1u);
}

TYPED_TEST(RtlStringCopyEx, NullDestinationNeedsIgnoreNullsAndZeroSize) {
  using Char = TypeParam;
  const auto source = text<Char>("a");
  const auto empty = text<Char>("");
  Char* end = reinterpret_cast<Char*>(kUntouched);
  std::size_t remaining = kUntouched;
  EXPECT_EQ(StrSafe<Char>::CchCopyEx(nullptr, 0, nullptr, &end, &remaining, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
  EXPECT_EQ(end, nullptr);
  EXPECT_EQ(remaining, 0u);
  EXPECT_EQ(StrSafe<Char>::CchCopyEx(nullptr, 0, empty.c_str(), nullptr, nullptr, STRSAFE_IGNORE_NULLS),
            STATUS_SUCCESS);
  EXPECT_EQ(StrSafe<Char>::CchCopyEx(nullptr, 0, source.c_str(), nullptr, nullptr, STRSAFE_IGNORE_NULLS),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(StrSafe<Char>::CchCopyEx(nullptr, 4, source.c_str(), nullptr, nullptr, STRSAFE_IGNORE_NULLS),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(StrSafe<Char>::CchCopyEx(nullptr, 4, source.c_str(), nullptr, nullptr, 0), STATUS_INVALID_PARAMETER);
}

TYPED_TEST(RtlStringCopyEx, CopyNExLimitsTheSourceAndHonoursFlags) {
  using Char = TypeParam;
  Buffer<Char, 8> dest;
  const auto source = text<Char>("abcdef");
  Char* end = nullptr;
  std::size_t remaining = 0;
  EXPECT_EQ(StrSafe<Char>::CchCopyNEx(dest.data, 8, source.c_str(), 2, &end, &remaining, 0), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), text<Char>("ab"));
  EXPECT_EQ(remaining, 6u);
  EXPECT_EQ(StrSafe<Char>::CchCopyNEx(dest.data, 3, source.c_str(), 5, &end, &remaining, STRSAFE_NO_TRUNCATION),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.str(), text<Char>(""));
  EXPECT_EQ(StrSafe<Char>::CchCopyNEx(dest.data, 8, nullptr, 5, &end, &remaining, STRSAFE_IGNORE_NULLS),
            STATUS_SUCCESS);
  EXPECT_EQ(remaining, 8u);
  EXPECT_EQ(StrSafe<Char>::CchCopyNEx(dest.data, 8, source.c_str(), NTSTRSAFE_MAX_CCH, &end, &remaining, 0),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(
      StrSafe<Char>::CbCopyNEx(dest.data, 8 * sizeof(Char), source.c_str(), 3 * sizeof(Char), &end, &remaining, 0),
      STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), text<Char>("abc"));
  EXPECT_EQ(remaining, 5 * sizeof(Char));
}

TEST(RtlStringCbCopyExW, OddByteCountIsRemainingAndFilled) {
  Buffer<WCHAR, 5> dest;  // 10 bytes; the call is given 9
  WCHAR* end = nullptr;
  std::size_t remaining = 0;
  EXPECT_EQ(RtlStringCbCopyExW(dest.data, 9, u"ab", &end, &remaining, STRSAFE_FILL_BYTE(0x41)), STATUS_SUCCESS);
  EXPECT_EQ(dest.str(), u"ab");
  EXPECT_EQ(end, dest.data + 2);
  EXPECT_EQ(remaining, 2 * sizeof(WCHAR) + 1);
  for (std::size_t i = 6; i < 9; ++i) EXPECT_EQ(dest.bytes()[i], 0x41) << i;
  EXPECT_EQ(dest.bytes()[9], 0x00);  // the tenth byte is the marker's high byte, outside the 9 given

  dest.fill(dest.kMarker);
  EXPECT_EQ(RtlStringCbCopyExW(dest.data, 9, u"abcdef", &end, &remaining, STRSAFE_FAILURE_BYTE(0x41)),
            STATUS_BUFFER_OVERFLOW);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(dest.bytes()[i], 0x41) << i;
  EXPECT_EQ(dest.data[3], WCHAR(0));
  EXPECT_EQ(dest.bytes()[8], 0x41);
  EXPECT_EQ(end, dest.data + 3);
  EXPECT_EQ(remaining, 1 * sizeof(WCHAR) + 1);

  dest.fill(dest.kMarker);
  EXPECT_EQ(RtlStringCbCopyExW(dest.data, 1, u"a", &end, &remaining, STRSAFE_IGNORE_NULLS), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(end, dest.data);
  EXPECT_EQ(remaining, 1u);
  EXPECT_EQ(dest.data[0], dest.kMarker);
}

}  // namespace
}  // namespace wdmlab::rtl::test
