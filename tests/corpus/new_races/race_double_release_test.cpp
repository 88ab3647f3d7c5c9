// race_double_release (samples/buggy): two paths each drop a reference to a transfer with
// InterlockedDecrement, complete their request, and then read the shared count again to decide
// whether they dropped the last one. "app" starts the transfer and cancels it while "device"
// reports it complete; nothing lines them up.
//
// Found as 0xC4 [0x13] (double free) in RaceDoubleReleaseDrop, in whichever path frees second; the
// two are distinct findings (their stacks differ). PCT first finds the application's cancel path
// freeing second, which needs one preemption ("app" stopped between completing its request and
// looking at the count, "device" running its whole drop). Random first finds the device's
// completion path freeing second, which needs two: "device" must come in after the start and
// after "app" has decremented, and "app" must look at the count before "device" does.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/new_races/new_race_apps.hpp"
#include "corpus/new_races/new_race_test.hpp"

namespace wdmlab::test {
namespace {

constexpr std::uint64_t kPctWithin = 250;    // pct(2); measured: 106
constexpr std::uint64_t kRandomWithin = 40;  // measured: 15

Race make_race() {
  return {.scenario = race_scenario(RACE_DOUBLE_RELEASE_IMAGE, start_double_release),
          .code = DRIVER_VERIFIER_DETECTED_VIOLATION,
          .parameter1 = 0x13,
          .driver = "race_double_release",
          .culprits = {"RaceDoubleReleaseDrop"}};
}

const RaceExplorations& race() {
  static const RaceExplorations explorations(make_race(), pct(2), kPctWithin, kRandomWithin);
  return explorations;
}

TEST(ExploreRaceDoubleRelease, PctFindsTheDoubleFree) { race().found_by_pct(); }

TEST(ExploreRaceDoubleRelease, RandomFindsItToo) { race().found_by_random(); }

TEST(ExploreRaceDoubleRelease, TheFoundSchedulesReplayAndShrink) {
  expect_replays_and_shrinks(race().race(), race().found_by_pct(), 1);
  expect_replays_and_shrinks(race().race(), race().found_by_random(), 2);
}

TEST(ExploreRaceDoubleRelease, NoScheduleWithoutAPreemptionShowsIt) { expect_clean_within(race().race(), 0); }

}  // namespace
}  // namespace wdmlab::test
