// race_csq_hand_rolled (samples/buggy): a hand-written cancel-safe queue whose write unlinks the
// head read before clearing its cancel routine. "reader" reads and cancels (CancelIo) while
// "writer" writes; nothing lines them up.
//
// Found as 0x139 KERNEL_SECURITY_CHECK_FAILURE [3 (corrupt list entry)] in the cancel routine,
// which unlinks a read the write has already unlinked. One preemption is enough: the reader's
// cancel between the write's unlink and its IoSetCancelRoutine(Irp, NULL).
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/new_races/new_race_apps.hpp"
#include "corpus/new_races/new_race_test.hpp"

namespace wdmlab::test {
namespace {

constexpr std::uint64_t kPctWithin = 5;      // pct(2); measured: 2
constexpr std::uint64_t kRandomWithin = 15;  // measured: 6
constexpr std::size_t kShrunkPreemptions = 1;

Race make_race() {
  return {.scenario = race_scenario(RACE_CSQ_HAND_ROLLED_IMAGE, start_csq_hand_rolled),
          .code = KERNEL_SECURITY_CHECK_FAILURE,
          .parameter1 = FAST_FAIL_CORRUPT_LIST_ENTRY,
          .driver = "race_csq_hand_rolled",
          .culprits = {"RaceCsqHandRolledCancel"}};
}

const RaceExplorations& race() {
  static const RaceExplorations explorations(make_race(), pct(2), kPctWithin, kRandomWithin);
  return explorations;
}

TEST(ExploreRaceCsqHandRolled, PctFindsTheCancelRoutineUnlinkingAnUnlinkedRead) { race().found_by_pct(); }

TEST(ExploreRaceCsqHandRolled, RandomFindsItToo) { race().found_by_random(); }

TEST(ExploreRaceCsqHandRolled, TheFoundSchedulesReplayAndShrinkToOnePreemption) {
  expect_replays_and_shrinks(race().race(), race().found_by_pct(), kShrunkPreemptions);
  expect_replays_and_shrinks(race().race(), race().found_by_random(), kShrunkPreemptions);
}

TEST(ExploreRaceCsqHandRolled, NoScheduleWithoutAPreemptionShowsIt) { expect_clean_within(race().race(), 0); }

}  // namespace
}  // namespace wdmlab::test
