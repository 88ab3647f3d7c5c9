// In-stack queued spin locks: the same IRQL contract as ordinary spin locks, and the lock is
// handed to waiters in the order they started waiting (FIFO), whatever the scheduler does.
#include <gtest/gtest.h>

#include <vector>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeAcquireInStackQueuedSpinLock, RaisesToDispatchLevelAndReleaseRestoresTheIrql) {
  for (KIRQL from : {PASSIVE_LEVEL, APC_LEVEL, DISPATCH_LEVEL}) {
    KIRQL held = 0xFF, after = 0xFF, saved = 0xFF;
    BOOLEAN free_while_held = TRUE;
    runs_clean([&] {
      KSPIN_LOCK lock;
      KeInitializeSpinLock(&lock);
      KIRQL ignored;
      KeRaiseIrql(from, &ignored);
      KLOCK_QUEUE_HANDLE handle;
      KeAcquireInStackQueuedSpinLock(&lock, &handle);
      held = KeGetCurrentIrql();
      saved = handle.OldIrql;
      free_while_held = KeTestSpinLock(&lock);
      KeReleaseInStackQueuedSpinLock(&handle);
      after = KeGetCurrentIrql();
      KeLowerIrql(PASSIVE_LEVEL);
    });
    EXPECT_EQ(held, DISPATCH_LEVEL);
    EXPECT_EQ(saved, from);
    EXPECT_EQ(after, from);
    EXPECT_FALSE(free_while_held);
  }
}

TEST(KeAcquireInStackQueuedSpinLock, UnverifiedAboveDispatchLevelIsBugCheckA) {
  const Finding finding = unverified_bug_check_of([] {
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    KLOCK_QUEUE_HANDLE handle;
    KeAcquireInStackQueuedSpinLock(&lock, &handle);
  });
  EXPECT_EQ(finding.code, IRQL_NOT_LESS_OR_EQUAL);
}

// A holder on one processor lets two waiters on the other two processors start waiting one after
// the other, in an order the test picks, then releases: the lock must go to them in that order.
std::vector<int> queued_order(std::uint64_t seed, bool second_first) {
  Lab lab({.processors = 3, .seed = seed});
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  LONG go[2] = {0, 0};
  std::vector<int> order;
  const int first = second_first ? 1 : 0;
  lab.spawn("holder", [&] {
    KLOCK_QUEUE_HANDLE handle;
    KeAcquireInStackQueuedSpinLock(&lock, &handle);
    InterlockedExchange(&go[first], 1);
    wait_until_blocked(&lock, 1);
    InterlockedExchange(&go[1 - first], 1);
    wait_until_blocked(&lock, 2);
    KeReleaseInStackQueuedSpinLock(&handle);
  });
  for (int waiter = 0; waiter < 2; ++waiter) {
    lab.spawn("waiter", [&, waiter] {
      while (ReadAcquire(&go[waiter]) == 0) YieldProcessor();
      KLOCK_QUEUE_HANDLE handle;
      KeAcquireInStackQueuedSpinLock(&lock, &handle);
      order.push_back(waiter);
      KeReleaseInStackQueuedSpinLock(&handle);
    });
  }
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  return order;
}

TEST(KeAcquireInStackQueuedSpinLock, HandsTheLockOverInTheOrderTheWaitersArrived) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    EXPECT_EQ(queued_order(seed, false), (std::vector<int>{0, 1})) << "seed " << seed;
    EXPECT_EQ(queued_order(seed, true), (std::vector<int>{1, 0})) << "seed " << seed;
  }
}

TEST(KeAcquireInStackQueuedSpinLockAtDpcLevel, LeavesTheIrqlAtDispatchLevel) {
  KIRQL held = 0xFF, after = 0xFF;
  runs_clean([&] {
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    const KIRQL old = KeRaiseIrqlToDpcLevel();
    KLOCK_QUEUE_HANDLE handle;
    KeAcquireInStackQueuedSpinLockAtDpcLevel(&lock, &handle);
    held = KeGetCurrentIrql();
    KeReleaseInStackQueuedSpinLockFromDpcLevel(&handle);
    after = KeGetCurrentIrql();
    KeLowerIrql(old);
  });
  EXPECT_EQ(held, DISPATCH_LEVEL);
  EXPECT_EQ(after, DISPATCH_LEVEL);
}

}  // namespace
}  // namespace wdmlab::test
