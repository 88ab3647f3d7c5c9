// RtlStringCch/CbLength{A,W} and RtlUnalignedStringCch/CbLengthW.
#include <gtest/gtest.h>

#include "rtl/test_support.hpp"

namespace wdmlab::rtl::test {
namespace {

TEST(RtlStringCchLengthA, Table) {
  struct Case {
    const char* name;
    const char* string;
    std::size_t cch_max;
    NTSTATUS status;
    std::size_t length;
  };
  const Case cases[] = {
      {"fits", "abc", 8, STATUS_SUCCESS, 3},
      {"terminator is the last allowed character", "abc", 4, STATUS_SUCCESS, 3},
      {"terminator beyond the maximum", "abc", 3, STATUS_INVALID_PARAMETER, 0},
      {"maximum of zero", "abc", 0, STATUS_INVALID_PARAMETER, 0},
      {"maximum above NTSTRSAFE_MAX_CCH", "abc", static_cast<std::size_t>(NTSTRSAFE_MAX_CCH) + 1,
       STATUS_INVALID_PARAMETER, 0},
      {"NULL", nullptr, 8, STATUS_INVALID_PARAMETER, 0},
      {"empty", "", 1, STATUS_SUCCESS, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::size_t length = 99;
    EXPECT_EQ(RtlStringCchLengthA(c.string, c.cch_max, &length), c.status);
    EXPECT_EQ(length, c.length);
  }
  EXPECT_EQ(RtlStringCchLengthA("abc", 4, nullptr), STATUS_SUCCESS);
}

TEST(RtlStringCbLengthW, CountsBytesAndRoundsTheMaximumDown) {
  std::size_t bytes = 99;
  EXPECT_EQ(RtlStringCbLengthW(u"abc", 8, &bytes), STATUS_SUCCESS);
  EXPECT_EQ(bytes, 6u);
  EXPECT_EQ(RtlStringCbLengthW(u"abc", 7, &bytes), STATUS_INVALID_PARAMETER);  // 3 characters: no room for L'\0'
  EXPECT_EQ(bytes, 0u);
  EXPECT_EQ(RtlStringCbLengthW(u"abc", 9, &bytes), STATUS_SUCCESS);
  EXPECT_EQ(bytes, 6u);
  EXPECT_EQ(RtlStringCbLengthA("abc", 4, &bytes), STATUS_SUCCESS);
  EXPECT_EQ(bytes, 3u);
}

TEST(RtlUnalignedStringCchLengthW, ReadsUnalignedStrings) {
  alignas(2) unsigned char storage[16] = {};
  const char16_t text[] = u"hey";
  std::memcpy(storage + 1, text, sizeof(text));
  std::size_t length = 0;
  EXPECT_EQ(RtlUnalignedStringCchLengthW(reinterpret_cast<STRSAFE_PCUNZWCH>(storage + 1), 4, &length), STATUS_SUCCESS);
  EXPECT_EQ(length, 3u);
  EXPECT_EQ(RtlUnalignedStringCbLengthW(reinterpret_cast<STRSAFE_PCUNZWCH>(storage + 1), 6, &length),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnalignedStringCbLengthW(reinterpret_cast<STRSAFE_PCUNZWCH>(storage + 1), 8, &length), STATUS_SUCCESS);
  EXPECT_EQ(length, 6u);
}

}  // namespace
}  // namespace wdmlab::rtl::test
