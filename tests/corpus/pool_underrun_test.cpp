// pool_underrun (samples/buggy): trimming an empty greeting writes the byte before the buffer.
// Special pool fills the rest of the block's page and finds the change at free (0xC1/0x23).
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kMachine{.processors = 1, .seed = 1};

Outcome open_once(const Machine& machine = kMachine) {
  return play(machine, POOL_UNDERRUN_IMAGE, open_that_stops(u"\\\\.\\PoolUnderrun"));
}

TEST(PoolUnderrun, IsC1_23WhenTheBufferIsFreed) {
  const Outcome run = open_once();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION) << finding.to_text();
  const std::uint64_t text = run.logged_address("text ");
  EXPECT_EQ(finding.parameters[0], text);
  EXPECT_EQ(finding.parameters[1], text - 1);                  // the byte before the buffer
  EXPECT_EQ(finding.parameters[3], 0x23u);                     // bytes near the block, on its page
  EXPECT_EQ(culprit_function(finding), "PoolUnderrunCreate");  // the free
  EXPECT_EQ(finding.driver, "pool_underrun");
  EXPECT_NE(finding.description.find("tag 'Undr', 64 bytes"), std::string::npos) << finding.description;

  const Outcome again = open_once();
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[1], again.logged_address("text ") - 1);
}

TEST(PoolUnderrun, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = open_once(machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].code, SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[3], 0x23u) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
