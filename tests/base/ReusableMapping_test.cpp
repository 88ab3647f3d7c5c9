// Large mappings an OS thread keeps for its next lab, and the user reservation kept the same way.
#include "base/reusable_mapping.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "base/address_space.hpp"

namespace wdmlab::base {
namespace {

constexpr std::size_t kBytes = 16 * 4096;

TEST(ReusableMapping, AReleasedMappingIsTheNextOneOfTheSameLayoutOnTheThread) {
  const MappingLayout layout{.bytes = kBytes};
  std::uintptr_t first = 0;
  {
    ReusableMapping mapping(layout, "a test region");
    first = mapping.base();
    ASSERT_NE(first, 0u);
  }
  ReusableMapping again(layout, "a test region");
  EXPECT_EQ(again.base(), first);
  ReusableMapping other(layout, "a test region");  // the cache has no second one
  EXPECT_NE(other.base(), first);
  ReusableMapping different({.bytes = 2 * kBytes}, "a test region");
  EXPECT_NE(different.base(), first);
}

TEST(ReusableMapping, IsZeroAndAccessibleAfterAResetOfWhatItsOwnerWrote) {
  const MappingLayout layout{.bytes = kBytes};
  {
    ReusableMapping mapping(layout, "a test region");
    auto* bytes = static_cast<unsigned char*>(mapping.data());
    for (std::size_t i = 0; i < kBytes; ++i) EXPECT_EQ(bytes[i], 0) << i;
    std::memset(bytes + 4096, 0xAB, 2 * 4096);
    mapping.reset(4096, 2 * 4096);
  }
  ReusableMapping again(layout, "a test region");
  const auto* bytes = static_cast<const unsigned char*>(again.data());
  for (std::size_t i = 0; i < kBytes; ++i) ASSERT_EQ(bytes[i], 0) << i;
}

TEST(AddressSpace, TheNextLabsReservationStartsEmptyAndZeroed) {
  std::uintptr_t first = 0;
  bool low = false;
  {
    AddressSpace space(std::size_t{1} << 30);
    low = space.placed_low();
    auto* buffer = static_cast<unsigned char*>(space.map_user(4096));
    first = reinterpret_cast<std::uintptr_t>(buffer);
    std::memset(buffer, 0x5A, 4096);
  }
  AddressSpace space(std::size_t{1} << 30);
  EXPECT_EQ(space.placed_low(), low);
  auto* buffer = static_cast<unsigned char*>(space.map_user(4096));
  if (low) {
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(buffer), first);  // the kept reservation
  }
  for (std::size_t i = 0; i < 4096; ++i) ASSERT_EQ(buffer[i], 0) << i;
  EXPECT_FALSE(space.accessible(reinterpret_cast<std::uintptr_t>(buffer) + 2 * 4096, 1, false));
}

}  // namespace
}  // namespace wdmlab::base
