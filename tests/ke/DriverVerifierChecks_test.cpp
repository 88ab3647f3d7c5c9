// Driver Verifier's checks of IRQL, spin locks, waits and critical regions, for a verified caller:
// each misuse is reported as 0xC4 with Microsoft's subcode, first by DDI compliance checking
// (a rule ID 0x2xxxx / 0x4xxxx) where a rule covers the call, otherwise (or with 0x20000 off, or
// the rule turned off) by the verifier's automatic check. The kernel's own codes for an
// unverified machine are in the tests named after each routine.
#include <gtest/gtest.h>

#include <functional>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

KSPIN_LOCK g_lock;
KLOCK_QUEUE_HANDLE g_handle;

std::uint64_t lock_address() { return reinterpret_cast<std::uintptr_t>(&g_lock); }

struct Misuse {
  const char* name;
  VerifierOptions verifier;
  std::function<void()> body;  // runs in a verified lab thread (test code is verified)
  std::uint64_t subcode;       // 0xC4 parameter 1
  std::uint64_t p2 = 0;        // checked when nonzero
  std::uint64_t p3 = 0;        // checked when nonzero
};

VerifierOptions standard() { return VerifierOptions::standard(); }
VerifierOptions with_rule_off(std::uint64_t rule) {
  VerifierOptions options;
  options.disabled_rules.insert(rule);
  return options;
}

void acquire_then_release_twice() {
  KeInitializeSpinLock(&g_lock);
  KIRQL old;
  KeAcquireSpinLock(&g_lock, &old);
  KeReleaseSpinLock(&g_lock, old);
  KeReleaseSpinLock(&g_lock, old);  // at PASSIVE_LEVEL now
}

void leave_critical_region_unentered() { KeLeaveCriticalRegion(); }

