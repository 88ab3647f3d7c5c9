// touch_after_complete is not a race: its store into the IRP comes 1 ms (KeDelayExecutionThread)
// after the device's 100 us transfer, whose DPC completes the read, and the read's final stage
// frees it as soon as the waiting dispatch routine can take the APC. Virtual time orders the two,
// so any read that reaches the device makes the finding, whatever the interleaving. Two threads
// read at once here (the device takes one read at a time; the other fails with
// STATUS_DEVICE_BUSY or comes after): these tests assert that the finding needs no preemption and
// that every interleaving with up to two preemptions makes it, where the other races assert a
// clean schedule.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/races/race_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

Race two_reads() {
  Scenario scenario = [](Lab& lab) {
    start_race(lab, TOUCH_AFTER_COMPLETE_IMAGE, u"\\\\.\\TouchAfterComplete", "opener", [](const RaceApp& app) {
      for (int i = 0; i < 2; ++i) {
        app.process->run(i == 0 ? "first" : "second", [app, i] {
          wait_if_pending(ReadFile(*app.device, app.buffer + 16 * i, 16, nullptr, &app.overlapped[i]),
                          &app.overlapped[i]);
        });
      }
    });
  };
  return {.scenario = std::move(scenario),
          .stated = {.pct = 1, .random = 1, .shrunk = 0},  // every schedule makes it
          .driver = "touch_after_complete",
          .code = DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL,
          .culprits = {"TouchAfterCompleteRead"}};
}

const RaceExplorations& race() { return explorations_of<two_reads>(); }

TEST(TouchAfterCompleteRace, PctFindsItInTheFirstSchedule) { expect_pct_finds(race()); }
TEST(TouchAfterCompleteRace, RandomFindsItInTheFirstSchedule) { expect_random_finds(race()); }
TEST(TouchAfterCompleteRace, TheScheduleFoundReplaysIt) { expect_schedules_replay(race()); }
TEST(TouchAfterCompleteRace, ItNeedsNoPreemption) { expect_shrinks(race()); }

// Every interleaving makes it: virtual time, not the interleaving, decides.
TEST(TouchAfterCompleteRace, EveryInterleavingWithTwoPreemptionsMakesIt) {
  ExploreOptions options = race_options(race().race(), bounded(2), 100'000);
  options.stop_at_first = false;
  const ExploreResult result = explore(race().race().scenario, options);
  EXPECT_TRUE(result.exhausted);
  EXPECT_GT(result.distinct_interleavings, 1u);
  EXPECT_EQ(result.schedules_with_findings, result.schedules);
  std::cout << "[ measured ] bounded(2): " << result.schedules << " schedules, " << result.distinct_interleavings
            << " distinct interleavings\n";
}

}  // namespace
}  // namespace wdmlab::test
