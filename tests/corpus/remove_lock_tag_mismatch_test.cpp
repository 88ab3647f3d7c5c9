// remove_lock_tag_mismatch (samples/buggy): a remove lock acquired with the IRP as its tag is
// released with the device object. No interleaving is needed: one ping.
//
// Machine: 1 processor, seed 1 (any machine gives the same finding).
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr Machine kMachine{.processors = 1, .seed = 1};
constexpr DWORD kPing = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);

Outcome ping(const Machine& machine = kMachine) {
  return play_device_control_that_stops(machine, REMOVE_LOCK_TAG_MISMATCH_IMAGE, u"\\\\.\\RemoveLockTagMismatch", kPing, 0, 0);
}

TEST(RemoveLockTagMismatch, IsDriverVerifierViolationD5WithTheLockAndBothTags) {
  const Outcome run = ping();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 0xD5u);
  EXPECT_EQ(finding.parameters[1], run.logged_address("lock "));
  EXPECT_EQ(finding.parameters[2], run.logged_address("device "));
  EXPECT_EQ(finding.parameters[3], run.logged_address("ping "));
  EXPECT_EQ(finding.severity, Severity::Fatal);
  EXPECT_EQ(finding.rule, "RemoveLockRelease");
  EXPECT_EQ(finding.driver, "remove_lock_tag_mismatch");
  EXPECT_EQ(culprit_function(finding), "RemoveLockTagMismatchDeviceControl");

  const Outcome again = ping();
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[3], again.logged_address("ping "));
}

TEST(RemoveLockTagMismatch, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = ping(machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].parameters[0], 0xD5u) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[1], run.logged_address("lock ")) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
