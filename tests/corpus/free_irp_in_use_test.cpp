// free_irp_in_use (samples/buggy): a refresh frees the IRP it sent to its worker device when its
// 1 ms wait times out, while the worker (10 ms) still holds it. Virtual time orders it: no other
// interleaving is possible.
//
// Machine: 1 processor, seed 1 (any machine gives the same finding).
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr Machine kMachine{.processors = 1, .seed = 1};
constexpr DWORD kRefresh = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);

Outcome refresh(const Machine& machine = kMachine) {
  return play_device_control_that_stops(machine, FREE_IRP_IN_USE_IMAGE, u"\\\\.\\FreeIrpInUse", kRefresh, 0, 0);
}

TEST(FreeIrpInUse, IsIoManagerViolation20AWithTheIrp) {
  const Outcome run = refresh();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_IOMANAGER_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 0x20Au);
  EXPECT_NE(finding.parameters[1], 0u);  // the return address in the driver
  EXPECT_EQ(finding.parameters[2], run.logged_address("refresh sends "));
  EXPECT_EQ(finding.parameters[3], 0u);
  EXPECT_EQ(finding.severity, Severity::Fatal);
  EXPECT_EQ(finding.driver, "free_irp_in_use");
  EXPECT_EQ(culprit_function(finding), "FreeIrpInUseDeviceControl");
  // One millisecond after the IRP was sent: the wait timed out.
  EXPECT_GE(finding.virtual_time, run.logged_time("free_irp_in_use: refresh sends ") + 10'000);

  const Outcome again = refresh();
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[2], again.logged_address("refresh sends "));
}

TEST(FreeIrpInUse, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = refresh(machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].parameters[0], 0x20Au) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[2], run.logged_address("refresh sends ")) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
