// Deadlock detection (verifier /flags 0x20): two code paths that take the same two locks in
// opposite orders are reported as 0xC4/0x1001 when the second order is first taken, even though
// the paths run at different times and never deadlock, with both acquisitions' stacks; the
// other ownership checks (0x1003, 0x1004, 0x100A) and the same code with the option off.
#include <gtest/gtest.h>
#include <wdm.h>

#include <functional>

#include "wdmlab/lab.hpp"

namespace wdmlab {
namespace {

constexpr std::uint64_t kHierarchyViolation = 0x1001;

// Two locks of one kind, taken and released in a given order by the running thread.
struct LockPair {
  const char* name;
  std::function<void()> initialize;
  std::function<void(bool first_then_second)> take_both;  // acquires in that order, then releases
};

KSPIN_LOCK g_spin[2];
FAST_MUTEX g_fast[2];
KGUARDED_MUTEX g_guarded[2];
KMUTEX g_mutex[2];
ERESOURCE g_resource[2];

void in_order(bool first_then_second, const std::function<void(int)>& acquire,
              const std::function<void(int)>& release) {
  const int a = first_then_second ? 0 : 1;
  const int b = 1 - a;
  acquire(a);
  acquire(b);
  release(b);
  release(a);
}

const LockPair kPairs[] = {
    {"SpinLocks", [] { KeInitializeSpinLock(&g_spin[0]), KeInitializeSpinLock(&g_spin[1]); },
     [](bool order) {
       KIRQL old[2];
       in_order(
           order, [&](int i) { KeAcquireSpinLock(&g_spin[i], &old[i]); },
           [&](int i) { KeReleaseSpinLock(&g_spin[i], old[i]); });
     }},
    {"QueuedSpinLocks", [] { KeInitializeSpinLock(&g_spin[0]), KeInitializeSpinLock(&g_spin[1]); },
     [](bool order) {
       KLOCK_QUEUE_HANDLE handles[2];
       in_order(
           order, [&](int i) { KeAcquireInStackQueuedSpinLock(&g_spin[i], &handles[i]); },
           [&](int i) { KeReleaseInStackQueuedSpinLock(&handles[i]); });
     }},
    {"FastMutexes", [] { ExInitializeFastMutex(&g_fast[0]), ExInitializeFastMutex(&g_fast[1]); },
     [](bool order) {
       KeEnterCriticalRegion();
       in_order(
           order, [](int i) { ExAcquireFastMutexUnsafe(&g_fast[i]); },
           [](int i) { ExReleaseFastMutexUnsafe(&g_fast[i]); });
       KeLeaveCriticalRegion();
     }},
    {"GuardedMutexes", [] { KeInitializeGuardedMutex(&g_guarded[0]), KeInitializeGuardedMutex(&g_guarded[1]); },
     [](bool order) {
       in_order(
           order, [](int i) { KeAcquireGuardedMutex(&g_guarded[i]); },
           [](int i) { KeReleaseGuardedMutex(&g_guarded[i]); });
     }},
    {"KernelMutexes", [] { KeInitializeMutex(&g_mutex[0], 0), KeInitializeMutex(&g_mutex[1], 0); },
     [](bool order) {
       in_order(
           order, [](int i) { KeWaitForSingleObject(&g_mutex[i], Executive, KernelMode, FALSE, nullptr); },
           [](int i) { KeReleaseMutex(&g_mutex[i], FALSE); });
     }},
    {"Resources", [] { ExInitializeResourceLite(&g_resource[0]), ExInitializeResourceLite(&g_resource[1]); },
     [](bool order) {
       KeEnterCriticalRegion();
       in_order(
           order, [](int i) { ExAcquireResourceExclusiveLite(&g_resource[i], TRUE); },
           [](int i) { ExReleaseResourceLite(&g_resource[i]); });
       KeLeaveCriticalRegion();
     }},
};

class OppositeOrders : public ::testing::TestWithParam<LockPair> {};

// One thread takes first -> second; once it is done, another takes second -> first.
RunStatus run_both_orders(Lab& lab, const LockPair& pair) {
  static KEVENT first_done;
  KeInitializeEvent(&first_done, NotificationEvent, FALSE);
  lab.spawn("forward", [&pair] {
    pair.initialize();
    pair.take_both(true);
    KeSetEvent(&first_done, 0, FALSE);
  });
  lab.spawn("backward", [&pair] {
    KeWaitForSingleObject(&first_done, Executive, KernelMode, FALSE, nullptr);
    pair.take_both(false);
  });
  return lab.run_until_idle();
}

TEST_P(OppositeOrders, AreAHierarchyViolationBeforeAnyDeadlock) {
  const LockPair& pair = GetParam();
  Lab lab({.processors = 2, .seed = 1});
  ASSERT_EQ(run_both_orders(lab, pair), RunStatus::Stopped);
  const Finding* finding = lab.fatal_finding();
  ASSERT_NE(finding, nullptr);
  EXPECT_EQ(finding->code, DRIVER_VERIFIER_DETECTED_VIOLATION) << finding->summary();
  EXPECT_EQ(finding->parameters[0], kHierarchyViolation) << finding->summary();
  EXPECT_EQ(finding->context.name, "backward");
  EXPECT_NE(finding->parameters[1], 0u);  // the lock being acquired
  EXPECT_NE(finding->parameters[2], 0u);  // the lock held
  EXPECT_NE(finding->parameters[1], finding->parameters[2]);
  // The earlier acquire (forward's) and this one.
  ASSERT_EQ(finding->involved.size(), 2u) << finding->to_text();
  EXPECT_NE(finding->involved[0].name.find("earlier acquire"), std::string::npos) << finding->involved[0].name;
  EXPECT_NE(finding->involved[0].name.find("forward"), std::string::npos) << finding->involved[0].name;
  EXPECT_FALSE(finding->involved[0].stack.empty());
  EXPECT_FALSE(finding->involved[1].stack.empty());
}

TEST_P(OppositeOrders, RunCleanWithDeadlockDetectionOff) {
  const LockPair& pair = GetParam();
  Lab lab({.processors = 2, .seed = 1, .verifier = {.flags = kVerifierStandardFlags & ~kVerifierDeadlockDetection}});
  EXPECT_EQ(run_both_orders(lab, pair), RunStatus::Idle);
  for (const Finding& finding : lab.findings()) ADD_FAILURE() << finding.summary();
}

TEST_P(OppositeOrders, TheSameOrderTwiceRunsClean) {
  const LockPair& pair = GetParam();
  Lab lab({.processors = 2, .seed = 1});
  lab.spawn("twice", [&pair] {
    pair.initialize();
    pair.take_both(true);
    pair.take_both(true);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  for (const Finding& finding : lab.findings()) ADD_FAILURE() << finding.summary();
}

INSTANTIATE_TEST_SUITE_P(Locks, OppositeOrders, ::testing::ValuesIn(kPairs),
                         [](const ::testing::TestParamInfo<LockPair>& row) { return row.param.name; });

// Takes `outer`, then `inner` under it, and releases both.
void take_nested(PKSPIN_LOCK outer, PKSPIN_LOCK inner) {
  KIRQL old;
  KeAcquireSpinLock(outer, &old);
  KeAcquireSpinLockAtDpcLevel(inner);
  KeReleaseSpinLockFromDpcLevel(inner);
  KeReleaseSpinLock(outer, old);
}

TEST(LockOrder, ALongerCycleIsFoundThroughTheGraph) {
  // A -> B, B -> C, then C -> A: a cycle of three locks.
  Lab lab({.processors = 1, .seed = 1});
  static KSPIN_LOCK locks[3];
  lab.spawn("paths", [] {
    for (KSPIN_LOCK& lock : locks) KeInitializeSpinLock(&lock);
    const auto both = [](int a, int b) { take_nested(&locks[a], &locks[b]); };
    both(0, 1);
    both(1, 2);
    both(2, 0);
  });
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding* finding = lab.fatal_finding();
  ASSERT_NE(finding, nullptr);
  EXPECT_EQ(finding->parameters[0], kHierarchyViolation);
  EXPECT_EQ(finding->parameters[1], reinterpret_cast<std::uintptr_t>(&locks[0]));
  EXPECT_EQ(finding->parameters[2], reinterpret_cast<std::uintptr_t>(&locks[2]));
}

TEST(LockOrder, ReinitialisingALockForgetsItsOrder) {
  Lab lab({.processors = 1, .seed = 1});
  static KSPIN_LOCK locks[2];
  lab.spawn("paths", [] {
    const auto both = [](int a, int b) { take_nested(&locks[a], &locks[b]); };
    KeInitializeSpinLock(&locks[0]);
    KeInitializeSpinLock(&locks[1]);
    both(0, 1);
    KeInitializeSpinLock(&locks[0]);  // a new lock at the same address
    both(1, 0);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(LockOrder, SpinLocksReleasedOutOfOrderAre1003) {
  Lab lab({.processors = 1, .seed = 1});
  static KSPIN_LOCK locks[2];
  lab.spawn("crossed", [] {
    KeInitializeSpinLock(&locks[0]);
    KeInitializeSpinLock(&locks[1]);
    KIRQL old;
    KeAcquireSpinLock(&locks[0], &old);
    KeAcquireSpinLockAtDpcLevel(&locks[1]);
    KeReleaseSpinLockFromDpcLevel(&locks[0]);
  });
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding* finding = lab.fatal_finding();
  ASSERT_NE(finding, nullptr);
  EXPECT_EQ(finding->parameters[0], 0x1003u);
  EXPECT_EQ(finding->parameters[1], reinterpret_cast<std::uintptr_t>(&locks[0]));
  EXPECT_EQ(finding->parameters[2], reinterpret_cast<std::uintptr_t>(&locks[1]));
}

TEST(LockOrder, AKernelMutexReleasedByAnotherThreadIs1004) {
  Lab lab({.processors = 2, .seed = 1});
  static KMUTEX mutex;
  static KEVENT owned;
  static PKTHREAD owner;
  static PKTHREAD other;
  KeInitializeMutex(&mutex, 0);
  KeInitializeEvent(&owned, NotificationEvent, FALSE);
  lab.spawn("owner", [] {
    KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr);
    owner = KeGetCurrentThread();
    KeSetEvent(&owned, 0, FALSE);
    LARGE_INTEGER forever{.QuadPart = -10'000'000};
    KeDelayExecutionThread(KernelMode, FALSE, &forever);
  });
  lab.spawn("other", [] {
    KeWaitForSingleObject(&owned, Executive, KernelMode, FALSE, nullptr);
    other = KeGetCurrentThread();
    KeReleaseMutex(&mutex, FALSE);
  });
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding* finding = lab.fatal_finding();
  ASSERT_NE(finding, nullptr);
  EXPECT_EQ(finding->parameters[0], 0x1004u) << finding->summary();
  EXPECT_EQ(finding->parameters[1], reinterpret_cast<std::uintptr_t>(&mutex));
  EXPECT_EQ(finding->parameters[2], reinterpret_cast<std::uintptr_t>(owner));
  EXPECT_EQ(finding->parameters[3], reinterpret_cast<std::uintptr_t>(other));
}

TEST(LockOrder, AnExclusiveAcquireOfAResourceHeldSharedIsASelfDeadlock) {
  Lab lab({.processors = 1, .seed = 1});
  static ERESOURCE resource;
  ExInitializeResourceLite(&resource);
  lab.spawn("upgrader", [] {
    KeEnterCriticalRegion();
    ExAcquireResourceSharedLite(&resource, TRUE);
    ExAcquireResourceSharedLite(&resource, TRUE);     // recursive shared: allowed
    ExAcquireResourceExclusiveLite(&resource, TRUE);  // waits for itself
  });
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding* finding = lab.fatal_finding();
  ASSERT_NE(finding, nullptr);
  EXPECT_EQ(finding->parameters[0], 0x1000u) << finding->summary();
  EXPECT_EQ(finding->parameters[1], reinterpret_cast<std::uintptr_t>(&resource));
}

TEST(LockOrder, OneSpinLockUsedAsOrdinaryAndQueuedIs1008) {
  Lab lab({.processors = 1, .seed = 1});
  static KSPIN_LOCK lock;
  lab.spawn("mixed", [] {
    KeInitializeSpinLock(&lock);
    KIRQL old;
    KeAcquireSpinLock(&lock, &old);
    KeReleaseSpinLock(&lock, old);
    KLOCK_QUEUE_HANDLE handle;
    KeAcquireInStackQueuedSpinLock(&lock, &handle);
  });
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding* finding = lab.fatal_finding();
  ASSERT_NE(finding, nullptr);
  EXPECT_EQ(finding->parameters[0], 0x1008u) << finding->summary();
  EXPECT_EQ(finding->parameters[1], reinterpret_cast<std::uintptr_t>(&lock));
}

TEST(LockOrder, AThreadEndingHoldingAFastMutexIs100A) {
  Lab lab({.processors = 1, .seed = 1});
  static FAST_MUTEX mutex;
  static PKTHREAD leaver;
  lab.spawn("leaver", [] {
    leaver = KeGetCurrentThread();
    ExInitializeFastMutex(&mutex);
    KeEnterCriticalRegion();
    ExAcquireFastMutexUnsafe(&mutex);
  });
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding* finding = lab.fatal_finding();
  ASSERT_NE(finding, nullptr);
  EXPECT_EQ(finding->parameters[0], 0x100Au) << finding->summary();
  EXPECT_EQ(finding->parameters[1], reinterpret_cast<std::uintptr_t>(&mutex));
  EXPECT_EQ(finding->parameters[2], reinterpret_cast<std::uintptr_t>(leaver));  // the thread object
}

}  // namespace
}  // namespace wdmlab
