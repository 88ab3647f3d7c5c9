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

#include "corpus/races/race_apps.hpp"
#include "corpus/races/race_test.hpp"

namespace wdmlab::test {
namespace {

Race read_close_and_write() {
  Race race{.scenario = race_scenario(RACE_MARKING_QUEUED_IRPS_IMAGE, start_marking_queued_irps),
            .stated = {.pct = 100, .random = 100, .shrunk = 1, .unpreempted = 2},  // measured: PCT 46, random 41
            .driver = "race_marking_queued_irps",
            .code = DRIVER_VERIFIER_IOMANAGER_VIOLATION,
            .rule = "MarkIrpPending2",
            .p1 = 0x23D,
            .findings = 2};
  race.lab.verifier.driver_flags["race_marking_queued_irps"] = kVerifierStandardFlags & ~kVerifierDdiCompliance;
  return race;
}

RACE_TESTS(RaceMarkingQueuedIrpsRace, read_close_and_write)

// The read completed unmarked was pending (P4), and it is the read the verifier later reports
// still outstanding.
TEST(RaceMarkingQueuedIrpsRace, TheReadCompletedUnmarkedIsLeftOutstanding) {
  const RaceExplorations& race = explorations_of<read_close_and_write>();
  const ExploredFinding* found = race.found_by_pct();
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->finding.parameters[3], static_cast<std::uint64_t>(STATUS_PENDING));
  ASSERT_EQ(race.by_pct().findings.size(), 2u);
  const Finding& outstanding = race.by_pct().findings[1].finding;
  EXPECT_EQ(outstanding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << outstanding.to_text();
  EXPECT_EQ(outstanding.parameters[0], 0x135u);
  EXPECT_EQ(outstanding.parameters[1], found->finding.parameters[2]);  // the same read
}

}  // namespace
}  // namespace wdmlab::test
