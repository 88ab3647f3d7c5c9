// thread_left_at_unload (samples/buggy): DriverUnload returns while the driver's worker thread is
// still waiting for work (0xCE, the unload audit).
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kMachine{.processors = 1, .seed = 1};

Outcome load_and_unload(const Machine& machine = kMachine) {
  return play(machine, THREAD_LEFT_AT_UNLOAD_IMAGE, [](Lab&, UserProcess&) {}, true);
}

TEST(ThreadLeftAtUnload, IsCEWithTheThread) {
  const Outcome run = load_and_unload();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], run.logged_address("thread "));
  EXPECT_EQ(finding.driver, "thread_left_at_unload");
  EXPECT_EQ(finding.context.name, "DriverUnload(thread_left_at_unload)");

  const Outcome again = load_and_unload();
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[0], again.logged_address("thread "));
}

TEST(ThreadLeftAtUnload, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = load_and_unload(machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].code, DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS) << describe(machine);
  }
}

TEST(ThreadLeftAtUnload, UnverifiedUnloadsWithoutAFinding) {
  const Outcome run = load_and_unload({.processors = 1, .seed = 1, .verifier_flags = 0});
  EXPECT_TRUE(run.findings.empty()) << run.summaries();
}

}  // namespace
}  // namespace wdmlab::test
