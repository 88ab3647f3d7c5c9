// paged_pool_at_dispatch (samples/buggy): statistics in paged pool updated under a spin lock.
// Force IRQL checking (flag 0x2) trims paged pool at DISPATCH_LEVEL: the store faults (0xD1).
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kMachine{.processors = 1, .seed = 1};

Outcome open_once(const Machine& machine = kMachine) {
  return play(machine, PAGED_POOL_AT_DISPATCH_IMAGE, open_that_stops(u"\\\\.\\PagedPoolAtDispatch"));
}

TEST(PagedPoolAtDispatch, IsD1AtTheStoreUnderTheSpinLock) {
  const Outcome run = open_once();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_IRQL_NOT_LESS_OR_EQUAL) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], run.logged_address("statistics "));  // LastOpenTime, at offset 0
  EXPECT_EQ(finding.parameters[1], static_cast<std::uint64_t>(DISPATCH_LEVEL));
  EXPECT_EQ(finding.parameters[2], 1u);  // a write
  const StackFrame* culprit = finding.culprit_frame();
  ASSERT_NE(culprit, nullptr);
  EXPECT_EQ(culprit->function, "PagedPoolAtDispatchCreate");
  EXPECT_EQ(finding.parameters[3], culprit->pc);
  EXPECT_EQ(finding.driver, "paged_pool_at_dispatch");

  const Outcome again = open_once();
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[0], again.logged_address("statistics "));
}

TEST(PagedPoolAtDispatch, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = open_once(machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].code, DRIVER_IRQL_NOT_LESS_OR_EQUAL) << describe(machine);
    EXPECT_EQ(culprit_function(run.findings[0]), "PagedPoolAtDispatchCreate") << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
