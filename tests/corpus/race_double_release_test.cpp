// race_double_release (samples/buggy): the completion path and the cancel path each drop a
// reference to a transfer and then read the shared count again; both see zero and both free it.
//
// Machine: 2 processors, a random policy. Nothing lines the threads up: "app" starts the transfer
// and cancels it while "device" reports it complete, and the seed decides the interleaving. Seed 15
// has both decrement before either looks again (also on an unverified machine); seed 1 does not. The exploration tests
// (races/race_double_release_race.cpp) find such schedules systematically.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"
#include "corpus/races/race_apps.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kRacing{.processors = 2, .seed = 15};
constexpr Machine kClean{.processors = 2, .seed = 1};

Outcome start_cancel_and_complete(const Machine& machine) {
  return play(
      machine, RACE_DOUBLE_RELEASE_IMAGE, [](Lab&, UserProcess& app) { start_double_release(app); },
      VerifierOptions{.flags = machine.verifier_flags});
}

TEST(RaceDoubleRelease, IsC4DoubleFreeOfTheTransfer) {
  const Outcome run = start_cancel_and_complete(kRacing);
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 0x13u);
  EXPECT_EQ(finding.parameters[1], 0u);
  EXPECT_EQ(finding.parameters[2], run.logged_address("transfer ") - 16);  // its pool header
  EXPECT_EQ(finding.severity, Severity::Fatal);
  EXPECT_EQ(finding.driver, "race_double_release");
  EXPECT_EQ(culprit_function(finding), "RaceDoubleReleaseDrop");
  EXPECT_EQ(finding.context.name, "device");

  const Outcome again = start_cancel_and_complete(kRacing);
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[2], again.logged_address("transfer ") - 16);
}

TEST(RaceDoubleRelease, UnverifiedIsC2DoubleFree) {
  const Outcome run = start_cancel_and_complete({.processors = 2, .seed = 15, .verifier_flags = 0});
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, BAD_POOL_CALLER) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 0x07u);
  EXPECT_EQ(culprit_function(finding), "RaceDoubleReleaseDrop");
}

TEST(RaceDoubleRelease, AnotherInterleavingIsClean) {
  const Outcome run = start_cancel_and_complete(kClean);
  EXPECT_EQ(run.status, RunStatus::Idle);
  EXPECT_TRUE(run.logged("race_double_release: transfer "));
  EXPECT_TRUE(run.findings.empty()) << run.summaries();
}

}  // namespace
}  // namespace wdmlab::test
