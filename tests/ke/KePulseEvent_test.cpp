// KePulseEvent: sets the event (satisfying the waits it can), then resets it, and returns the
// previous state.
#include <gtest/gtest.h>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KePulseEvent, ReturnsThePreviousStateAndLeavesTheEventClear) {
  for (BOOLEAN initial : {FALSE, TRUE}) {
    LONG previous = -1, state = -1;
    runs_clean([&] {
      KEVENT event;
      KeInitializeEvent(&event, NotificationEvent, initial);
      previous = KePulseEvent(&event, IO_NO_INCREMENT, FALSE);
      state = KeReadStateEvent(&event);
    });
    EXPECT_EQ(previous != 0, initial != FALSE);
    EXPECT_EQ(state, 0);
  }
}

TEST(KePulseEvent, ReleasesEveryWaiterOfANotificationEvent) {
  Lab lab({.processors = 2, .seed = 4});
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  int released = 0;
  LONG state = -1;
  for (int i = 0; i < 3; ++i) {
    lab.spawn("waiter", [&] {
      EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr), STATUS_SUCCESS);
      ++released;
    });
  }
  lab.spawn("pulser", [&] {
    wait_until_blocked(&event, 3);
    KePulseEvent(&event, IO_NO_INCREMENT, FALSE);
    state = KeReadStateEvent(&event);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(released, 3);
  EXPECT_EQ(state, 0);
}

TEST(KePulseEvent, ReleasesOneWaiterOfASynchronizationEvent) {
  Lab lab({.processors = 2, .seed = 4});
  KEVENT event;
  KeInitializeEvent(&event, SynchronizationEvent, FALSE);
  LONG released = 0, timed_out = 0;
  for (int i = 0; i < 2; ++i) {
    lab.spawn("waiter", [&] {
      LARGE_INTEGER timeout = relative_ms(50);
      const NTSTATUS status = KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &timeout);
      InterlockedIncrement(status == STATUS_SUCCESS ? &released : &timed_out);
    });
  }
  lab.spawn("pulser", [&] {
    wait_until_blocked(&event, 2);
    KePulseEvent(&event, IO_NO_INCREMENT, FALSE);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(released, 1);
  EXPECT_EQ(timed_out, 1);
}

}  // namespace
}  // namespace wdmlab::test
