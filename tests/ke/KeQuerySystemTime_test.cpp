// KeQuerySystemTime: the lab boots at 2026-01-01T00:00:00Z (as a count of 100 ns intervals since
// 1601-01-01, the FILETIME epoch) and the system time advances exactly with virtual time.
#include <gtest/gtest.h>

#include <chrono>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeQuerySystemTime, StartsAt2026January1AndAdvancesWithVirtualTime) {
  using namespace std::chrono;
  const auto days = (sys_days{year{2026} / January / 1} - sys_days{year{1601} / January / 1}).count();
  const std::int64_t boot = static_cast<std::int64_t>(days) * 86'400 * 10'000'000;
  ASSERT_EQ(boot, kBootSystemTime);

  LARGE_INTEGER first{}, later{}, precise{};
  std::uint64_t first_at = 0, later_at = 0, precise_at = 0;
  Lab lab;
  lab.spawn("clock", [&] {
    KeQuerySystemTime(&first);
    first_at = lab.now();
    LARGE_INTEGER delay = relative_ms(1500);
    KeDelayExecutionThread(KernelMode, FALSE, &delay);
    KeQuerySystemTime(&later);
    later_at = lab.now();
    KeQuerySystemTimePrecise(&precise);
    precise_at = lab.now();
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(first.QuadPart, boot + static_cast<std::int64_t>(first_at));
  EXPECT_LT(first_at, 10u);  // read right after boot
  EXPECT_EQ(later.QuadPart, boot + static_cast<std::int64_t>(later_at));
  EXPECT_GE(later.QuadPart - first.QuadPart, 1500 * kTicksPerMillisecond);
  EXPECT_EQ(precise.QuadPart, boot + static_cast<std::int64_t>(precise_at));
}

}  // namespace
}  // namespace wdmlab::test
