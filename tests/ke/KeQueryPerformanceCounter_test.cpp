// KeQueryPerformanceCounter: a 10 MHz counter, so one count per 100 ns of virtual time.
#include <gtest/gtest.h>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeQueryPerformanceCounter, RunsAt10MHzWithVirtualTime) {
  LARGE_INTEGER frequency{}, first{}, second{};
  std::uint64_t first_at = 0, second_at = 0;
  Lab lab;
  lab.spawn("clock", [&] {
    first = KeQueryPerformanceCounter(&frequency);
    first_at = lab.now();
    LARGE_INTEGER delay = relative_ms(250);
    KeDelayExecutionThread(KernelMode, FALSE, &delay);
    second = KeQueryPerformanceCounter(nullptr);
    second_at = lab.now();
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(frequency.QuadPart, 10'000'000);
  EXPECT_EQ(first.QuadPart, static_cast<LONGLONG>(first_at));
  EXPECT_EQ(second.QuadPart - first.QuadPart, static_cast<LONGLONG>(second_at - first_at));
  EXPECT_GE(second.QuadPart - first.QuadPart, frequency.QuadPart / 4);  // 250 ms
}

}  // namespace
}  // namespace wdmlab::test
