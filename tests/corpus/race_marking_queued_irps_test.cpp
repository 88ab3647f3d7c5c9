// race_marking_queued_irps (samples/buggy): a read is queued and the queue's lock released before
// the read is marked pending; a write on the other processor completes it in between, and the
// dispatch routine returns STATUS_PENDING for a read completed unmarked, which then never finishes.
//
// Machine: 2 processors, a random policy, DDI compliance checking off for the driver (it would
// report the rule MarkingQueuedIrps at every read: samples/buggy/marking_queued_irps.c). Nothing
// lines the threads up: "reader" reads and closes its handle while "writer" writes, and the seed
// decides the interleaving. Seed 41 puts the write between the read's lock release and its
// IoMarkIrpPending; seed 1 does not. The exploration tests
// (races/race_marking_queued_irps_race.cpp) find such schedules systematically.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"
#include "corpus/races/race_apps.hpp"

namespace wdmlab::test {
namespace {

Outcome read_close_and_write(std::uint64_t seed) {
  VerifierOptions verifier;
  verifier.driver_flags["race_marking_queued_irps"] = kVerifierStandardFlags & ~kVerifierDdiCompliance;
  return play(
      {.processors = 2, .seed = seed}, RACE_MARKING_QUEUED_IRPS_IMAGE,
      [](Lab&, UserProcess& app) { start_marking_queued_irps(app); }, verifier);
}

TEST(RaceMarkingQueuedIrps, IsMarkIrpPending2AndAReadThatNeverFinishes) {
  const Outcome run = read_close_and_write(41);
  EXPECT_EQ(run.status, RunStatus::Idle);
  ASSERT_EQ(run.findings.size(), 2u) << run.summaries();
  const std::uint64_t read = run.logged_address("read ");
  const Finding& unmarked = run.findings[0];
  EXPECT_EQ(unmarked.code, DRIVER_VERIFIER_IOMANAGER_VIOLATION) << unmarked.to_text();
  EXPECT_EQ(unmarked.rule, "MarkIrpPending2");
  EXPECT_EQ(unmarked.parameters[0], 0x23Du);
  EXPECT_EQ(unmarked.parameters[1], run.logged_address("routine "));
  EXPECT_EQ(unmarked.parameters[2], read);
  EXPECT_EQ(unmarked.parameters[3], static_cast<std::uint64_t>(STATUS_PENDING));
  EXPECT_EQ(unmarked.severity, Severity::NonFatal);
  EXPECT_EQ(unmarked.driver, "race_marking_queued_irps");
  EXPECT_EQ(unmarked.context.name, "reader");
  const Finding& outstanding = run.findings[1];
  EXPECT_EQ(outstanding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << outstanding.to_text();
  EXPECT_EQ(outstanding.parameters[0], 0x135u);
  EXPECT_EQ(outstanding.parameters[1], read);
  EXPECT_EQ(outstanding.parameters[2], 300000u);  // ms
  EXPECT_EQ(outstanding.severity, Severity::NonFatal);

  const Outcome again = read_close_and_write(41);
  expect_replayed(run, again);
}

TEST(RaceMarkingQueuedIrps, AnotherInterleavingIsClean) {
  const Outcome run = read_close_and_write(1);
  EXPECT_EQ(run.status, RunStatus::Idle);
  EXPECT_TRUE(run.logged("race_marking_queued_irps: read "));
  EXPECT_TRUE(run.findings.empty()) << run.summaries();
}

}  // namespace
}  // namespace wdmlab::test
