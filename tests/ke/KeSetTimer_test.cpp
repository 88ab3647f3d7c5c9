// KeSetTimer: a one-shot timer signals its object and queues its DPC once, at the due time; the
// DPC runs on the processor that set the timer and gets the expiration system time in
// SystemArgument1 (low part) and SystemArgument2 (high part); setting a timer that is already set
// cancels the first due time and returns TRUE.
#include <gtest/gtest.h>

#include "ke/dpc_probe.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

LARGE_INTEGER expiration_of(const DpcProbe& probe) {
  LARGE_INTEGER time;
  time.LowPart = static_cast<ULONG>(reinterpret_cast<ULONG_PTR>(probe.argument1));
  time.HighPart = static_cast<LONG>(reinterpret_cast<ULONG_PTR>(probe.argument2));
  return time;
}

TEST(KeSetTimer, AOneShotTimerExpiresOnceAtTheDueTime) {
  Lab lab({.processors = 2, .seed = 3});
  DpcProbe probe;
  KDPC dpc;
  KTIMER timer;
  BOOLEAN was_set = TRUE;
  std::uint64_t set_at = 0;
  lab.spawn("setter", [&] {
    KeInitializeDpc(&dpc, DpcProbe::Routine, &probe);
    KeInitializeTimer(&timer);
    LARGE_INTEGER due = relative_ms(20);
    set_at = lab.now() + kDecisionTicks;
    was_set = KeSetTimer(&timer, due, &dpc);
  });
  ASSERT_EQ(lab.run_for(std::chrono::milliseconds(19)), RunStatus::TimeElapsed);
  EXPECT_EQ(probe.runs, 0);
  BOOLEAN signaled_early = TRUE;
  lab.spawn("reader", [&] { signaled_early = KeReadStateTimer(&timer); });
  lab.run_for(std::chrono::microseconds(10));
  EXPECT_FALSE(signaled_early);
  ASSERT_EQ(lab.run_for(std::chrono::milliseconds(100)), RunStatus::TimeElapsed);
  EXPECT_FALSE(was_set);
  EXPECT_EQ(probe.runs, 1);
  EXPECT_EQ(probe.irql, DISPATCH_LEVEL);
  EXPECT_EQ(expiration_of(probe).QuadPart,
            kBootSystemTime + static_cast<std::int64_t>(set_at) + 20 * kTicksPerMillisecond);
}

TEST(KeSetTimer, TheTimerObjectIsSignaledAndReleasesItsWaiter) {
  NTSTATUS status = -1;
  BOOLEAN state = FALSE, state_after_reset = TRUE;
  std::uint64_t set_at = 0, woke = 0;
  Lab lab;
  lab.spawn("waiter", [&] {
    KTIMER timer;
    KeInitializeTimer(&timer);
    set_at = lab.now() + kDecisionTicks;
    KeSetTimer(&timer, relative_ms(5), nullptr);
    status = KeWaitForSingleObject(&timer, Executive, KernelMode, FALSE, nullptr);
    woke = lab.now();
    state = KeReadStateTimer(&timer);
    KeSetTimer(&timer, relative_ms(5), nullptr);  // setting a timer makes it not signaled
    state_after_reset = KeReadStateTimer(&timer);
    KeCancelTimer(&timer);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(status, STATUS_SUCCESS);
  EXPECT_EQ(woke, set_at + 5 * kTicksPerMillisecond);
  EXPECT_TRUE(state);  // a notification timer stays signaled
  EXPECT_FALSE(state_after_reset);
}

TEST(KeSetTimer, TheDpcGetsTheExpirationSystemTimeOfAnAbsoluteDueTime) {
  DpcProbe probe;
  KDPC dpc;
  KTIMER timer;
  const std::uint64_t due = 3 * kTicksPerMillisecond + 77;
  Lab lab;
  lab.spawn("setter", [&] {
    KeInitializeDpc(&dpc, DpcProbe::Routine, &probe);
    KeInitializeTimer(&timer);
    KeSetTimer(&timer, absolute_at(due), &dpc);
    KeWaitForSingleObject(&timer, Executive, KernelMode, FALSE, nullptr);
    KeFlushQueuedDpcs();
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(probe.runs, 1);
  EXPECT_EQ(expiration_of(probe).QuadPart, kBootSystemTime + static_cast<std::int64_t>(due));
}

TEST(KeSetTimer, TheDpcRunsOnTheProcessorThatSetTheTimer) {
  constexpr unsigned kProcessors = 4;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Lab lab({.processors = kProcessors, .seed = seed});
    DpcProbe probes[kProcessors];
    KDPC dpcs[kProcessors];
    KTIMER timers[kProcessors];
    ULONG set_on[kProcessors] = {};
    for (unsigned t = 0; t < kProcessors; ++t) {
      lab.spawn("setter", [&, t] {
        KeInitializeDpc(&dpcs[t], DpcProbe::Routine, &probes[t]);
        KeInitializeTimer(&timers[t]);
        const KIRQL old = KeRaiseIrqlToDpcLevel();  // stay on this processor while setting
        set_on[t] = KeGetCurrentProcessorNumber();
        KeSetTimer(&timers[t], relative_ms(1 + t), &dpcs[t]);
        KeLowerIrql(old);
        KeWaitForSingleObject(&timers[t], Executive, KernelMode, FALSE, nullptr);
        KeFlushQueuedDpcs();
      });
    }
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle) << "seed " << seed;
    for (unsigned t = 0; t < kProcessors; ++t) {
      EXPECT_EQ(probes[t].runs, 1);
      EXPECT_EQ(probes[t].processor, set_on[t]) << "seed " << seed << " timer " << t;
    }
  }
}

TEST(KeSetTimer, OnATimerThatIsSetReturnsTrueAndOnlyTheNewDueTimeCounts) {
  Lab lab;
  DpcProbe probe;
  KDPC dpc;
  KTIMER timer;
  BOOLEAN first = TRUE, second = FALSE;
  std::uint64_t reset_at = 0;
  lab.spawn("setter", [&] {
    KeInitializeDpc(&dpc, DpcProbe::Routine, &probe);
    KeInitializeTimer(&timer);
    first = KeSetTimer(&timer, relative_ms(5), &dpc);
    reset_at = lab.now() + kDecisionTicks;
    second = KeSetTimer(&timer, relative_ms(30), &dpc);
  });
  lab.run_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(first);
  EXPECT_TRUE(second);
  EXPECT_EQ(probe.runs, 0);
  lab.run_for(std::chrono::milliseconds(100));
  EXPECT_EQ(probe.runs, 1);
  EXPECT_EQ(expiration_of(probe).QuadPart,
            kBootSystemTime + static_cast<std::int64_t>(reset_at) + 30 * kTicksPerMillisecond);
}

}  // namespace
}  // namespace wdmlab::test
