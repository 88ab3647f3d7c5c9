// pool_use_after_free (samples/buggy): an open logs its request's status after freeing the request.
// Special pool keeps the freed block's page inaccessible: the read faults (0xD5).
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kMachine{.processors = 1, .seed = 1};
constexpr std::uint64_t kStatusOffset = 4;  // POOL_USE_AFTER_FREE_REQUEST.Status

Outcome open_once(const Machine& machine = kMachine) {
  return play(machine, POOL_USE_AFTER_FREE_IMAGE, open_that_stops(u"\\\\.\\PoolUseAfterFree"));
}

TEST(PoolUseAfterFree, IsD5AtTheReadOfTheFreedRequest) {
  const Outcome run = open_once();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], run.logged_address("request ") + kStatusOffset);
  EXPECT_EQ(finding.parameters[1], 0u);  // a read
  EXPECT_EQ(finding.parameters[3], 0u);
  const StackFrame* culprit = finding.culprit_frame();
  ASSERT_NE(culprit, nullptr);
  EXPECT_EQ(culprit->function, "PoolUseAfterFreeCreate");
  EXPECT_EQ(finding.parameters[2], culprit->pc);
  EXPECT_EQ(finding.driver, "pool_use_after_free");
  EXPECT_NE(finding.description.find("tag 'Puaf', 8 bytes"), std::string::npos) << finding.description;
  EXPECT_FALSE(run.logged("open done"));

  const Outcome again = open_once();
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[0], again.logged_address("request ") + kStatusOffset);
}

TEST(PoolUseAfterFree, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = open_once(machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].code, DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL) << describe(machine);
    EXPECT_EQ(culprit_function(run.findings[0]), "PoolUseAfterFreeCreate") << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
