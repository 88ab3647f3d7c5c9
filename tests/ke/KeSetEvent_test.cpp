// KeSetEvent: returns the previous state; setting a notification event releases every waiter and
// leaves it signaled; setting a synchronization event releases exactly one waiter and resets it.
#include <gtest/gtest.h>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeSetEvent, ReturnsThePreviousState) {
  for (EVENT_TYPE type : {NotificationEvent, SynchronizationEvent}) {
    LONG from_clear = -1, from_set = -1, state = -1;
    runs_clean([&] {
      KEVENT event;
      KeInitializeEvent(&event, type, FALSE);
      from_clear = KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
      from_set = KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
      state = KeReadStateEvent(&event);
    });
    EXPECT_EQ(from_clear, 0) << type;
    EXPECT_NE(from_set, 0) << type;
    EXPECT_NE(state, 0) << type;  // no waiter took it
  }
}

TEST(KeSetEvent, NotificationEventReleasesEveryWaiterAndStaysSignaled) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    KEVENT event;
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    int released = 0;
    LONG state_after = -1;
    for (int i = 0; i < 3; ++i) {
      lab.spawn("waiter", [&] {
        EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr), STATUS_SUCCESS);
        ++released;
      });
    }
    lab.spawn("setter", [&] {
      wait_until_blocked(&event, 3);
      KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
      state_after = KeReadStateEvent(&event);
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle) << "seed " << seed;
    EXPECT_EQ(released, 3);
    EXPECT_NE(state_after, 0);
  }
}

TEST(KeSetEvent, SynchronizationEventReleasesExactlyOneWaiterAndResets) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    KEVENT event;
    KeInitializeEvent(&event, SynchronizationEvent, FALSE);
    LONG released = 0;
    LONG released_after_one_set = -1, state_after_one_set = -1;
    for (int i = 0; i < 2; ++i) {
      lab.spawn("waiter", [&] {
        EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr), STATUS_SUCCESS);
        InterlockedIncrement(&released);
      });
    }
    lab.spawn("setter", [&] {
      wait_until_blocked(&event, 2);
      KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
      state_after_one_set = KeReadStateEvent(&event);
      LARGE_INTEGER plenty = relative_ms(10);  // ample time for a second waiter to run, were it released
      KeDelayExecutionThread(KernelMode, FALSE, &plenty);
      released_after_one_set = ReadAcquire(&released);
      KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle) << "seed " << seed;
    EXPECT_EQ(state_after_one_set, 0);
    EXPECT_EQ(released_after_one_set, 1);
    EXPECT_EQ(released, 2);
  }
}

TEST(KeSetEvent, OnASynchronizationEventWithoutWaitersLeavesItSignaledForTheNextWait) {
  NTSTATUS first = -1, second = -1;
  runs_clean([&] {
    KEVENT event;
    KeInitializeEvent(&event, SynchronizationEvent, FALSE);
    KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
    LARGE_INTEGER poll{};
    first = KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &poll);
    second = KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &poll);
  });
  EXPECT_EQ(first, STATUS_SUCCESS);
  EXPECT_EQ(second, STATUS_TIMEOUT);
}

}  // namespace
}  // namespace wdmlab::test