const Misuse kMisuses[] = {
    {"RaiseToLower", standard(),
     [] {
       KIRQL old;
       KeRaiseIrql(DISPATCH_LEVEL, &old);
       KeRaiseIrql(APC_LEVEL, &old);
     },
     0x30, DISPATCH_LEVEL, APC_LEVEL},
    {"RaiseOutOfRange", standard(),
     [] {
       KIRQL old;
       KeRaiseIrql(40, &old);
     },
     0x30, 0, 40},
    {"LowerToHigher", standard(),
     [] {
       KIRQL old;
       KeRaiseIrql(APC_LEVEL, &old);
       KeLowerIrql(DISPATCH_LEVEL);
     },
     0x31, APC_LEVEL, DISPATCH_LEVEL},
    {"ReleaseTwiceIsIrqlKeReleaseSpinLock", standard(), acquire_then_release_twice, 0x00020015},
    {"ReleaseTwiceWithoutDdiIs32", without_ddi_compliance(), acquire_then_release_twice, 0x32, 0, 0},
    {"ReleaseTwiceWithTheRuleOffIs32", with_rule_off(0x00020015), acquire_then_release_twice, 0x32, 0, 0},
    {"ReleaseFromDpcLevelUnheldIsSpinlockRelease", standard(),
     [] {
       KeInitializeSpinLock(&g_lock);
       KeRaiseIrqlToDpcLevel();
       KeReleaseSpinLockFromDpcLevel(&g_lock);
     },
     0x0004000A},
    {"ReleaseFromDpcLevelUnheldWithoutDdiIs1007", without_ddi_compliance(),
     [] {
       KeInitializeSpinLock(&g_lock);
       KeRaiseIrqlToDpcLevel();
       KeReleaseSpinLockFromDpcLevel(&g_lock);
     },
     0x1007},
    {"ReleaseForDpcBelowDispatchIs35", standard(),
     [] {
       KeInitializeSpinLock(&g_lock);
       const KIRQL old = KeAcquireSpinLockForDpc(&g_lock);
       KeLowerIrql(PASSIVE_LEVEL);
       KeReleaseSpinLockForDpc(&g_lock, old);
     },
     0x35, PASSIVE_LEVEL},
    {"QueuedReleaseBelowDispatchIs36", standard(),
     [] {
       KeInitializeSpinLock(&g_lock);
       KeAcquireInStackQueuedSpinLock(&g_lock, &g_handle);
       KeLowerIrql(APC_LEVEL);
       KeReleaseInStackQueuedSpinLock(&g_handle);
     },
     0x36, APC_LEVEL},
    {"AcquireAtDpcLevelBelowDispatchIs40", standard(),
     [] {
       KeInitializeSpinLock(&g_lock);
       KeAcquireSpinLockAtDpcLevel(&g_lock);
     },
     0x40, PASSIVE_LEVEL},
    {"ReleaseFromDpcLevelBelowDispatchIs41", standard(),
     [] {
       KeInitializeSpinLock(&g_lock);
       KeReleaseSpinLockFromDpcLevel(&g_lock);
     },
     0x41, PASSIVE_LEVEL},
    {"AcquireAboveDispatchWithoutDdiIs42", without_ddi_compliance(),
     [] {
       KeInitializeSpinLock(&g_lock);
       KIRQL old;
       KeRaiseIrql(HIGH_LEVEL, &old);
       KeAcquireSpinLock(&g_lock, &old);
     },
     0x42, HIGH_LEVEL},
    {"RecursiveAcquireIsSpinLockRule", standard(),
     [] {
       KeInitializeSpinLock(&g_lock);
       KIRQL old;
       KeAcquireSpinLock(&g_lock, &old);
       KeAcquireSpinLockAtDpcLevel(&g_lock);
     },
     0x00040009},
    {"RecursiveQueuedAcquireIsQueuedSpinLockRule", standard(),
     [] {
       KeInitializeSpinLock(&g_lock);
       KLOCK_QUEUE_HANDLE first;
       KeAcquireInStackQueuedSpinLock(&g_lock, &first);
       KeAcquireInStackQueuedSpinLockAtDpcLevel(&g_lock, &g_handle);
     },
     0x00040006},
    {"RecursiveAcquireWithoutDdiIsSelfDeadlock", without_ddi_compliance(),
     [] {
       KeInitializeSpinLock(&g_lock);
       KIRQL old;
       KeAcquireSpinLock(&g_lock, &old);
       KeAcquireSpinLockAtDpcLevel(&g_lock);
     },
     0x1000},
    {"LeaveCriticalRegionUnenteredIsCriticalRegions", standard(), leave_critical_region_unentered, 0x00040003},
    {"LeaveCriticalRegionUnenteredWithoutDdiIs3E", without_ddi_compliance(), leave_critical_region_unentered, 0x3E},
    {"LeaveGuardedRegionUnenteredIsGuardedRegions", standard(), [] { KeLeaveGuardedRegion(); }, 0x0004000E},
    {"ThreadEndingInsideACriticalRegionIsCriticalRegions", standard(), [] { KeEnterCriticalRegion(); }, 0x00040003},
    {"EnterCriticalRegionAtDispatchWithoutDdiIs11A", without_ddi_compliance(),
     [] {
       KIRQL old;
       KeRaiseIrql(DISPATCH_LEVEL, &old);
       KeEnterCriticalRegion();
     },
     0x11A, DISPATCH_LEVEL},
    {"LeaveCriticalRegionAtDispatchWithoutDdiIs11B", without_ddi_compliance(),
     [] {
       KeEnterCriticalRegion();
       KIRQL old;
       KeRaiseIrql(DISPATCH_LEVEL, &old);
       KeLeaveCriticalRegion();
     },
     0x11B, DISPATCH_LEVEL},
    {"EnterCriticalRegionAtDispatchIsIrqlKeApcLte2", standard(),
     [] {
       KIRQL old;
       KeRaiseIrql(DISPATCH_LEVEL, &old);
       KeEnterCriticalRegion();
     },
     0x00020010},
    {"SetEventWithWaitAtDispatchIsIrqlKeSetEvent", standard(),
     [] {
       static KEVENT event;
       KeInitializeEvent(&event, NotificationEvent, FALSE);
       KIRQL old;
       KeRaiseIrql(DISPATCH_LEVEL, &old);
       KeSetEvent(&event, 0, TRUE);
     },
     0x00020016},
    {"ReleaseMutexNobodyOwnsIs1007", standard(),
     [] {
       static KMUTEX mutex;
       KeInitializeMutex(&mutex, 0);
       KeReleaseMutex(&mutex, FALSE);
     },
     0x1007},
    {"ThreadEndingOwningAKernelMutexIs100A", standard(),
     [] {
       static KMUTEX mutex;
       KeInitializeMutex(&mutex, 0);
       KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr);
     },
     0x100A},
};

class DriverVerifierChecks : public ::testing::TestWithParam<Misuse> {};

