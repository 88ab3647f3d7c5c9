// The user/kernel address map of the simulated machine.
#include "base/address_space.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

namespace wdmlab::base {
namespace {

TEST(AddressSpace, TheNullRegionAndTheReservationAreUserAddresses) {
  AddressSpace space(std::size_t{1} << 30);
  EXPECT_TRUE(space.is_user(0));
  EXPECT_TRUE(space.is_user(0xFFFF));
  if (space.placed_low()) {
    // Every user address lies below every address the host hands out.
    EXPECT_EQ(space.user_base(), 0x10000u);
    EXPECT_TRUE(space.is_user_range(0, space.user_limit()));
  } else {
    ASSERT_GT(space.user_base(), 0x10000u);
    EXPECT_FALSE(space.is_user(0x10000));
  }
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

TEST(AddressSpace, UserMemoryLiesBelowTheHostsOwnMemory) {
  AddressSpace space(std::size_t{1} << 30);
  ASSERT_TRUE(space.placed_low()) << "the host did not allow the reservation at 64 KiB";
  int on_the_stack = 0;
  auto heap = std::make_unique<int>(0);
  EXPECT_LT(space.user_limit(), reinterpret_cast<std::uintptr_t>(&on_the_stack));
  EXPECT_LT(space.user_limit(), reinterpret_cast<std::uintptr_t>(heap.get()));
}

TEST(AddressSpace, KnowsWhichUserPagesAreAccessibleAndHow) {
  AddressSpace space(std::size_t{1} << 30);
  auto* buffer = static_cast<unsigned char*>(space.map_user(3 * 4096));
  const auto start = reinterpret_cast<std::uintptr_t>(buffer);
  EXPECT_TRUE(space.accessible(start, 3 * 4096, true));
  EXPECT_FALSE(space.accessible(start, 3 * 4096 + 1, false));  // the guard page
  EXPECT_FALSE(space.accessible(start - 1, 2, false));
  EXPECT_FALSE(space.accessible(0x100, 4, false));  // the null region is never mapped
  space.protect(buffer + 4096, 1, AddressSpace::Access::Read);
  EXPECT_TRUE(space.accessible(start, 3 * 4096, false));
  EXPECT_FALSE(space.accessible(start + 4096 + 10, 4, true));
  EXPECT_TRUE(space.accessible(start, 4096, true));
  EXPECT_TRUE(space.accessible(start + 2 * 4096, 4096, true));
  buffer[2 * 4096] = 1;  // still writable after the split
  space.unmap_user(buffer, 3 * 4096);
  EXPECT_FALSE(space.accessible(start, 1, false));
}

TEST(AddressSpace, ASystemAliasSharesThePagesAndFaultsAfterRemoval) {
  AddressSpace space(std::size_t{1} << 30);
  auto* buffer = static_cast<unsigned char*>(space.map_user(2 * 4096));
  auto* alias = static_cast<unsigned char*>(space.map_system_alias(reinterpret_cast<std::uintptr_t>(buffer), 2 * 4096));
  EXPECT_FALSE(space.is_user(reinterpret_cast<std::uintptr_t>(alias)));
  buffer[5000] = 42;
  EXPECT_EQ(alias[5000], 42);
  alias[7] = 9;
  EXPECT_EQ(buffer[7], 9);
  space.unmap_system_alias(alias, 2 * 4096);
  EXPECT_DEATH(alias[0] = 1, "");  // the placeholder is inaccessible
}

TEST(AddressSpace, UnmappedPagesLoseTheirContents) {
  AddressSpace space(std::size_t{1} << 30);
  auto* buffer = static_cast<unsigned char*>(space.map_user(4096));
  buffer[0] = 7;
  space.unmap_user(buffer, 4096);
  space.protect(buffer, 4096, AddressSpace::Access::ReadWrite);
  // protect() only changes mapped pages: the unmapped page stays unmapped.
  EXPECT_FALSE(space.accessible(reinterpret_cast<std::uintptr_t>(buffer), 1, false));
}

}  // namespace
}  // namespace wdmlab::base
