// KeQueryInterruptTime / KeQueryUnbiasedInterruptTime / KeQueryInterruptTimePrecise: time since
// boot in 100 ns units, which in the lab is virtual time.
#include <gtest/gtest.h>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeQueryInterruptTime, IsVirtualTimeSinceBoot) {
  ULONGLONG interrupt = 0, unbiased = 0, precise = 0;
  ULONG64 qpc = 0;
  std::uint64_t interrupt_at = 0, unbiased_at = 0, precise_at = 0;
  Lab lab;
  lab.spawn("clock", [&] {
    LARGE_INTEGER delay = relative_ms(42);
    KeDelayExecutionThread(KernelMode, FALSE, &delay);
    interrupt = KeQueryInterruptTime();
    interrupt_at = lab.now();
    unbiased = KeQueryUnbiasedInterruptTime();
    unbiased_at = lab.now();
    precise = KeQueryInterruptTimePrecise(&qpc);
    precise_at = lab.now();
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_GE(interrupt, 42u * kTicksPerMillisecond);
  EXPECT_EQ(interrupt, interrupt_at);
  EXPECT_EQ(unbiased, unbiased_at);
  EXPECT_EQ(precise, precise_at);
  EXPECT_EQ(qpc, precise_at);  // the performance counter runs at 10 MHz: one count per 100 ns
}

}  // namespace
}  // namespace wdmlab::test
