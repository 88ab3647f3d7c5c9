// KeWaitForSingleObject: what a wait returns (the documented table), when a timeout ends it
// (exactly at the due time, relative or absolute), the IRQL rules (a zero timeout polls at
// DISPATCH_LEVEL, anything else there is bug check 0xA, any wait in a DPC routine is bug check
// 0xB8), waiting on a thread, and the two ways a wait can never end: a deadlock and a hang.
#include <gtest/gtest.h>

#include <set>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeWaitForSingleObject, ASignaledObjectSatisfiesTheWaitAtOnce) {
  NTSTATUS status = -1;
  std::uint64_t before = 0, after = 0;
  Lab lab;
  lab.spawn("waiter", [&] {
    KEVENT event;
    KeInitializeEvent(&event, NotificationEvent, TRUE);
    before = lab.now();
    status = KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr);
    after = lab.now();
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(status, STATUS_SUCCESS);
  EXPECT_EQ(after - before, kDecisionTicks);
}

TEST(KeWaitForSingleObject, ARelativeTimeoutEndsTheWaitExactlyThatLongAfterItBegan) {
  for (std::int64_t interval : {std::int64_t{1}, std::int64_t{12'345}, 10 * kTicksPerMillisecond}) {
    Lab lab;
    NTSTATUS status = -1;
    std::uint64_t before = 0, after = 0;
    lab.spawn("waiter", [&] {
      KEVENT never;
      KeInitializeEvent(&never, NotificationEvent, FALSE);
      LARGE_INTEGER timeout = relative_ticks(interval);
      before = lab.now();
      status = KeWaitForSingleObject(&never, Executive, KernelMode, FALSE, &timeout);
      after = lab.now();
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
    EXPECT_EQ(status, STATUS_TIMEOUT);
    EXPECT_EQ(after - before, kDecisionTicks + static_cast<std::uint64_t>(interval));
  }
}

TEST(KeWaitForSingleObject, AnAbsoluteTimeoutEndsTheWaitAtThatSystemTime) {
  Lab lab;
  NTSTATUS status = -1;
  std::uint64_t after = 0;
  LARGE_INTEGER system_time_after{};
  const std::uint64_t due = 25 * kTicksPerMillisecond + 7;
  lab.spawn("waiter", [&] {
    KEVENT never;
    KeInitializeEvent(&never, NotificationEvent, FALSE);
    LARGE_INTEGER timeout = absolute_at(due);
    status = KeWaitForSingleObject(&never, Executive, KernelMode, FALSE, &timeout);
    after = lab.now();
    KeQuerySystemTime(&system_time_after);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(status, STATUS_TIMEOUT);
  EXPECT_EQ(after, due);
  EXPECT_EQ(system_time_after.QuadPart, kBootSystemTime + static_cast<std::int64_t>(due + kDecisionTicks));
}

TEST(KeWaitForSingleObject, AnAbsoluteTimeoutInThePastTimesOutAtOnce) {
  Lab lab;
  NTSTATUS status = -1;
  std::uint64_t before = 0, after = 0;
  lab.spawn("waiter", [&] {
    LARGE_INTEGER delay = relative_ms(5);
    KeDelayExecutionThread(KernelMode, FALSE, &delay);
    KEVENT never;
    KeInitializeEvent(&never, NotificationEvent, FALSE);
    LARGE_INTEGER timeout = absolute_at(1);
    before = lab.now();
    status = KeWaitForSingleObject(&never, Executive, KernelMode, FALSE, &timeout);
    after = lab.now();
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(status, STATUS_TIMEOUT);
  EXPECT_LE(after - before, 2 * kDecisionTicks);
}

TEST(KeWaitForSingleObject, AnEventSetBeforeTheTimeoutEndsTheWaitWithSuccess) {
  Lab lab({.processors = 2, .seed = 6});
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  NTSTATUS status = -1;
  std::uint64_t woke = 0, set_at = 0;
  lab.spawn("waiter", [&] {
    LARGE_INTEGER timeout = relative_ms(100);
    status = KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &timeout);
    woke = lab.now();
  });
  lab.spawn("setter", [&] {
    LARGE_INTEGER delay = relative_ms(10);
    KeDelayExecutionThread(KernelMode, FALSE, &delay);
    set_at = lab.now();
    KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(status, STATUS_SUCCESS);
  EXPECT_GE(woke, set_at);
  EXPECT_LT(woke, static_cast<std::uint64_t>(100 * kTicksPerMillisecond));
}

TEST(KeWaitForSingleObject, AZeroTimeoutPollsAtDispatchLevel) {
  NTSTATUS unsignaled = -1, signaled = -1;
  LONG state_after = -1;
  runs_clean([&] {
    KEVENT clear, set;
    KeInitializeEvent(&clear, SynchronizationEvent, FALSE);
    KeInitializeEvent(&set, SynchronizationEvent, TRUE);
    LARGE_INTEGER poll{};
    const KIRQL old = KeRaiseIrqlToDpcLevel();
    unsignaled = KeWaitForSingleObject(&clear, Executive, KernelMode, FALSE, &poll);
    signaled = KeWaitForSingleObject(&set, Executive, KernelMode, FALSE, &poll);
    state_after = KeReadStateEvent(&set);
    KeLowerIrql(old);
  });
  EXPECT_EQ(unsignaled, STATUS_TIMEOUT);
  EXPECT_EQ(signaled, STATUS_SUCCESS);
  EXPECT_EQ(state_after, 0);  // the satisfied poll had the wait's side effect
}

TEST(KeWaitForSingleObject, UnverifiedANonzeroOrNoTimeoutAtDispatchLevelIsBugCheckA) {
  for (bool with_timeout : {true, false}) {
    const Finding finding = unverified_bug_check_of([&] {
      KEVENT event;
      KeInitializeEvent(&event, NotificationEvent, FALSE);
      LARGE_INTEGER timeout = relative_ms(1);
      KeRaiseIrqlToDpcLevel();
      KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, with_timeout ? &timeout : nullptr);
    });
    EXPECT_EQ(finding.code, IRQL_NOT_LESS_OR_EQUAL);
    EXPECT_EQ(finding.parameters[1], DISPATCH_LEVEL);
  }
}

KEVENT g_never;
void WaitInDpc(PKDPC, PVOID, PVOID, PVOID) { KeWaitForSingleObject(&g_never, Executive, KernelMode, FALSE, nullptr); }

TEST(KeWaitForSingleObject, UnverifiedInADpcRoutineIsBugCheckB8) {
  KDPC dpc;
  const Finding finding = unverified_bug_check_of([&] {
    KeInitializeEvent(&g_never, NotificationEvent, FALSE);
    KeInitializeDpc(&dpc, WaitInDpc, nullptr);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
  });
  EXPECT_EQ(finding.code, ATTEMPTED_SWITCH_FROM_DPC);
}

TEST(KeWaitForSingleObject, OnAThreadReturnsWhenThatThreadEnds) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    bool worker_done = false, done_when_woken = false;
    LONG state_before = -1;
    NTSTATUS status = -1;
    lab.spawn("waiter", [&] {
      HANDLE handle;
      struct Work {
        bool* done;
      } work{&worker_done};
      ASSERT_EQ(PsCreateSystemThread(
                    &handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                    [](PVOID context) {
                      LARGE_INTEGER delay = relative_ms(3);
                      KeDelayExecutionThread(KernelMode, FALSE, &delay);
                      *static_cast<Work*>(context)->done = true;
                    },
                    &work),
                STATUS_SUCCESS);
      PVOID thread = nullptr;
      ASSERT_EQ(ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsThreadType, KernelMode, &thread, nullptr),
                STATUS_SUCCESS);
      ZwClose(handle);
      state_before = KeReadStateThread(static_cast<PKTHREAD>(thread));
      status = KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, nullptr);
      done_when_woken = worker_done;
      ObDereferenceObject(thread);
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle) << "seed " << seed;
    EXPECT_EQ(state_before, 0);
    EXPECT_EQ(status, STATUS_SUCCESS);
    EXPECT_TRUE(done_when_woken);
  }
}

TEST(KeWaitForSingleObject, UnverifiedTwoThreadsTakingTwoMutexesInOppositeOrderDeadlock) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Lab lab({.processors = 2, .seed = seed, .verifier = VerifierOptions::off()});
    KMUTEX first, second;
    KEVENT both_hold_one;
    KeInitializeMutex(&first, 0);
    KeInitializeMutex(&second, 0);
    KeInitializeEvent(&both_hold_one, NotificationEvent, FALSE);
    LONG holding = 0;
    auto body = [&](PKMUTEX mine, PKMUTEX theirs) {
      KeWaitForSingleObject(mine, Executive, KernelMode, FALSE, nullptr);
      if (InterlockedIncrement(&holding) == 2) KeSetEvent(&both_hold_one, IO_NO_INCREMENT, FALSE);
      KeWaitForSingleObject(&both_hold_one, Executive, KernelMode, FALSE, nullptr);
      KeWaitForSingleObject(theirs, Executive, KernelMode, FALSE, nullptr);
      ADD_FAILURE() << "the second mutex was acquired";
    };
    lab.spawn("A", [&] { body(&first, &second); });
    lab.spawn("B", [&] { body(&second, &first); });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
    const Finding finding = stop_finding(lab);
    EXPECT_EQ(finding.code, WDMLAB_DEADLOCK) << finding.to_text();
    EXPECT_EQ(finding.parameters[0], 2u);  // contexts in the cycle
    ASSERT_EQ(finding.involved.size(), 1u);
    EXPECT_EQ((std::set<std::string>{finding.context.name, finding.involved[0].name}),
              (std::set<std::string>{"A", "B"}));
    EXPECT_NE(finding.context.waiting_on.find("owned by"), std::string::npos) << finding.context.waiting_on;
  }
}

TEST(KeWaitForSingleObject, WaitingForeverOnAnEventNobodySetsIsAHang) {
  Lab lab({.processors = 2, .seed = 1});
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  lab.spawn("waiter", [&] { KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr); });
  lab.spawn("bystander", [] {});
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding finding = stop_finding(lab);
  EXPECT_EQ(finding.code, WDMLAB_HANG);
  EXPECT_EQ(finding.parameters[0], 1u);
  EXPECT_EQ(finding.parameters[1], reinterpret_cast<std::uintptr_t>(&event));
  EXPECT_EQ(finding.context.name, "waiter");
}

}  // namespace
}  // namespace wdmlab::test
