// KeAcquireSpinLock / KeReleaseSpinLock: the caller runs at DISPATCH_LEVEL while it holds the
// lock and gets its IRQL back on release; acquiring above DISPATCH_LEVEL is bug check 0xA;
// releasing a lock nobody holds is bug check 0x10; acquiring a lock the caller already holds spins
// forever, which Windows' DPC watchdog ends with bug check 0x133.
#include <gtest/gtest.h>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeAcquireSpinLock, RaisesToDispatchLevelAndReleaseRestoresTheIrql) {
  for (KIRQL from : {PASSIVE_LEVEL, APC_LEVEL, DISPATCH_LEVEL}) {
    KIRQL old = 0xFF, held = 0xFF, after = 0xFF;
    BOOLEAN free_while_held = TRUE, free_after = FALSE;
    runs_clean([&] {
      KSPIN_LOCK lock;
      KeInitializeSpinLock(&lock);
      KIRQL ignored;
      KeRaiseIrql(from, &ignored);
      KeAcquireSpinLock(&lock, &old);
      held = KeGetCurrentIrql();
      free_while_held = KeTestSpinLock(&lock);
      KeReleaseSpinLock(&lock, old);
      after = KeGetCurrentIrql();
      free_after = KeTestSpinLock(&lock);
      KeLowerIrql(PASSIVE_LEVEL);
    });
    EXPECT_EQ(old, from);
    EXPECT_EQ(held, DISPATCH_LEVEL);
    EXPECT_EQ(after, from);
    EXPECT_FALSE(free_while_held);
    EXPECT_TRUE(free_after);
  }
}

TEST(KeAcquireSpinLock, UnverifiedAboveDispatchLevelIsBugCheckA) {
  KSPIN_LOCK lock;
  const Finding finding = unverified_bug_check_of([&] {
    KeInitializeSpinLock(&lock);
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    KeAcquireSpinLock(&lock, &old);
  });
  EXPECT_EQ(finding.code, IRQL_NOT_LESS_OR_EQUAL);
  EXPECT_EQ(finding.parameters[1], HIGH_LEVEL);
}

TEST(KeReleaseSpinLock, UnverifiedOfALockNobodyHoldsIsBugCheck10) {
  KSPIN_LOCK lock;
  const Finding finding = unverified_bug_check_of([&] {
    KeInitializeSpinLock(&lock);
    const KIRQL old = KeRaiseIrqlToDpcLevel();
    KeReleaseSpinLock(&lock, old);
  });
  EXPECT_EQ(finding.code, SPIN_LOCK_NOT_OWNED);
  EXPECT_EQ(finding.parameters[0], reinterpret_cast<std::uintptr_t>(&lock));
}

TEST(KeReleaseSpinLock, UnverifiedTwiceIsBugCheck10) {
  KSPIN_LOCK lock;
  const Finding finding = unverified_bug_check_of([&] {
    KeInitializeSpinLock(&lock);
    KIRQL old;
    KeAcquireSpinLock(&lock, &old);
    KeReleaseSpinLockFromDpcLevel(&lock);
    KeReleaseSpinLock(&lock, old);
  });
  EXPECT_EQ(finding.code, SPIN_LOCK_NOT_OWNED);
}

TEST(KeAcquireSpinLock, UnverifiedRecursiveAcquisitionDeadlocksTheContextWithItself) {
  for (unsigned processors : {1u, 2u}) {
    Lab lab({.processors = processors, .seed = 3, .verifier = VerifierOptions::off()});
    KSPIN_LOCK lock;
    bool second_returned = false;
    lab.spawn("recursive", [&] {
      KeInitializeSpinLock(&lock);
      KIRQL old;
      KeAcquireSpinLock(&lock, &old);
      KeAcquireSpinLockAtDpcLevel(&lock);
      second_returned = true;
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
    const Finding finding = stop_finding(lab);
    EXPECT_FALSE(second_returned);
    EXPECT_EQ(finding.code, DPC_WATCHDOG_VIOLATION);
    EXPECT_EQ(finding.parameters[0], 1u);  // cumulative time at DISPATCH_LEVEL or above
    EXPECT_EQ(finding.context.name, "recursive");
    EXPECT_EQ(finding.context.irql, DISPATCH_LEVEL);
    EXPECT_TRUE(finding.involved.empty()) << "the cycle is the context alone";
    EXPECT_NE(finding.context.waiting_on.find("held by recursive"), std::string::npos) << finding.context.waiting_on;
  }
}

}  // namespace
}  // namespace wdmlab::test
