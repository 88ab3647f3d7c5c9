// Guarded mutexes: a guarded region instead of a raised IRQL, try-acquire, exact mutual exclusion
// under contention, and the checks they share with fast mutexes.
#include "ex_support.hpp"

namespace wdmlab {
namespace {

using ex_test::fatal;

TEST(KeAcquireGuardedMutex, EntersAGuardedRegionAtTheCallersIrql) {
  Lab lab;
  lab.spawn("owner", [] {
    KGUARDED_MUTEX mutex;
    KeInitializeGuardedMutex(&mutex);
    EXPECT_FALSE(KeAreAllApcsDisabled());
    KeAcquireGuardedMutex(&mutex);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    EXPECT_TRUE(KeAreAllApcsDisabled());  // special kernel APCs too: a guarded region
    EXPECT_EQ(mutex.Owner, KeGetCurrentThread());
    KeReleaseGuardedMutex(&mutex);
    EXPECT_FALSE(KeAreAllApcsDisabled());
    EXPECT_EQ(mutex.Count, FM_LOCK_BIT);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(KeTryToAcquireGuardedMutex, FailsAndLeavesTheRegionWhileAnotherThreadOwnsIt) {
  Lab lab({.processors = 2, .seed = 9});
  static KGUARDED_MUTEX mutex;
  static KEVENT held, done;
  KeInitializeGuardedMutex(&mutex);
  KeInitializeEvent(&held, NotificationEvent, FALSE);
  KeInitializeEvent(&done, NotificationEvent, FALSE);
  lab.spawn("owner", [] {
    KeAcquireGuardedMutex(&mutex);
    KeSetEvent(&held, 0, FALSE);
    KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, nullptr);
    KeReleaseGuardedMutex(&mutex);
  });
  lab.spawn("trier", [] {
    KeWaitForSingleObject(&held, Executive, KernelMode, FALSE, nullptr);
    EXPECT_FALSE(KeTryToAcquireGuardedMutex(&mutex));
    EXPECT_FALSE(KeAreAllApcsDisabled());
    KeSetEvent(&done, 0, FALSE);
    KeAcquireGuardedMutex(&mutex);
    KeReleaseGuardedMutex(&mutex);
    EXPECT_TRUE(KeTryToAcquireGuardedMutex(&mutex));
    EXPECT_TRUE(KeAreAllApcsDisabled());
    KeReleaseGuardedMutex(&mutex);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(KeAcquireGuardedMutex, ACounterItProtectsComesOutExact) {
  for (std::uint64_t seed = 11; seed <= 16; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    static KGUARDED_MUTEX mutex;
    static long counter;
    counter = 0;
    KeInitializeGuardedMutex(&mutex);
    for (const char* name : {"one", "two"}) {
      lab.spawn(name, [] {
        for (int i = 0; i < 150; ++i) {
          KeAcquireGuardedMutex(&mutex);
          const long value = counter;
          KeGetCurrentIrql();
          counter = value + 1;
          KeReleaseGuardedMutex(&mutex);
        }
      });
    }
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle) << "seed " << seed;
    EXPECT_EQ(counter, 300) << "seed " << seed;
  }
}

TEST(KeAcquireGuardedMutexUnsafe, NeedsAGuardedRegion) {
  Lab lab;
  lab.spawn("careful", [] {
    KGUARDED_MUTEX mutex;
    KeInitializeGuardedMutex(&mutex);
    KeEnterGuardedRegion();
    KeAcquireGuardedMutexUnsafe(&mutex);
    EXPECT_EQ(mutex.Owner, KeGetCurrentThread());
    KeReleaseGuardedMutexUnsafe(&mutex);
    KeLeaveGuardedRegion();
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(KeAcquireGuardedMutexUnsafe, OutsideAGuardedRegionIsVerifier39) {
  Lab lab;
  static KGUARDED_MUTEX mutex;
  KeInitializeGuardedMutex(&mutex);
  lab.spawn("careless", [] {
    KeEnterCriticalRegion();  // a critical region does not block special kernel APCs
    KeAcquireGuardedMutexUnsafe(&mutex);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, ex_test::kVerifier);
  EXPECT_EQ(finding.parameters[0], 0x39u);
  EXPECT_EQ(finding.parameters[1], static_cast<std::uint64_t>(PASSIVE_LEVEL));
  EXPECT_EQ(finding.parameters[2], 0xFFFFu);  // CombinedApcDisable: KernelApcDisable = -1
  EXPECT_EQ(finding.parameters[3], reinterpret_cast<std::uintptr_t>(&mutex));
}

TEST(KeAcquireGuardedMutex, AboveApcLevelIsVerifier33) {
  Lab lab({.verifier = {.flags = kVerifierStandardFlags & ~kVerifierDdiCompliance}});
  static KGUARDED_MUTEX mutex;
  KeInitializeGuardedMutex(&mutex);
  lab.spawn("raised", [] {
    KIRQL old_irql;
    KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
    KeAcquireGuardedMutex(&mutex);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  EXPECT_EQ(fatal(lab).code, ex_test::kVerifier);
  EXPECT_EQ(fatal(lab).parameters[0], 0x33u);
  EXPECT_EQ(fatal(lab).parameters[1], static_cast<std::uint64_t>(DISPATCH_LEVEL));
}

}  // namespace
}  // namespace wdmlab
