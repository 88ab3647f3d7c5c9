// PsTerminateSystemThread: ends the calling system thread there and then (nothing after the call
// runs), signals the thread object, so waiters on it return, and marks the thread terminating.
#include <gtest/gtest.h>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

struct Progress {
  bool before = false;
  bool after = false;
};

void TerminateHalfway(PVOID context) {
  auto* run = static_cast<Progress*>(context);
  run->before = true;
  PsTerminateSystemThread(STATUS_SUCCESS);
  run->after = true;
}

TEST(PsTerminateSystemThread, EndsTheThreadAndWaitersOnItsObjectReturn) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    Progress run;
    NTSTATUS wait_status = -1;
    LONG state = -1;
    BOOLEAN terminating = FALSE;
    lab.spawn("waiter", [&] {
      HANDLE handle;
      ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr, TerminateHalfway, &run),
                STATUS_SUCCESS);
      PVOID thread = nullptr;
      ASSERT_EQ(ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsThreadType, KernelMode, &thread, nullptr),
                STATUS_SUCCESS);
      ZwClose(handle);
      wait_status = KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, nullptr);
      state = KeReadStateThread(static_cast<PKTHREAD>(thread));
      terminating = PsIsThreadTerminating(static_cast<PETHREAD>(thread));
      ObDereferenceObject(thread);
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle) << "seed " << seed;
    EXPECT_TRUE(run.before);
    EXPECT_FALSE(run.after);
    EXPECT_EQ(wait_status, STATUS_SUCCESS);
    EXPECT_EQ(state, 1);
    EXPECT_TRUE(terminating);
  }
}

TEST(PsTerminateSystemThread, ATestThreadCanEndItselfToo) {
  Progress run;
  runs_clean([&] { TerminateHalfway(&run); });
  EXPECT_TRUE(run.before);
  EXPECT_FALSE(run.after);
}

TEST(PsTerminateSystemThread, AbovePassiveLevelIsBugCheckA) {
  const Finding finding = unverified_bug_check_of([] {
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    PsTerminateSystemThread(STATUS_SUCCESS);
  });
  EXPECT_EQ(finding.code, IRQL_NOT_LESS_OR_EQUAL);
  EXPECT_EQ(finding.parameters[1], APC_LEVEL);
}

}  // namespace
}  // namespace wdmlab::test
