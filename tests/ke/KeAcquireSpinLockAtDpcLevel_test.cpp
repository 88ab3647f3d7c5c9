// The spin lock routines for callers already at DISPATCH_LEVEL: they leave the IRQL alone, and
// calling them below DISPATCH_LEVEL is bug check 0x9 IRQL_NOT_GREATER_OR_EQUAL (parameter 1 =
// the current IRQL, parameter 2 = DISPATCH_LEVEL).
#include <gtest/gtest.h>

#include <functional>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeAcquireSpinLockAtDpcLevel, LeavesTheIrqlAtDispatchLevel) {
  KIRQL held = 0xFF, after = 0xFF;
  BOOLEAN free_while_held = TRUE;
  runs_clean([&] {
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    const KIRQL old = KeRaiseIrqlToDpcLevel();
    KeAcquireSpinLockAtDpcLevel(&lock);
    held = KeGetCurrentIrql();
    free_while_held = KeTestSpinLock(&lock);
    KeReleaseSpinLockFromDpcLevel(&lock);
    after = KeGetCurrentIrql();
    KeLowerIrql(old);
  });
  EXPECT_EQ(held, DISPATCH_LEVEL);
  EXPECT_EQ(after, DISPATCH_LEVEL);
  EXPECT_FALSE(free_while_held);
}

struct BelowDispatch {
  const char* name;
  std::function<void(PKSPIN_LOCK)> call;
};

class SpinLockAtDpcLevelBelowDispatch : public ::testing::TestWithParam<BelowDispatch> {};

TEST_P(SpinLockAtDpcLevelBelowDispatch, UnverifiedIsBugCheck9) {
  for (KIRQL level : {PASSIVE_LEVEL, APC_LEVEL}) {
    KSPIN_LOCK lock;
    const Finding finding = unverified_bug_check_of([&] {
      KeInitializeSpinLock(&lock);
      KIRQL old;
      KeRaiseIrql(level, &old);
      GetParam().call(&lock);
    });
    EXPECT_EQ(finding.code, IRQL_NOT_GREATER_OR_EQUAL) << GetParam().name;
    EXPECT_EQ(finding.parameters[0], level);
    EXPECT_EQ(finding.parameters[1], DISPATCH_LEVEL);
  }
}

KLOCK_QUEUE_HANDLE g_handle;

INSTANTIATE_TEST_SUITE_P(Routines, SpinLockAtDpcLevelBelowDispatch,
                         ::testing::Values(BelowDispatch{"KeAcquireSpinLockAtDpcLevel",
                                                         [](PKSPIN_LOCK lock) { KeAcquireSpinLockAtDpcLevel(lock); }},
                                           BelowDispatch{"KeReleaseSpinLockFromDpcLevel",
                                                         [](PKSPIN_LOCK lock) {
                                                           *lock = 0;  // not held: the IRQL is checked first
                                                           KeReleaseSpinLockFromDpcLevel(lock);
                                                         }},
                                           BelowDispatch{
                                               "KeTryToAcquireSpinLockAtDpcLevel",
                                               [](PKSPIN_LOCK lock) { (void)KeTryToAcquireSpinLockAtDpcLevel(lock); }},
                                           BelowDispatch{"KeAcquireInStackQueuedSpinLockAtDpcLevel",
                                                         [](PKSPIN_LOCK lock) {
                                                           KeAcquireInStackQueuedSpinLockAtDpcLevel(lock, &g_handle);
                                                         }}),
                         RowName());

TEST(KeTryToAcquireSpinLockAtDpcLevel, TakesAFreeLockAndFailsOnAHeldOne) {
  BOOLEAN first = FALSE, second = TRUE, after_release = FALSE, held = TRUE;
  runs_clean([&] {
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    const KIRQL old = KeRaiseIrqlToDpcLevel();
    first = KeTryToAcquireSpinLockAtDpcLevel(&lock);
    held = KeTestSpinLock(&lock);
    second = KeTryToAcquireSpinLockAtDpcLevel(&lock);
    KeReleaseSpinLockFromDpcLevel(&lock);
    after_release = KeTryToAcquireSpinLockAtDpcLevel(&lock);
    KeReleaseSpinLockFromDpcLevel(&lock);
    KeLowerIrql(old);
  });
  EXPECT_TRUE(first);
  EXPECT_FALSE(held);
  EXPECT_FALSE(second);
  EXPECT_TRUE(after_release);
}

TEST(KeTryToAcquireSpinLockAtDpcLevel, FailsWhileAnotherProcessorHoldsTheLock) {
  Lab lab({.processors = 2, .seed = 5});
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  LONG holding = 0, tried = 0;
  BOOLEAN acquired = TRUE;
  lab.spawn("holder", [&] {
    KIRQL old;
    KeAcquireSpinLock(&lock, &old);
    InterlockedExchange(&holding, 1);
    while (ReadAcquire(&tried) == 0) YieldProcessor();
    KeReleaseSpinLock(&lock, old);
  });
  lab.spawn("trier", [&] {
    while (ReadAcquire(&holding) == 0) YieldProcessor();
    const KIRQL old = KeRaiseIrqlToDpcLevel();
    acquired = KeTryToAcquireSpinLockAtDpcLevel(&lock);
    KeLowerIrql(old);
    InterlockedExchange(&tried, 1);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_FALSE(acquired);
  EXPECT_TRUE(lab.findings().empty());
}

}  // namespace
}  // namespace wdmlab::test
