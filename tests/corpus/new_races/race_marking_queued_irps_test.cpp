// race_marking_queued_irps (samples/buggy): the read dispatch routine queues a read, releases the
// queue's lock, logs, and only then marks the read pending; a write on the other processor can
// complete the read in between. "reader" reads and closes its handle while "writer" writes;
// nothing lines them up.
//
// DDI compliance checking would report the rule MarkingQueuedIrps at every read, whatever the
// schedule (samples/buggy/marking_queued_irps.c), and stop every exploration at its first
// schedule, so the race runs with DDI compliance checking off for this driver (the rest of the
// standard flags on): what the exploration looks for is the race's consequence. The read
// completed unmarked is left to the system service, which was told STATUS_PENDING: I/O
// verification reports 0xC9 [0x23D] (MarkIrpPending2: STATUS_PENDING returned for an IRP not
// marked pending) as the dispatch routine returns, and the read never finishes, so when "reader"
// ends the verifier reports it still outstanding five minutes later (0xC4 / 0x135). Both are
// non-fatal. One preemption: the write between the read's lock release and its IoMarkIrpPending.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/new_races/new_race_apps.hpp"
#include "corpus/new_races/new_race_test.hpp"

namespace wdmlab::test {
namespace {

constexpr std::uint64_t kPctWithin = 100;     // pct(2); measured: 46
constexpr std::uint64_t kRandomWithin = 100;  // measured: 41
constexpr std::size_t kShrunkPreemptions = 1;

Race make_race() {
  Race race{.scenario = race_scenario(RACE_MARKING_QUEUED_IRPS_IMAGE, start_marking_queued_irps),
            .code = DRIVER_VERIFIER_IOMANAGER_VIOLATION,
            .parameter1 = 0x23D,
            .rule = "MarkIrpPending2",
            .driver = "race_marking_queued_irps",
            .findings = 2};
  race.lab.verifier.driver_flags["race_marking_queued_irps"] = kVerifierStandardFlags & ~kVerifierDdiCompliance;
  return race;
}

const RaceExplorations& race() {
  static const RaceExplorations explorations(make_race(), pct(2), kPctWithin, kRandomWithin);
  return explorations;
}

TEST(ExploreRaceMarkingQueuedIrps, PctFindsTheReadCompletedBeforeItWasMarked) {
  const ExploredFinding& found = race().found_by_pct();
  EXPECT_EQ(found.finding.parameters[3], static_cast<std::uint64_t>(STATUS_PENDING));
  ASSERT_EQ(race().by_pct().findings.size(), 2u);
  const Finding& outstanding = race().by_pct().findings[1].finding;
  EXPECT_EQ(outstanding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << outstanding.to_text();
  EXPECT_EQ(outstanding.parameters[0], 0x135u);
  EXPECT_EQ(outstanding.parameters[1], found.finding.parameters[2]);  // the same read
}

TEST(ExploreRaceMarkingQueuedIrps, RandomFindsItToo) { race().found_by_random(); }

TEST(ExploreRaceMarkingQueuedIrps, TheFoundSchedulesReplayAndShrinkToOnePreemption) {
  expect_replays_and_shrinks(race().race(), race().found_by_pct(), kShrunkPreemptions);
  expect_replays_and_shrinks(race().race(), race().found_by_random(), kShrunkPreemptions);
}

TEST(ExploreRaceMarkingQueuedIrps, NoScheduleWithoutAPreemptionShowsIt) { expect_clean_within(race().race(), 0); }

}  // namespace
}  // namespace wdmlab::test
