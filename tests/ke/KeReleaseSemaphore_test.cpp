// Semaphores: the count is the number of waits that can be satisfied; KeReleaseSemaphore adds
// Adjustment and returns the previous count; a release that would pass the limit leaves the
// count alone and raises STATUS_SEMAPHORE_LIMIT_EXCEEDED, which, unhandled in a system thread, is
// bug check 0x7E SYSTEM_THREAD_EXCEPTION_NOT_HANDLED with parameter 1 = 0xC0000047.
#include <gtest/gtest.h>

#include "ke/drivers/ke_test_driver.h"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeInitializeSemaphore, SetsTheCount) {
  LONG count = -1;
  runs_clean([&] {
    KSEMAPHORE semaphore;
    KeInitializeSemaphore(&semaphore, 2, 5);
    count = KeReadStateSemaphore(&semaphore);
  });
  EXPECT_EQ(count, 2);
}

TEST(KeReleaseSemaphore, EachSatisfiedWaitTakesOneUnitOfTheCount) {
  std::vector<NTSTATUS> polls;
  std::vector<LONG> counts;
  runs_clean([&] {
    KSEMAPHORE semaphore;
    KeInitializeSemaphore(&semaphore, 2, 3);
    LARGE_INTEGER poll{};
    for (int i = 0; i < 3; ++i) {
      polls.push_back(KeWaitForSingleObject(&semaphore, Executive, KernelMode, FALSE, &poll));
      counts.push_back(KeReadStateSemaphore(&semaphore));
    }
  });
  EXPECT_EQ(polls, (std::vector<NTSTATUS>{STATUS_SUCCESS, STATUS_SUCCESS, STATUS_TIMEOUT}));
  EXPECT_EQ(counts, (std::vector<LONG>{1, 0, 0}));
}

TEST(KeReleaseSemaphore, ReturnsThePreviousCountAndAddsTheAdjustment) {
  LONG first = -1, second = -1, count = -1;
  runs_clean([&] {
    KSEMAPHORE semaphore;
    KeInitializeSemaphore(&semaphore, 0, 5);
    first = KeReleaseSemaphore(&semaphore, SEMAPHORE_INCREMENT, 2, FALSE);
    second = KeReleaseSemaphore(&semaphore, SEMAPHORE_INCREMENT, 3, FALSE);
    count = KeReadStateSemaphore(&semaphore);
  });
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 2);
  EXPECT_EQ(count, 5);
}

TEST(KeReleaseSemaphore, ReleasesAsManyWaitersAsTheAdjustment) {
  Lab lab({.processors = 2, .seed = 8});
  KSEMAPHORE semaphore;
  KeInitializeSemaphore(&semaphore, 0, 10);
  LONG released = 0, released_after_two = -1;
  for (int i = 0; i < 3; ++i) {
    lab.spawn("waiter", [&] {
      KeWaitForSingleObject(&semaphore, Executive, KernelMode, FALSE, nullptr);
      InterlockedIncrement(&released);
    });
  }
  lab.spawn("releaser", [&] {
    wait_until_blocked(&semaphore, 3);
    KeReleaseSemaphore(&semaphore, SEMAPHORE_INCREMENT, 2, FALSE);
    LARGE_INTEGER plenty = relative_ms(10);
    KeDelayExecutionThread(KernelMode, FALSE, &plenty);
    released_after_two = ReadAcquire(&released);
    EXPECT_EQ(KeReadStateSemaphore(&semaphore), 0);
    KeReleaseSemaphore(&semaphore, SEMAPHORE_INCREMENT, 1, FALSE);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(released_after_two, 2);
  EXPECT_EQ(released, 3);
}

TEST(KeReleaseSemaphore, PastTheLimitRaisesSemaphoreLimitExceededAndLeavesTheCount) {
  KTD_EXCEPTION caught{};
  LONG count = -1;
  runs_clean([&] {
    KSEMAPHORE semaphore;
    KeInitializeSemaphore(&semaphore, 2, 3);
    KtdReleaseSemaphore(&semaphore, 2, &caught);
    count = KeReadStateSemaphore(&semaphore);
  });
  EXPECT_TRUE(caught.Handled);
  EXPECT_EQ(caught.Code, STATUS_SEMAPHORE_LIMIT_EXCEEDED);
  EXPECT_EQ(count, 2);
}

TEST(KeReleaseSemaphore, PastTheLimitUnhandledInASystemThreadIsBugCheck7E) {
  const Finding finding = bug_check_of([] {
    KSEMAPHORE semaphore;
    KeInitializeSemaphore(&semaphore, 1, 1);
    KeReleaseSemaphore(&semaphore, SEMAPHORE_INCREMENT, 1, FALSE);
  });
  EXPECT_EQ(finding.code, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED);
  EXPECT_EQ(finding.parameters[0], 0xC0000047u);
}

}  // namespace
}  // namespace wdmlab::test
