// KeDelayExecutionThread: the thread sleeps exactly the interval (relative) or until the system
// time (absolute), letting other threads use the processor meanwhile; above APC_LEVEL it is bug
// check 0xA.
#include <gtest/gtest.h>

#include <vector>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeDelayExecutionThread, ARelativeIntervalAdvancesVirtualTimeByExactlyTheInterval) {
  for (std::int64_t interval : {std::int64_t{1}, std::int64_t{999}, 15 * kTicksPerMillisecond}) {
    Lab lab;
    std::uint64_t before = 0, after = 0;
    NTSTATUS status = -1;
    lab.spawn("sleeper", [&] {
      LARGE_INTEGER delay = relative_ticks(interval);
      before = lab.now();
      status = KeDelayExecutionThread(KernelMode, FALSE, &delay);
      after = lab.now();
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
    EXPECT_EQ(status, STATUS_SUCCESS);
    EXPECT_EQ(after - before, kDecisionTicks + static_cast<std::uint64_t>(interval));
  }
}

TEST(KeDelayExecutionThread, AnAbsoluteTimeWakesTheThreadAtThatTime) {
  Lab lab;
  std::uint64_t after = 0;
  const std::uint64_t until = 123 * kTicksPerMillisecond + 45;
  lab.spawn("sleeper", [&] {
    LARGE_INTEGER due = absolute_at(until);
    KeDelayExecutionThread(KernelMode, FALSE, &due);
    after = lab.now();
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(after, until);
}

TEST(KeDelayExecutionThread, OtherThreadsRunOnTheProcessorMeanwhile) {
  Lab lab({.processors = 1, .seed = 2});
  std::uint64_t start = 0, end = 0;
  std::vector<std::uint64_t> other_steps;
  LONG sleeping = 0;
  lab.spawn("sleeper", [&] {
    start = lab.now();
    InterlockedExchange(&sleeping, 1);
    LARGE_INTEGER delay = relative_ms(1);
    KeDelayExecutionThread(KernelMode, FALSE, &delay);
    end = lab.now();
  });
  lab.spawn("other", [&] {
    while (ReadAcquire(&sleeping) == 0) YieldProcessor();
    for (int i = 0; i < 20; ++i) {
      other_steps.push_back(lab.now());
      KeGetCurrentIrql();
    }
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  ASSERT_FALSE(other_steps.empty());
  int during = 0;
  for (std::uint64_t t : other_steps) during += t > start && t < end ? 1 : 0;
  EXPECT_GT(during, 0);
}

TEST(KeDelayExecutionThread, UnverifiedAboveApcLevelIsBugCheckA) {
  const Finding finding = unverified_bug_check_of([] {
    KeRaiseIrqlToDpcLevel();
    LARGE_INTEGER delay = relative_ms(1);
    KeDelayExecutionThread(KernelMode, FALSE, &delay);
  });
  EXPECT_EQ(finding.code, IRQL_NOT_LESS_OR_EQUAL);
  EXPECT_EQ(finding.parameters[1], DISPATCH_LEVEL);
}

}  // namespace
}  // namespace wdmlab::test
