// KeResetEvent returns the previous state and clears the event; KeClearEvent clears it;
// KeReadStateEvent reads it; KeInitializeEvent sets the initial state.
#include <gtest/gtest.h>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeInitializeEvent, SetsTheInitialState) {
  for (EVENT_TYPE type : {NotificationEvent, SynchronizationEvent}) {
    LONG signaled = -1, clear = -1;
    runs_clean([&] {
      KEVENT a, b;
      KeInitializeEvent(&a, type, TRUE);
      KeInitializeEvent(&b, type, FALSE);
      signaled = KeReadStateEvent(&a);
      clear = KeReadStateEvent(&b);
    });
    EXPECT_NE(signaled, 0);
    EXPECT_EQ(clear, 0);
  }
}

TEST(KeResetEvent, ReturnsThePreviousStateAndClearsTheEvent) {
  LONG from_set = -1, from_clear = -1, state = -1;
  runs_clean([&] {
    KEVENT event;
    KeInitializeEvent(&event, NotificationEvent, TRUE);
    from_set = KeResetEvent(&event);
    state = KeReadStateEvent(&event);
    from_clear = KeResetEvent(&event);
  });
  EXPECT_NE(from_set, 0);
  EXPECT_EQ(state, 0);
  EXPECT_EQ(from_clear, 0);
}

TEST(KeClearEvent, ClearsTheEvent) {
  LONG state = -1;
  NTSTATUS poll_status = -1;
  runs_clean([&] {
    KEVENT event;
    KeInitializeEvent(&event, NotificationEvent, TRUE);
    KeClearEvent(&event);
    state = KeReadStateEvent(&event);
    LARGE_INTEGER poll{};
    poll_status = KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &poll);
  });
  EXPECT_EQ(state, 0);
  EXPECT_EQ(poll_status, STATUS_TIMEOUT);
}

TEST(KeReadStateEvent, ANotificationEventStaysSignaledAfterAWaitAndASynchronizationEventDoesNot) {
  LONG notification = -1, synchronization = -1;
  runs_clean([&] {
    KEVENT n, s;
    KeInitializeEvent(&n, NotificationEvent, TRUE);
    KeInitializeEvent(&s, SynchronizationEvent, TRUE);
    KeWaitForSingleObject(&n, Executive, KernelMode, FALSE, nullptr);
    KeWaitForSingleObject(&s, Executive, KernelMode, FALSE, nullptr);
    notification = KeReadStateEvent(&n);
    synchronization = KeReadStateEvent(&s);
  });
  EXPECT_NE(notification, 0);
  EXPECT_EQ(synchronization, 0);
}

}  // namespace
}  // namespace wdmlab::test
