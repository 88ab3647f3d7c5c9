// dispatch_leaves_critical_region (samples/buggy): a device control rejected after
// KeEnterCriticalRegion returns without KeLeaveCriticalRegion. No interleaving is needed: one set
// with an empty input buffer.
//
// Machine: 1 processor, seed 1 (any machine gives the same finding).
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr Machine kMachine{.processors = 1, .seed = 1};
constexpr DWORD kSet = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);

Outcome set_with_no_input(const Machine& machine = kMachine) {
  return play_device_control_that_stops(machine, DISPATCH_LEAVES_CRITICAL_REGION_IMAGE, u"\\\\.\\DispatchLeavesCriticalRegion", kSet, 0, 0);
}

TEST(DispatchLeavesCriticalRegion, IsDriverVerifierViolationC5WithTheRoutineAndBothCounts) {
  const Outcome run = set_with_no_input();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 0xC5u);
  EXPECT_EQ(finding.parameters[1], run.logged_address("routine "));
  EXPECT_EQ(finding.parameters[2], 0xFFFFu);  // KernelApcDisable = -1
  EXPECT_EQ(finding.parameters[3], 0u);
  EXPECT_EQ(finding.severity, Severity::Fatal);
  EXPECT_EQ(finding.driver, "dispatch_leaves_critical_region");
  EXPECT_EQ(finding.bucket(), "0xC4_C5");

  const Outcome again = set_with_no_input();
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[1], again.logged_address("routine "));
}

TEST(DispatchLeavesCriticalRegion, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = set_with_no_input(machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].parameters[0], 0xC5u) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[2], 0xFFFFu) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
