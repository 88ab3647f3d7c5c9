// Timer types: when a notification timer expires every waiter is released and it stays
// signaled; a synchronization timer releases one waiter and resets.
#include <gtest/gtest.h>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

struct Released {
  LONG released = 0;
  LONG timed_out = 0;
  BOOLEAN state_after = 2;
};

Released two_waiters_on(TIMER_TYPE type, std::uint64_t seed) {
  Lab lab({.processors = 2, .seed = seed});
  KTIMER timer;
  Released result;
  lab.spawn("init", [&] { KeInitializeTimerEx(&timer, type); });
  lab.run_until_idle();
  for (int i = 0; i < 2; ++i) {
    lab.spawn("waiter", [&] {
      LARGE_INTEGER timeout = relative_ms(50);
      const NTSTATUS status = KeWaitForSingleObject(&timer, Executive, KernelMode, FALSE, &timeout);
      InterlockedIncrement(status == STATUS_SUCCESS ? &result.released : &result.timed_out);
    });
  }
  lab.spawn("setter", [&] {
    wait_until_blocked(&timer, 2);
    KeSetTimer(&timer, relative_ms(5), nullptr);
    LARGE_INTEGER delay = relative_ms(10);
    KeDelayExecutionThread(KernelMode, FALSE, &delay);
    result.state_after = KeReadStateTimer(&timer);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  return result;
}

TEST(KeInitializeTimerEx, ANotificationTimerReleasesEveryWaiterAndStaysSignaled) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const Released r = two_waiters_on(NotificationTimer, seed);
    EXPECT_EQ(r.released, 2);
    EXPECT_EQ(r.timed_out, 0);
    EXPECT_TRUE(r.state_after);
  }
}

TEST(KeInitializeTimerEx, ASynchronizationTimerReleasesOneWaiterAndResets) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const Released r = two_waiters_on(SynchronizationTimer, seed);
    EXPECT_EQ(r.released, 1);
    EXPECT_EQ(r.timed_out, 1);
    EXPECT_FALSE(r.state_after);
  }
}

TEST(KeInitializeTimer, IsANotificationTimerThatIsNotSignaled) {
  BOOLEAN state = TRUE;
  UCHAR type = 0xFF;
  runs_clean([&] {
    KTIMER timer;
    KeInitializeTimer(&timer);
    state = KeReadStateTimer(&timer);
    type = timer.Header.Type;
  });
  EXPECT_FALSE(state);
  EXPECT_EQ(type, TimerNotificationObject);
}

}  // namespace
}  // namespace wdmlab::test
