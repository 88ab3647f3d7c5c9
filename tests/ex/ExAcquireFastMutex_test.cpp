// Fast mutexes: the IRQL effects, ownership, exact mutual exclusion under contention on two
// processors, the verifier checks, and deadlocks found by the scheduler.
#include <set>
#include <string>

#include "ex_support.hpp"

namespace wdmlab {
namespace {

using ex_test::fatal;

TEST(ExAcquireFastMutex, RaisesToApcLevelAndRestoresTheOldIrql) {
  Lab lab;
  lab.spawn("owner", [] {
    FAST_MUTEX mutex;
    ExInitializeFastMutex(&mutex);
    EXPECT_EQ(mutex.Count, FM_LOCK_BIT);
    EXPECT_EQ(mutex.Owner, nullptr);
    ExAcquireFastMutex(&mutex);
    EXPECT_EQ(KeGetCurrentIrql(), APC_LEVEL);
    EXPECT_EQ(mutex.OldIrql, static_cast<ULONG>(PASSIVE_LEVEL));
    EXPECT_EQ(mutex.Owner, KeGetCurrentThread());
    EXPECT_EQ(mutex.Count & FM_LOCK_BIT, 0);
    ExReleaseFastMutex(&mutex);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    EXPECT_EQ(mutex.Owner, nullptr);
    EXPECT_EQ(mutex.Count, FM_LOCK_BIT);

    // Acquired at APC_LEVEL, the mutex gives APC_LEVEL back.
    KIRQL old_irql;
    KeRaiseIrql(APC_LEVEL, &old_irql);
    ExAcquireFastMutex(&mutex);
    EXPECT_EQ(mutex.OldIrql, static_cast<ULONG>(APC_LEVEL));
    ExReleaseFastMutex(&mutex);
    EXPECT_EQ(KeGetCurrentIrql(), APC_LEVEL);
    KeLowerIrql(old_irql);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExTryToAcquireFastMutex, FailsWithoutWaitingWhileAnotherThreadOwnsIt) {
  Lab lab({.processors = 2, .seed = 4});
  static FAST_MUTEX mutex;
  static KEVENT held, done;
  ExInitializeFastMutex(&mutex);
  KeInitializeEvent(&held, NotificationEvent, FALSE);
  KeInitializeEvent(&done, NotificationEvent, FALSE);
  lab.spawn("owner", [] {
    ExAcquireFastMutex(&mutex);
    KeSetEvent(&held, 0, FALSE);
    KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, nullptr);
    ExReleaseFastMutex(&mutex);
  });
  lab.spawn("trier", [] {
    KeWaitForSingleObject(&held, Executive, KernelMode, FALSE, nullptr);
    EXPECT_FALSE(ExTryToAcquireFastMutex(&mutex));
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);  // a failed try leaves the IRQL alone
    KeSetEvent(&done, 0, FALSE);
    ExAcquireFastMutex(&mutex);  // waits for the owner
    ExReleaseFastMutex(&mutex);
    EXPECT_TRUE(ExTryToAcquireFastMutex(&mutex));
    EXPECT_EQ(KeGetCurrentIrql(), APC_LEVEL);
    ExReleaseFastMutex(&mutex);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExAcquireFastMutex, ACounterItProtectsComesOutExact) {
  ULONG contention = 0;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    static FAST_MUTEX mutex;
    static long counter;
    counter = 0;
    ExInitializeFastMutex(&mutex);
    for (const char* name : {"one", "two", "three"}) {
      lab.spawn(name, [] {
        for (int i = 0; i < 100; ++i) {
          ExAcquireFastMutex(&mutex);
          const long value = counter;
          KeGetCurrentIrql();  // a scheduling point inside the critical section
          counter = value + 1;
          ExReleaseFastMutex(&mutex);
        }
      });
    }
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle) << "seed " << seed;
    EXPECT_EQ(counter, 300) << "seed " << seed;
    EXPECT_EQ(mutex.Count, FM_LOCK_BIT) << "seed " << seed;
    contention += mutex.Contention;
  }
  EXPECT_GT(contention, 0u);  // the runs did contend
}

TEST(ExAcquireFastMutexUnsafe, NeedsApcLevelOrACriticalRegion) {
  Lab lab;
  lab.spawn("careful", [] {
    FAST_MUTEX mutex;
    ExInitializeFastMutex(&mutex);
    KeEnterCriticalRegion();
    ExAcquireFastMutexUnsafe(&mutex);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);  // the Unsafe forms leave the IRQL alone
    EXPECT_EQ(mutex.Owner, KeGetCurrentThread());
    ExReleaseFastMutexUnsafe(&mutex);
    KeLeaveCriticalRegion();
    KIRQL old_irql;
    KeRaiseIrql(APC_LEVEL, &old_irql);
    ExAcquireFastMutexUnsafe(&mutex);
    ExReleaseFastMutexUnsafe(&mutex);
    KeLowerIrql(old_irql);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

// Each row: a misuse, the verifier subcode (0xC4 parameter 1) and which parameter holds the mutex.
struct Misuse {
  const char* what;
  std::uint64_t subcode;
  int mutex_parameter;
  void (*body)(FAST_MUTEX* mutex);
};

const Misuse kMisuses[] = {
    {"acquire at DISPATCH_LEVEL", 0x33, 2,
     [](FAST_MUTEX* mutex) {
       KIRQL old_irql;
       KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
       ExAcquireFastMutex(mutex);
     }},
    {"try to acquire at DISPATCH_LEVEL", 0x33, 2,
     [](FAST_MUTEX* mutex) {
       KIRQL old_irql;
       KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
       (void)ExTryToAcquireFastMutex(mutex);
     }},
    {"release at PASSIVE_LEVEL", 0x34, 2,
     [](FAST_MUTEX* mutex) {
       KeEnterCriticalRegion();
       ExAcquireFastMutexUnsafe(mutex);
       ExReleaseFastMutex(mutex);
     }},
    {"release of a mutex nobody owns", 0x1007, 1,
     [](FAST_MUTEX* mutex) {
       KIRQL old_irql;
       KeRaiseIrql(APC_LEVEL, &old_irql);
       ExReleaseFastMutex(mutex);
     }},
    {"unsafe acquire with APCs enabled", 0x39, 3, [](FAST_MUTEX* mutex) { ExAcquireFastMutexUnsafe(mutex); }},
    {"unsafe release with APCs enabled", 0x3A, 3,
     [](FAST_MUTEX* mutex) {
       KeEnterCriticalRegion();
       ExAcquireFastMutexUnsafe(mutex);
       KeLeaveCriticalRegion();
       ExReleaseFastMutexUnsafe(mutex);
     }},
};

TEST(ExAcquireFastMutex, MisuseIsAVerifierBugCheck) {
  for (const Misuse& misuse : kMisuses) {
    Lab lab({.verifier = {.flags = kVerifierStandardFlags & ~kVerifierDdiCompliance}});
    static FAST_MUTEX mutex;
    ExInitializeFastMutex(&mutex);
    lab.spawn("user", [&misuse] { misuse.body(&mutex); });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped) << misuse.what;
    const Finding& finding = fatal(lab);
    EXPECT_EQ(finding.code, ex_test::kVerifier) << misuse.what;
    EXPECT_EQ(finding.parameters[0], misuse.subcode) << misuse.what;
    EXPECT_EQ(finding.parameters[misuse.mutex_parameter], reinterpret_cast<std::uintptr_t>(&mutex)) << misuse.what;
  }
}

// Under the standard flags, DDI compliance checking reports the acquires first (IrqlExApcLte1).
TEST(ExAcquireFastMutex, AtDispatchLevelIsIrqlExApcLte1UnderTheStandardFlags) {
  for (const Misuse& misuse : kMisuses) {
    if (misuse.subcode != 0x33) continue;
    Lab lab;
    static FAST_MUTEX mutex;
    ExInitializeFastMutex(&mutex);
    lab.spawn("user", [&misuse] { misuse.body(&mutex); });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped) << misuse.what;
    EXPECT_EQ(fatal(lab).parameters[0], 0x00020005u) << misuse.what;
    EXPECT_EQ(fatal(lab).rule, "IrqlExApcLte1") << misuse.what;
  }
}

// An unverified driver's misuse is not a bug check: Windows carries on (here, every misuse
// leaves the mutex usable; a release of a mutex nobody owns does nothing).
TEST(ExAcquireFastMutex, UnverifiedMisuseIsNotABugCheck) {
  for (const Misuse& misuse : kMisuses) {
    Lab lab({.verifier = VerifierOptions::off()});
    static FAST_MUTEX mutex;
    ExInitializeFastMutex(&mutex);
    lab.spawn("user", [&misuse] {
      KIRQL old_irql = KeGetCurrentIrql();
      misuse.body(&mutex);
      if (KeGetCurrentIrql() > old_irql) KeLowerIrql(old_irql);
    });
    lab.run_until_idle();
    for (const Finding& finding : lab.findings()) {
      EXPECT_NE(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << misuse.what << ": " << finding.summary();
    }
  }
}

TEST(ExReleaseFastMutex, ReleaseByAnotherThreadIsVerifier1004) {
  Lab lab({.processors = 2, .seed = 2});
  static FAST_MUTEX mutex;
  static KEVENT held;
  static PKTHREAD owner;
  static PKTHREAD thief;
  ExInitializeFastMutex(&mutex);
  KeInitializeEvent(&held, NotificationEvent, FALSE);
  lab.spawn("owner", [] {
    ExAcquireFastMutex(&mutex);
    owner = KeGetCurrentThread();
    KeSetEvent(&held, 0, FALSE);
    LARGE_INTEGER forever{.QuadPart = -10 * 1000 * 1000};
    KeDelayExecutionThread(KernelMode, FALSE, &forever);
  });
  lab.spawn("thief", [] {
    KeWaitForSingleObject(&held, Executive, KernelMode, FALSE, nullptr);
    thief = KeGetCurrentThread();
    KIRQL old_irql;
    KeRaiseIrql(APC_LEVEL, &old_irql);
    ExReleaseFastMutex(&mutex);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, ex_test::kVerifier);
  EXPECT_EQ(finding.parameters[0], 0x1004u);
  EXPECT_EQ(finding.parameters[1], reinterpret_cast<std::uintptr_t>(&mutex));
  EXPECT_EQ(finding.parameters[2], reinterpret_cast<std::uintptr_t>(owner));
  EXPECT_EQ(finding.parameters[3], reinterpret_cast<std::uintptr_t>(thief));
  EXPECT_EQ(finding.context.name, "thief");
}

TEST(ExReleaseFastMutex, AnOldIrqlAboveApcLevelIsIrqlNotLessOrEqual) {
  Lab lab;
  static FAST_MUTEX mutex;
  ExInitializeFastMutex(&mutex);
  lab.spawn("user", [] {
    ExAcquireFastMutex(&mutex);
    mutex.OldIrql = DISPATCH_LEVEL;  // overwritten: releasing would raise, not restore
    ExReleaseFastMutex(&mutex);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, ex_test::kIrqlNotLessOrEqual);
  EXPECT_EQ(finding.parameters[1], static_cast<std::uint64_t>(APC_LEVEL));
  EXPECT_EQ(finding.parameters[2], static_cast<std::uint64_t>(DISPATCH_LEVEL));
}

// Two threads take two fast mutexes in opposite orders; each ends up owning one and waiting for
// the other. Returns the run's finding.
Finding opposite_order(std::uint64_t seed, std::uint64_t* digest) {
  Lab lab({.processors = 2, .seed = seed, .verifier = {.flags = kVerifierStandardFlags & ~kVerifierDeadlockDetection}});
  static FAST_MUTEX first, second;
  static volatile LONG holders;
  ExInitializeFastMutex(&first);
  ExInitializeFastMutex(&second);
  holders = 0;
  auto body = [](FAST_MUTEX* mine, FAST_MUTEX* theirs) {
    ExAcquireFastMutex(mine);
    InterlockedIncrement(&holders);
    while (InterlockedCompareExchange(&holders, 2, 2) != 2) {
    }
    ExAcquireFastMutex(theirs);
    ExReleaseFastMutex(theirs);
    ExReleaseFastMutex(mine);
  };
  lab.spawn("A", [body] { body(&first, &second); });
  lab.spawn("B", [body] { body(&second, &first); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  *digest = lab.schedule_digest();
  return fatal(lab);
}

TEST(ExAcquireFastMutex, OppositeOrderDeadlockIsReportedWithBothThreads) {
  for (std::uint64_t seed : {1, 2, 3, 7, 42}) {
    std::uint64_t digest = 0;
    const Finding finding = opposite_order(seed, &digest);
    EXPECT_EQ(finding.code, ex_test::kDeadlock) << "seed " << seed;
    EXPECT_EQ(finding.parameters[0], 2u) << "seed " << seed;  // two contexts in the cycle
    ASSERT_EQ(finding.involved.size(), 1u) << "seed " << seed;
    const std::set<std::string> names = {finding.context.name, finding.involved[0].name};
    EXPECT_EQ(names, (std::set<std::string>{"A", "B"})) << "seed " << seed;
    EXPECT_EQ(finding.context.waiting_on.rfind("fast mutex ", 0), 0u) << finding.context.waiting_on;
    EXPECT_NE(finding.context.waiting_on.find("(owned by "), std::string::npos) << finding.context.waiting_on;
    EXPECT_EQ(finding.context.irql, APC_LEVEL);
    // The seed replays to the same finding.
    std::uint64_t replay_digest = 0;
    const Finding replay = opposite_order(seed, &replay_digest);
    EXPECT_EQ(replay_digest, digest);
    EXPECT_EQ(replay.context.name, finding.context.name);
    EXPECT_EQ(replay.decision, finding.decision);
  }
}

TEST(ExAcquireFastMutex, AcquiringItAgainDeadlocksTheThread) {
  Lab lab({.verifier = {.flags = kVerifierStandardFlags & ~kVerifierDeadlockDetection}});
  lab.spawn("recursive", [] {
    static FAST_MUTEX mutex;
    ExInitializeFastMutex(&mutex);
    ExAcquireFastMutex(&mutex);
    ExAcquireFastMutex(&mutex);  // fast mutexes are not recursive
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, ex_test::kDeadlock);
  EXPECT_EQ(finding.parameters[0], 1u);  // a cycle of one: the thread waits for itself
  EXPECT_EQ(finding.context.name, "recursive");
  EXPECT_NE(finding.context.waiting_on.find("(owned by recursive)"), std::string::npos) << finding.context.waiting_on;
}

}  // namespace
}  // namespace wdmlab
