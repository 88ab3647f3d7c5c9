// The user/kernel address map of the simulated machine.
#include "base/address_space.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace wdmlab::base {
namespace {

TEST(AddressSpace, TheNullRegionAndTheReservationAreUserAddresses) {
  AddressSpace space(std::size_t{1} << 30);
  EXPECT_TRUE(space.is_user(0));
  EXPECT_TRUE(space.is_user(0xFFFF));
  ASSERT_GT(space.user_base(), 0x10000u);
  EXPECT_FALSE(space.is_user(0x10000));
  EXPECT_TRUE(space.is_user(space.user_base()));
  EXPECT_TRUE(space.is_user(space.user_limit() - 1));
  EXPECT_FALSE(space.is_user(space.user_limit()));
  int on_the_stack = 0;
  EXPECT_FALSE(space.is_user(reinterpret_cast<std::uintptr_t>(&on_the_stack)));
}

TEST(AddressSpace, RangesMustLieWhollyInsideAndNotWrap) {
  AddressSpace space(std::size_t{1} << 30);
  EXPECT_TRUE(space.is_user_range(space.user_base(), 4096));
  EXPECT_FALSE(space.is_user_range(space.user_limit() - 10, 20));
  EXPECT_FALSE(space.is_user_range(~std::uintptr_t{0} - 5, 10));
  EXPECT_TRUE(space.is_user_range(0x100, 0x100));
}

TEST(AddressSpace, MappedUserMemoryIsZeroedWritableAndNeverReused) {
  AddressSpace space(std::size_t{1} << 30);
  auto* first = static_cast<unsigned char*>(space.map_user(100));
  ASSERT_NE(first, nullptr);
  EXPECT_TRUE(space.is_user(reinterpret_cast<std::uintptr_t>(first)));
  for (int i = 0; i < 4096; ++i) ASSERT_EQ(first[i], 0);
  std::memset(first, 0xAB, 4096);
  space.unmap_user(first, 100);
  auto* second = static_cast<unsigned char*>(space.map_user(100));
  EXPECT_NE(second, first);  // a stale pointer into the first buffer stays invalid
  // A guard page separates buffers.
  EXPECT_GE(second - first, 2 * 4096);
}

}  // namespace
}  // namespace wdmlab::base
