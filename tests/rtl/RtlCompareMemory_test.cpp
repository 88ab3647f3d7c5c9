// RtlCompareMemory and RtlCompareMemoryUlong.
#include <gtest/gtest.h>

#include "rtl/test_support.hpp"

namespace wdmlab::rtl::test {
namespace {

TEST(RtlCompareMemory, CountsMatchingLeadingBytes) {
  const unsigned char a[] = {1, 2, 3, 4, 5};
  const unsigned char b[] = {1, 2, 3, 9, 5};
  EXPECT_EQ(RtlCompareMemory(a, a, sizeof(a)), sizeof(a));
  EXPECT_EQ(RtlCompareMemory(a, b, sizeof(a)), 3u);
  EXPECT_EQ(RtlCompareMemory(a, b, 2), 2u);
  EXPECT_EQ(RtlCompareMemory(a, b, 0), 0u);
}

TEST(RtlCompareMemoryUlong, CountsMatchingUlongs) {
  alignas(4) ULONG block[4] = {0xA5A5A5A5, 0xA5A5A5A5, 0x12345678, 0xA5A5A5A5};
  EXPECT_EQ(RtlCompareMemoryUlong(block, 8, 0xA5A5A5A5), 8u);
  EXPECT_EQ(RtlCompareMemoryUlong(block, 16, 0xA5A5A5A5), 8u);
  EXPECT_EQ(RtlCompareMemoryUlong(block, 16, 0x0), 0u);
}

TEST(RtlCompareMemoryUlong, ReturnsZeroForMisalignedOrPartialBlocks) {
  alignas(4) ULONG block[4] = {0, 0, 0, 0};
  EXPECT_EQ(RtlCompareMemoryUlong(block, 16, 0), 16u);
  EXPECT_EQ(RtlCompareMemoryUlong(block, 6, 0), 0u);
  EXPECT_EQ(RtlCompareMemoryUlong(reinterpret_cast<unsigned char*>(block) + 1, 8, 0), 0u);
}

}  // namespace
}  // namespace wdmlab::rtl::test
