// irp_freed_with_exfreepool (samples/buggy): an IRP from IoAllocateIrp freed with ExFreePool
// (0xC4/0x105; without the verifier, 0xC2/0x42).
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kMachine{.processors = 1, .seed = 1};

Outcome open_once(const Machine& machine = kMachine) {
  return play(machine, IRP_FREED_WITH_EXFREEPOOL_IMAGE, open_that_stops(u"\\\\.\\IrpFreedWithExFreePool"));
}

TEST(IrpFreedWithExFreePool, IsC4_105) {
  const Outcome run = open_once();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 0x105u);
  EXPECT_EQ(finding.parameters[1], run.logged_address("request "));
  EXPECT_EQ(culprit_function(finding), "IrpFreedWithExFreePoolCreate");
  EXPECT_EQ(finding.driver, "irp_freed_with_exfreepool");

  const Outcome again = open_once();
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[1], again.logged_address("request "));
}

TEST(IrpFreedWithExFreePool, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = open_once(machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].parameters[0], 0x105u) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
