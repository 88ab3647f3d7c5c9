// race_csq_hand_rolled (samples/buggy): a hand-written cancel-safe queue whose write unlinks the
// head read before clearing its cancel routine; a cancel in between makes the cancel routine
// unlink the read a second time.
//
// Machine: 2 processors, a random policy. Nothing lines the threads up: "reader" reads and cancels
// (CancelIo) while "writer" writes, and the seed decides the interleaving. Seed 6 puts the cancel
// between the write's unlink and its IoSetCancelRoutine; seed 1 does not. The exploration tests
// (races/race_csq_hand_rolled_race.cpp) find such schedules systematically.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"
#include "corpus/races/race_apps.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kRacing{.processors = 2, .seed = 6};
constexpr Machine kClean{.processors = 2, .seed = 1};

Outcome read_cancel_and_write(const Machine& machine) {
  return play(machine, RACE_CSQ_HAND_ROLLED_IMAGE, [](Lab&, UserProcess& app) { start_csq_hand_rolled(app); });
}

TEST(RaceCsqHandRolled, Is139WhenTheCancelRoutineUnlinksTheReadTheWriteUnlinked) {
  const Outcome run = read_cancel_and_write(kRacing);
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, KERNEL_SECURITY_CHECK_FAILURE) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], static_cast<std::uint64_t>(FAST_FAIL_CORRUPT_LIST_ENTRY));
  EXPECT_EQ(finding.severity, Severity::Fatal);
  EXPECT_EQ(finding.driver, "race_csq_hand_rolled");
  EXPECT_EQ(culprit_function(finding), "RaceCsqHandRolledCancel");
  EXPECT_EQ(finding.context.name, "reader");  // CancelIo runs the cancel routine in the caller
  EXPECT_TRUE(run.logged("race_csq_hand_rolled: read "));

  const Outcome again = read_cancel_and_write(kRacing);
  expect_replayed(run, again);
}

TEST(RaceCsqHandRolled, AnotherInterleavingIsClean) {
  const Outcome run = read_cancel_and_write(kClean);
  EXPECT_EQ(run.status, RunStatus::Idle);
  EXPECT_TRUE(run.logged("race_csq_hand_rolled: read "));
  EXPECT_TRUE(run.findings.empty()) << run.summaries();
}

}  // namespace
}  // namespace wdmlab::test
