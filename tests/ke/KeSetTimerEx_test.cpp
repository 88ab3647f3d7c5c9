// KeSetTimerEx with a Period: the timer expires at the due time and then every Period
// milliseconds until it is cancelled.
#include <gtest/gtest.h>

#include "ke/dpc_probe.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeSetTimerEx, APeriodicTimerExpiresEveryPeriodUntilCancelled) {
  Lab lab({.processors = 2, .seed = 9});
  DpcProbe probe;
  KDPC dpc;
  KTIMER timer;
  lab.spawn("setter", [&] {
    KeInitializeDpc(&dpc, DpcProbe::Routine, &probe);
    KeInitializeTimerEx(&timer, NotificationTimer);
    KeSetTimerEx(&timer, relative_ms(10), 10, &dpc);
  });
  // Due at ~10 ms, then 20, 30, 40, 50 ms.
  EXPECT_EQ(lab.run_for(std::chrono::milliseconds(55)), RunStatus::TimeElapsed);
  EXPECT_EQ(probe.runs, 5);
  EXPECT_EQ(lab.run_for(std::chrono::milliseconds(10)), RunStatus::TimeElapsed);
  EXPECT_EQ(probe.runs, 6);
  BOOLEAN cancelled = FALSE;
  lab.spawn("canceller", [&] { cancelled = KeCancelTimer(&timer); });
  lab.run_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(probe.runs, 6);
}

TEST(KeSetTimerEx, ThePeriodicExpirationsAreExactlyOnePeriodApart) {
  Lab lab;
  KDPC dpc;
  KTIMER timer;
  static std::vector<LONGLONG> expirations;
  expirations.clear();
  lab.spawn("setter", [&] {
    KeInitializeDpc(
        &dpc,
        [](PKDPC, PVOID, PVOID low, PVOID high) {
          LARGE_INTEGER time;
          time.LowPart = static_cast<ULONG>(reinterpret_cast<ULONG_PTR>(low));
          time.HighPart = static_cast<LONG>(reinterpret_cast<ULONG_PTR>(high));
          expirations.push_back(time.QuadPart);
        },
        nullptr);
    KeInitializeTimerEx(&timer, SynchronizationTimer);
    KeSetTimerEx(&timer, relative_ms(3), 7, &dpc);
  });
  lab.run_for(std::chrono::milliseconds(40));
  ASSERT_EQ(expirations.size(), 6u);  // 3, 10, 17, 24, 31, 38 ms
  for (std::size_t i = 1; i < expirations.size(); ++i) {
    EXPECT_EQ(expirations[i] - expirations[i - 1], 7 * kTicksPerMillisecond);
  }
}

}  // namespace
}  // namespace wdmlab::test