TEST_P(DriverVerifierChecks, ReportTheVerifiersCode) {
  const Misuse& misuse = GetParam();
  const Finding finding = bug_check_with(misuse.verifier, misuse.body);
  ASSERT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << finding.summary();
  EXPECT_EQ(finding.parameters[0], misuse.subcode) << finding.summary();
  if (misuse.p2 != 0) {
    EXPECT_EQ(finding.parameters[1], misuse.p2) << finding.summary();
  }
  if (misuse.p3 != 0) {
    EXPECT_EQ(finding.parameters[2], misuse.p3) << finding.summary();
  }
  if ((misuse.subcode >> 16) != 0) {
    // DDI compliance: P2 points at the condition's text, P3 is the rule's state (0).
    ASSERT_NE(finding.parameters[1], 0u);
    EXPECT_GT(std::string(reinterpret_cast<const char*>(finding.parameters[1])).size(), 10u);
    EXPECT_EQ(finding.parameters[2], 0u);
    EXPECT_FALSE(finding.rule.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Misuses, DriverVerifierChecks, ::testing::ValuesIn(kMisuses), RowName());

TEST(DriverVerifierChecks, SpinLockChecksNameTheLock) {
  const Finding finding = bug_check_with(without_ddi_compliance(), acquire_then_release_twice);
  EXPECT_EQ(finding.parameters[0], 0x32u);
  EXPECT_EQ(finding.parameters[2], lock_address());
}

TEST(DriverVerifierChecks, LowerIrqlBelowDispatchInADpcIs31WithParameter4One) {
  KDPC dpc;
  const Finding finding = bug_check_of([&] {
    KeInitializeDpc(
        &dpc, [](PKDPC, PVOID, PVOID, PVOID) { KeLowerIrql(PASSIVE_LEVEL); }, nullptr);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
  });
  ASSERT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << finding.summary();
  EXPECT_EQ(finding.parameters[0], 0x31u);
  EXPECT_EQ(finding.parameters[1], static_cast<std::uint64_t>(DISPATCH_LEVEL));
  EXPECT_EQ(finding.parameters[2], static_cast<std::uint64_t>(PASSIVE_LEVEL));
  EXPECT_EQ(finding.parameters[3], 1u);
}

// `!verifier`'s RaiseIrqls and AcquireSpinLocks, counted for verified code only.
TEST(DriverVerifierChecks, CountRaisesAndSpinLockAcquires) {
  for (const bool verified : {true, false}) {
    Lab lab({.processors = 1, .seed = 1, .verifier = verified ? VerifierOptions::standard() : VerifierOptions::off()});
    lab.spawn("counted", [] {
      KeInitializeSpinLock(&g_lock);
      KIRQL old;
      KeRaiseIrql(APC_LEVEL, &old);
      KeLowerIrql(old);
      KeAcquireSpinLock(&g_lock, &old);
      KeReleaseSpinLock(&g_lock, old);
      KeInitializeSpinLock(&g_lock);  // now a queued spin lock (0x1008 otherwise)
      KeAcquireInStackQueuedSpinLock(&g_lock, &g_handle);
      KeReleaseInStackQueuedSpinLock(&g_handle);
    });
    ASSERT_EQ(lab.run_until_idle(), RunStatus::Idle);
    const VerifierCounters counters = lab.verifier_counters("");
    EXPECT_EQ(counters.raise_irqls, verified ? 1u : 0u);
    EXPECT_EQ(counters.acquire_spin_locks, verified ? 2u : 0u);
  }
}

TEST(DriverVerifierChecks, ACorrectPairOfEachRunsClean) {
  runs_clean([] {
    KeInitializeSpinLock(&g_lock);
    KIRQL old;
    KeAcquireSpinLock(&g_lock, &old);
    KeReleaseSpinLock(&g_lock, old);
    KeInitializeSpinLock(&g_lock);  // now a queued spin lock (0x1008 otherwise)
    KeAcquireInStackQueuedSpinLock(&g_lock, &g_handle);
    KeReleaseInStackQueuedSpinLock(&g_handle);
    KeEnterCriticalRegion();
    KeEnterCriticalRegion();
    KeLeaveCriticalRegion();
    KeLeaveCriticalRegion();
    KeEnterGuardedRegion();
    KeLeaveGuardedRegion();
    static KMUTEX mutex;
    KeInitializeMutex(&mutex, 0);
    KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr);
    KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr);  // kernel mutexes nest
    KeReleaseMutex(&mutex, FALSE);
    KeReleaseMutex(&mutex, FALSE);
  });
}

}  // namespace
}  // namespace wdmlab::test
