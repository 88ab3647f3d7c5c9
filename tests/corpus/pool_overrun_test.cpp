// pool_overrun (samples/buggy): an open writes a terminating NUL one WCHAR past the end of its
// name buffer. Special pool ends the block at its page's end: the store faults (0xD6).
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kMachine{.processors = 1, .seed = 1};
constexpr std::uint64_t kNameBytes = 16 * sizeof(WCHAR);

Outcome open_once(const Machine& machine = kMachine) {
  return play(machine, POOL_OVERRUN_IMAGE, open_that_stops(u"\\\\.\\PoolOverrun"));
}

TEST(PoolOverrun, IsD6AtTheStorePastTheEnd) {
  const Outcome run = open_once();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], run.logged_address("name ") + kNameBytes);
  EXPECT_EQ(finding.parameters[1], 1u);  // a write
  EXPECT_EQ(finding.parameters[3], 0u);
  const StackFrame* culprit = finding.culprit_frame();
  ASSERT_NE(culprit, nullptr);
  EXPECT_EQ(culprit->function, "PoolOverrunCreate");
  EXPECT_EQ(finding.parameters[2], culprit->pc);
  EXPECT_EQ(finding.driver, "pool_overrun");
  EXPECT_NE(finding.description.find("tag 'Ovrn', 32 bytes"), std::string::npos) << finding.description;
  EXPECT_EQ(finding.severity, Severity::Fatal);

  const Outcome again = open_once();
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[0], again.logged_address("name ") + kNameBytes);
}

TEST(PoolOverrun, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = open_once(machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].code, DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION) << describe(machine);
    EXPECT_EQ(culprit_function(run.findings[0]), "PoolOverrunCreate") << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
