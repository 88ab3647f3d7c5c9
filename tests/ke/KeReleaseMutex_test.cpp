// Mutexes: KeInitializeMutex leaves one signaled and unowned; a satisfied wait makes the caller
// the owner and disables normal kernel APCs; the owner may acquire it again and must release it
// as often; KeReleaseMutex returns zero exactly when the mutex becomes signaled; a release by a
// thread that does not own the mutex raises STATUS_MUTANT_NOT_OWNED.
#include <gtest/gtest.h>

#include "ke/drivers/ke_test_driver.h"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeInitializeMutex, LeavesTheMutexSignaledAndUnowned) {
  LONG state = -1;
  PKTHREAD owner = reinterpret_cast<PKTHREAD>(1);
  runs_clean([&] {
    KMUTEX mutex;
    KeInitializeMutex(&mutex, 0);
    state = KeReadStateMutex(&mutex);
    owner = mutex.OwnerThread;
  });
  EXPECT_EQ(state, 1);
  EXPECT_EQ(owner, nullptr);
}

TEST(KeReleaseMutex, TheWaiterOwnsTheMutexWithNormalKernelApcsDisabled) {
  bool owner_is_caller = false;
  LONG state = -1;
  BOOLEAN apcs_disabled = FALSE, all_apcs_disabled = TRUE, apcs_disabled_after = TRUE;
  runs_clean([&] {
    KMUTEX mutex;
    KeInitializeMutex(&mutex, 0);
    EXPECT_EQ(KeWaitForMutexObject(&mutex, Executive, KernelMode, FALSE, nullptr), STATUS_SUCCESS);
    owner_is_caller = mutex.OwnerThread == KeGetCurrentThread();
    state = KeReadStateMutex(&mutex);
    apcs_disabled = KeAreApcsDisabled();
    all_apcs_disabled = KeAreAllApcsDisabled();
    KeReleaseMutex(&mutex, FALSE);
    apcs_disabled_after = KeAreApcsDisabled();
  });
  EXPECT_TRUE(owner_is_caller);
  EXPECT_EQ(state, 0);
  EXPECT_TRUE(apcs_disabled);
  EXPECT_FALSE(all_apcs_disabled);  // special kernel APCs still run
  EXPECT_FALSE(apcs_disabled_after);
}

TEST(KeReleaseMutex, TheOwnerMayAcquireAgainAndMustReleaseAsOften) {
  NTSTATUS again = -1;
  LONG state_twice = 1, first_release = 0, state_once = -1, second_release = -1, state_released = -1;
  bool owned_after_first = false;
  PKTHREAD owner_at_end = reinterpret_cast<PKTHREAD>(1);
  runs_clean([&] {
    KMUTEX mutex;
    KeInitializeMutex(&mutex, 0);
    KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr);
    LARGE_INTEGER poll{};
    again = KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, &poll);
    state_twice = KeReadStateMutex(&mutex);
    first_release = KeReleaseMutex(&mutex, FALSE);
    state_once = KeReadStateMutex(&mutex);
    owned_after_first = mutex.OwnerThread == KeGetCurrentThread();
    second_release = KeReleaseMutex(&mutex, FALSE);
    state_released = KeReadStateMutex(&mutex);
    owner_at_end = mutex.OwnerThread;
  });
  EXPECT_EQ(again, STATUS_SUCCESS);
  EXPECT_EQ(state_twice, -1);
  EXPECT_NE(first_release, 0);  // not yet signaled
  EXPECT_EQ(state_once, 0);
  EXPECT_TRUE(owned_after_first);
  EXPECT_EQ(second_release, 0);  // released and signaled
  EXPECT_EQ(state_released, 1);
  EXPECT_EQ(owner_at_end, nullptr);
}

TEST(KeReleaseMutex, ReleasingHandsTheMutexToTheNextWaiter) {
  Lab lab({.processors = 2, .seed = 12});
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  bool waiter_owned = false;
  lab.spawn("owner", [&] {
    KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr);
    wait_until_blocked(&mutex, 1);
    KeReleaseMutex(&mutex, FALSE);
  });
  lab.spawn("waiter", [&] {
    while (KeReadStateMutex(&mutex) == 1) YieldProcessor();
    EXPECT_EQ(KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr), STATUS_SUCCESS);
    waiter_owned = mutex.OwnerThread == KeGetCurrentThread();
    KeReleaseMutex(&mutex, FALSE);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(waiter_owned);
}

TEST(KeReleaseMutex, UnverifiedByAThreadThatDoesNotOwnItRaisesMutantNotOwned) {
  Lab lab({.processors = 2, .seed = 2, .verifier = VerifierOptions::off()});
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  KTD_EXCEPTION caught{};
  LONG state = 1;
  LONG owned = 0, tried = 0;
  lab.spawn("owner", [&] {
    KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr);
    InterlockedExchange(&owned, 1);
    while (ReadAcquire(&tried) == 0) KeGetCurrentIrql();
    KeReleaseMutex(&mutex, FALSE);
  });
  lab.spawn("intruder", [&] {
    while (ReadAcquire(&owned) == 0) KeGetCurrentIrql();
    KtdReleaseMutex(&mutex, &caught);
    state = KeReadStateMutex(&mutex);
    InterlockedExchange(&tried, 1);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(caught.Handled);
  EXPECT_EQ(caught.Code, STATUS_MUTANT_NOT_OWNED);
  EXPECT_EQ(state, 0);  // still owned by "owner"
}

TEST(KeReleaseMutex, UnverifiedOfAnUnownedMutexUnhandledInASystemThreadIsBugCheck7E) {
  const Finding finding = unverified_bug_check_of([] {
    KMUTEX mutex;
    KeInitializeMutex(&mutex, 0);
    KeReleaseMutex(&mutex, FALSE);
  });
  EXPECT_EQ(finding.code, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED);
  EXPECT_EQ(finding.parameters[0], static_cast<std::uint32_t>(STATUS_MUTANT_NOT_OWNED));
}

}  // namespace
}  // namespace wdmlab::test
