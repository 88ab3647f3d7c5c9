// A thread must not end while it owns a kernel mutex: Windows stops the system with bug check
// 0x4000008A THREAD_TERMINATE_HELD_MUTEX (parameter 1 the KTHREAD, parameter 2 the KMUTEX).
// A mutant object that does not disable APCs (ApcDisable == 0, what NtCreateMutant creates) is
// abandoned instead: it becomes signaled and unowned, and the wait that next acquires it returns
// STATUS_ABANDONED_WAIT_0 (+ the object's index); later waits return STATUS_SUCCESS again.
#include <gtest/gtest.h>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

constexpr ULONG kThreadTerminateHeldMutex = 0x4000008A;

TEST(KeWaitForMutexObject, UnverifiedAThreadEndingWhileItOwnsAKernelMutexIsBugCheck4000008A) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Lab lab({.processors = 2, .seed = seed, .verifier = VerifierOptions::off()});
    KMUTEX mutex;
    KeInitializeMutex(&mutex, 0);
    PKTHREAD owner = nullptr;
    lab.spawn("owner", [&] {
      KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr);
      owner = KeGetCurrentThread();
      // Ends without releasing the mutex.
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped) << "seed " << seed;
    const Finding* finding = lab.fatal_finding();
    ASSERT_NE(finding, nullptr);
    EXPECT_EQ(finding->code, kThreadTerminateHeldMutex);
    EXPECT_EQ(finding->name, "THREAD_TERMINATE_HELD_MUTEX");
    EXPECT_EQ(finding->parameters[0], reinterpret_cast<std::uintptr_t>(owner));
    EXPECT_EQ(finding->parameters[1], reinterpret_cast<std::uintptr_t>(&mutex));
  }
}

// A mutant object without APC disabling.
void initialize_mutant(KMUTEX& mutex) {
  KeInitializeMutex(&mutex, 0);
  mutex.ApcDisable = 0;
}

TEST(KeWaitForMutexObject, TheWaiterBlockedWhenAMutantOwnerEndsGetsAbandonedWait0) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    KMUTEX mutex;
    initialize_mutant(mutex);
    NTSTATUS status = -1, later = -1;
    bool owns = false;
    lab.spawn("owner", [&] {
      KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr);
      wait_until_blocked(&mutex, 1);
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

TEST(KeWaitForMutexObject, AWaitAfterAMutantOwnerEndedGetsAbandonedWait0) {
  Lab lab({.processors = 1, .seed = 1});
  KMUTEX mutex;
  initialize_mutant(mutex);
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

TEST(KeWaitForMultipleObjects, AnAbandonedMutantReturnsAbandonedWait0PlusItsIndex) {
  Lab lab({.processors = 1, .seed = 1});
  KMUTEX mutex;
  KEVENT event;
  initialize_mutant(mutex);
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
