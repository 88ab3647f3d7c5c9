// race_cleanup_vs_dpc (samples/buggy): the DPC that delivers data to a waiting read releases the
// device lock before clearing the read's table entry, so IRP_MJ_CLEANUP on the other processor can
// complete the same read. "reader" reads and closes its handle while "writer" writes; nothing
// lines them up.
//
// Found as 0x44 MULTIPLE_IRP_COMPLETE_REQUESTS in whichever path completes second. PCT needs depth
// 3 here: the cleanup must come after the DPC has found the read and before it clears the entry,
// and the read must come before the write; with depth 2 (one priority change) PCT ran 2,000
// schedules without it. Every shrunk schedule keeps two preemptions: one puts the writer's DPC
// between the reader's read and its close, the other the cleanup inside the DPC's window.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/new_races/new_race_apps.hpp"
#include "corpus/new_races/new_race_test.hpp"

namespace wdmlab::test {
namespace {

constexpr std::uint64_t kPctWithin = 75;     // pct(3); measured: 29
constexpr std::uint64_t kRandomWithin = 30;  // measured: 13
constexpr std::size_t kShrunkPreemptions = 2;

Race make_race() {
  return {.scenario = race_scenario(RACE_CLEANUP_VS_DPC_IMAGE, start_cleanup_vs_dpc),
          .code = MULTIPLE_IRP_COMPLETE_REQUESTS,
          .rule = "DoubleCompletion",
          .driver = "race_cleanup_vs_dpc",
          .culprits = {"RaceCleanupVsDpcCleanup", "RaceCleanupVsDpcTransferDpc"}};
}

const RaceExplorations& race() {
  static const RaceExplorations explorations(make_race(), pct(3), kPctWithin, kRandomWithin);
  return explorations;
}

TEST(ExploreRaceCleanupVsDpc, PctFindsTheDoubleCompletion) { race().found_by_pct(); }

TEST(ExploreRaceCleanupVsDpc, RandomFindsItToo) { race().found_by_random(); }

TEST(ExploreRaceCleanupVsDpc, TheFoundSchedulesReplayAndShrinkToTwoPreemptions) {
  expect_replays_and_shrinks(race().race(), race().found_by_pct(), kShrunkPreemptions);
  expect_replays_and_shrinks(race().race(), race().found_by_random(), kShrunkPreemptions);
}

TEST(ExploreRaceCleanupVsDpc, NoScheduleWithFewerThanTwoPreemptionsShowsIt) {
  expect_clean_within(race().race(), 0);
  expect_clean_within(race().race(), 1);  // 95 schedules
}

}  // namespace
}  // namespace wdmlab::test
