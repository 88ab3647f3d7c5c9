// A thread that ends while it owns a mutex abandons it: the mutex becomes signaled and unowned,
// and the wait that next acquires it returns STATUS_ABANDONED_WAIT_0 (+ the object's index);
// later waits return STATUS_SUCCESS again.
#include <gtest/gtest.h>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeWaitForMutexObject, TheWaiterBlockedWhenTheOwnerEndsGetsAbandonedWait0) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    KMUTEX mutex;
    KeInitializeMutex(&mutex, 0);
    NTSTATUS status = -1, later = -1;
    bool owns = false;
    lab.spawn("owner", [&] {
      KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr);
      wait_until_blocked(&mutex, 1);
      // Ends without releasing the mutex.
    });
    lab.spawn("waiter", [&] {
      while (KeReadStateMutex(&mutex) == 1) YieldProcessor();
      status = KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr);
      owns = mutex.OwnerThread == KeGetCurrentThread();
      KeReleaseMutex(&mutex, FALSE);
      later = KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr);
      KeReleaseMutex(&mutex, FALSE);
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle) << "seed " << seed;
    EXPECT_EQ(status, STATUS_ABANDONED_WAIT_0) << "seed " << seed;
    EXPECT_TRUE(owns);
    EXPECT_EQ(later, STATUS_SUCCESS);
  }
}

TEST(KeWaitForMutexObject, AWaitAfterTheOwnerEndedGetsAbandonedWait0) {
  Lab lab({.processors = 1, .seed = 1});
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  LONG state = -1;
  PKTHREAD owner = nullptr;
  NTSTATUS status = -1;
  lab.spawn("owner", [&] { KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr); });
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Idle);
  lab.spawn("next", [&] {
    state = KeReadStateMutex(&mutex);
    owner = mutex.OwnerThread;
    status = KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr);
    KeReleaseMutex(&mutex, FALSE);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(state, 1);
  EXPECT_EQ(owner, nullptr);
  EXPECT_EQ(status, STATUS_ABANDONED_WAIT_0);
}

TEST(KeWaitForMultipleObjects, AnAbandonedMutexReturnsAbandonedWait0PlusItsIndex) {
  Lab lab({.processors = 1, .seed = 1});
  KMUTEX mutex;
  KEVENT event;
  KeInitializeMutex(&mutex, 0);
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  NTSTATUS status = -1;
  lab.spawn("owner", [&] { KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr); });
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Idle);
  lab.spawn("next", [&] {
    PVOID objects[] = {&event, &mutex};
    status = KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode, FALSE, nullptr, nullptr);
    KeReleaseMutex(&mutex, FALSE);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(status, STATUS_ABANDONED_WAIT_0 + 1);
}

}  // namespace
}  // namespace wdmlab::test
