// KeQueryTimeIncrement is the clock interval, 156250 (15.625 ms in 100 ns units), and
// KeQueryTickCount counts those intervals since boot.
#include <gtest/gtest.h>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

constexpr ULONG kTimeIncrement = 156'250;

TEST(KeQueryTimeIncrement, Is15625Milliseconds) {
  ULONG increment = 0;
  runs_clean([&] { increment = KeQueryTimeIncrement(); });
  EXPECT_EQ(increment, kTimeIncrement);
}

TEST(KeQueryTickCount, CountsClockIntervalsSinceBoot) {
  LARGE_INTEGER at_boot{}, just_before{}, at_ten{}, at_sixty_four{};
  runs_clean([&] {
    KeQueryTickCount(&at_boot);
    LARGE_INTEGER until = absolute_at(10 * kTimeIncrement - 2 * kDecisionTicks);
    KeDelayExecutionThread(KernelMode, FALSE, &until);
    KeQueryTickCount(&just_before);  // one tick of 100 ns before the 10th interval ends
    until = absolute_at(10 * kTimeIncrement);
    KeDelayExecutionThread(KernelMode, FALSE, &until);
    KeQueryTickCount(&at_ten);
    until = absolute_at(std::uint64_t{10'000'000});  // one second: 64 intervals
    KeDelayExecutionThread(KernelMode, FALSE, &until);
    KeQueryTickCount(&at_sixty_four);
  });
  EXPECT_EQ(at_boot.QuadPart, 0);
  EXPECT_EQ(just_before.QuadPart, 9);
  EXPECT_EQ(at_ten.QuadPart, 10);
  EXPECT_EQ(at_sixty_four.QuadPart, 64);
}

}  // namespace
}  // namespace wdmlab::test
