// Every kind of lock the kernel core offers protects a read-modify-write that has a scheduling
// point in the middle: the counter comes out exact on 2 and 4 processors under 20 seeds each.
// (Without a lock the same pattern loses updates; see Interlocked_test.cpp.)
#include <gtest/gtest.h>

#include <string>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

struct Locks {
  KSPIN_LOCK spin_lock;
  KMUTEX mutex;
  KEVENT event;
  KSEMAPHORE semaphore;
};

struct LockKind {
  const char* name;
  void (*acquire)(Locks&, KLOCK_QUEUE_HANDLE&, KIRQL&);
  void (*release)(Locks&, KLOCK_QUEUE_HANDLE&, KIRQL);
};

const LockKind kKinds[] = {
    {"SpinLock", [](Locks& l, KLOCK_QUEUE_HANDLE&, KIRQL& old) { KeAcquireSpinLock(&l.spin_lock, &old); },
     [](Locks& l, KLOCK_QUEUE_HANDLE&, KIRQL old) { KeReleaseSpinLock(&l.spin_lock, old); }},
    {"SpinLockAtDpcLevel",
     [](Locks& l, KLOCK_QUEUE_HANDLE&, KIRQL& old) {
       old = KeRaiseIrqlToDpcLevel();
       KeAcquireSpinLockAtDpcLevel(&l.spin_lock);
     },
     [](Locks& l, KLOCK_QUEUE_HANDLE&, KIRQL old) {
       KeReleaseSpinLockFromDpcLevel(&l.spin_lock);
       KeLowerIrql(old);
     }},
    {"SpinLockForDpc", [](Locks& l, KLOCK_QUEUE_HANDLE&, KIRQL& old) { old = KeAcquireSpinLockForDpc(&l.spin_lock); },
     [](Locks& l, KLOCK_QUEUE_HANDLE&, KIRQL old) { KeReleaseSpinLockForDpc(&l.spin_lock, old); }},
    {"TryToAcquireSpinLock",
     [](Locks& l, KLOCK_QUEUE_HANDLE&, KIRQL& old) {
       old = KeRaiseIrqlToDpcLevel();
       while (!KeTryToAcquireSpinLockAtDpcLevel(&l.spin_lock)) YieldProcessor();
     },
     [](Locks& l, KLOCK_QUEUE_HANDLE&, KIRQL old) {
       KeReleaseSpinLockFromDpcLevel(&l.spin_lock);
       KeLowerIrql(old);
     }},
    {"InStackQueuedSpinLock",
     [](Locks& l, KLOCK_QUEUE_HANDLE& handle, KIRQL&) { KeAcquireInStackQueuedSpinLock(&l.spin_lock, &handle); },
     [](Locks&, KLOCK_QUEUE_HANDLE& handle, KIRQL) { KeReleaseInStackQueuedSpinLock(&handle); }},
    {"InStackQueuedSpinLockAtDpcLevel",
     [](Locks& l, KLOCK_QUEUE_HANDLE& handle, KIRQL& old) {
       old = KeRaiseIrqlToDpcLevel();
       KeAcquireInStackQueuedSpinLockAtDpcLevel(&l.spin_lock, &handle);
     },
     [](Locks&, KLOCK_QUEUE_HANDLE& handle, KIRQL old) {
       KeReleaseInStackQueuedSpinLockFromDpcLevel(&handle);
       KeLowerIrql(old);
     }},
    {"Mutex",
     [](Locks& l, KLOCK_QUEUE_HANDLE&, KIRQL&) {
       KeWaitForSingleObject(&l.mutex, Executive, KernelMode, FALSE, nullptr);
     },
     [](Locks& l, KLOCK_QUEUE_HANDLE&, KIRQL) { KeReleaseMutex(&l.mutex, FALSE); }},
    {"SynchronizationEvent",
     [](Locks& l, KLOCK_QUEUE_HANDLE&, KIRQL&) {
       KeWaitForSingleObject(&l.event, Executive, KernelMode, FALSE, nullptr);
     },
     [](Locks& l, KLOCK_QUEUE_HANDLE&, KIRQL) { KeSetEvent(&l.event, IO_NO_INCREMENT, FALSE); }},
    {"Semaphore",
     [](Locks& l, KLOCK_QUEUE_HANDLE&, KIRQL&) {
       KeWaitForSingleObject(&l.semaphore, Executive, KernelMode, FALSE, nullptr);
     },
     [](Locks& l, KLOCK_QUEUE_HANDLE&, KIRQL) { KeReleaseSemaphore(&l.semaphore, SEMAPHORE_INCREMENT, 1, FALSE); }},
};

constexpr int kIterations = 8;

struct Case {
  LockKind kind;
  unsigned processors;
};

class MutualExclusion : public ::testing::TestWithParam<Case> {};

TEST_P(MutualExclusion, ACounterUpdatedUnderTheLockComesOutExact) {
  const Case c = GetParam();
  const int threads = static_cast<int>(c.processors) + 1;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Lab lab({.processors = c.processors, .seed = seed});
    Locks locks;
    KeInitializeSpinLock(&locks.spin_lock);
    long counter = 0;
    int inside = 0, overlaps = 0;
    lab.spawn("init", [&] {
      KeInitializeMutex(&locks.mutex, 0);
      KeInitializeEvent(&locks.event, SynchronizationEvent, TRUE);
      KeInitializeSemaphore(&locks.semaphore, 1, 1);
    });
    lab.run_until_idle();
    for (int t = 0; t < threads; ++t) {
      lab.spawn("incrementer", [&] {
        for (int i = 0; i < kIterations; ++i) {
          KLOCK_QUEUE_HANDLE handle;
          KIRQL old = PASSIVE_LEVEL;
          c.kind.acquire(locks, handle, old);
          overlaps += inside++ != 0 ? 1 : 0;
          const long value = counter;
          KeGetCurrentIrql();  // a scheduling point between the read and the write
          counter = value + 1;
          --inside;
          c.kind.release(locks, handle, old);
        }
      });
    }
    ASSERT_EQ(lab.run_until_idle(), RunStatus::Idle)
        << c.kind.name << " seed " << seed << ": " << (lab.stopped() ? stop_finding(lab).summary() : "");
    EXPECT_EQ(counter, threads * kIterations) << c.kind.name << " seed " << seed;
    EXPECT_EQ(overlaps, 0) << c.kind.name << " seed " << seed;
  }
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (const LockKind& kind : kKinds) {
    for (unsigned processors : {2u, 4u}) cases.push_back({kind, processors});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(LockKinds, MutualExclusion, ::testing::ValuesIn(all_cases()), [](const auto& row) {
  return std::string(row.param.kind.name) + "_" + std::to_string(row.param.processors) + "Processors";
});

}  // namespace
}  // namespace wdmlab::test
