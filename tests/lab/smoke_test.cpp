#include <gtest/gtest.h>

#include "wdmlab/lab.hpp"

namespace wdmlab {
namespace {

TEST(LabSmoke, EventWakesWaiter) {
  Lab lab({.processors = 2, .seed = 3});
  KEVENT event;
  int order = 0, waited_at = -1;
  lab.spawn("waiter", [&] {
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    NTSTATUS s = KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr);
    EXPECT_EQ(s, STATUS_SUCCESS);
    waited_at = order++;
  });
  lab.spawn("setter", [&] {
    LARGE_INTEGER delay{.QuadPart = -10000};
    KeDelayExecutionThread(KernelMode, FALSE, &delay);
    order++;
    KeSetEvent(&event, 0, FALSE);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(waited_at, 1);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(LabSmoke, SpinLockContentionAcrossProcessors) {
  Lab lab({.processors = 2, .seed = 11});
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  long counter = 0;
  for (int t = 0; t < 2; ++t) {
    lab.spawn("incrementer", [&] {
      for (int i = 0; i < 50; ++i) {
        KIRQL old;
        KeAcquireSpinLock(&lock, &old);
        long value = counter;
        KeGetCurrentIrql();  // a scheduling point inside the critical section
        counter = value + 1;
        KeReleaseSpinLock(&lock, old);
      }
    });
  }
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(counter, 100);
}

KDPC g_dpc;
int g_dpc_runs = 0;
KIRQL g_dpc_irql = 0;
void DpcRoutine(PKDPC, PVOID, PVOID, PVOID) {
  ++g_dpc_runs;
  g_dpc_irql = KeGetCurrentIrql();
}

TEST(LabSmoke, TimerFiresDpc) {
  Lab lab({.processors = 2, .seed = 5});
  g_dpc_runs = 0;
  KTIMER timer;
  lab.spawn("setter", [&] {
    KeInitializeDpc(&g_dpc, DpcRoutine, nullptr);
    KeInitializeTimer(&timer);
    LARGE_INTEGER due{.QuadPart = -10 * 10000};  // 10 ms
    KeSetTimer(&timer, due, &g_dpc);
    NTSTATUS s = KeWaitForSingleObject(&timer, Executive, KernelMode, FALSE, nullptr);
    EXPECT_EQ(s, STATUS_SUCCESS);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(g_dpc_runs, 1);
  EXPECT_EQ(g_dpc_irql, DISPATCH_LEVEL);
  EXPECT_GE(lab.now(), 100000u);
}

TEST(LabSmoke, BugCheckIsAFinding) {
  Lab lab;
  lab.spawn("crasher", [] { KeBugCheckEx(0xE2, 1, 2, 3, 4); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  ASSERT_EQ(lab.findings().size(), 1u);
  const Finding& f = lab.findings()[0];
  EXPECT_EQ(f.code, 0xE2u);
  EXPECT_EQ(f.name, "MANUALLY_INITIATED_CRASH");
  EXPECT_EQ(f.parameters[3], 4u);
  std::cerr << f.to_text();
}

TEST(LabSmoke, SpinLockDeadlockIsReported) {
  // Without deadlock detection, which would report the inverted order before the deadlock.
  Lab lab({.processors = 2, .seed = 1, .verifier = {.flags = kVerifierStandardFlags & ~kVerifierDeadlockDetection}});
  KSPIN_LOCK a, b;
  KeInitializeSpinLock(&a);
  KeInitializeSpinLock(&b);
  KEVENT both;
  KeInitializeEvent(&both, NotificationEvent, FALSE);
  LONG arrived = 0;
  auto body = [&](PKSPIN_LOCK first, PKSPIN_LOCK second) {
    KIRQL old;
    KeAcquireSpinLock(first, &old);
    InterlockedIncrement(&arrived);
    while (InterlockedCompareExchange(&arrived, 2, 2) != 2) {
    }
    KeAcquireSpinLockAtDpcLevel(second);
    KeReleaseSpinLockFromDpcLevel(second);
    KeReleaseSpinLock(first, old);
  };
  lab.spawn("A", [&] { body(&a, &b); });
  lab.spawn("B", [&] { body(&b, &a); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  ASSERT_EQ(lab.findings().size(), 1u);
  std::cerr << lab.findings()[0].to_text();
  EXPECT_EQ(lab.findings()[0].code, 0x133u);
}

}  // namespace
}  // namespace wdmlab
