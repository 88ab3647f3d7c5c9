// null_handle (samples/buggy): the interface of user_handle_kernel_mode, where a NULL handle
// means "no notification", and the application leaves the handle NULL.
//
// Machine: 1 processor, seed 1. Miscellaneous Checks stop the reference of the NULL handle.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/handle_ioctl.hpp"

namespace wdmlab::test {
namespace {

TEST(NullHandle, IsF5NamingTheObjectType) {
  const Outcome run = register_event(NULL_HANDLE_IMAGE, u"\\\\.\\NullHandle", true);
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 0xF5u);
  EXPECT_EQ(finding.parameters[1], 0u);
  EXPECT_EQ(finding.parameters[2], run.logged_address("type "));
  EXPECT_EQ(finding.driver, "null_handle");
  EXPECT_EQ(culprit_function(finding), "NullHandleIoctl");
  expect_replayed(run, register_event(NULL_HANDLE_IMAGE, u"\\\\.\\NullHandle", true));
}

TEST(NullHandle, UnverifiedTheIoctlFailsWithInvalidHandle) {
  const Outcome run = register_event(NULL_HANDLE_IMAGE, u"\\\\.\\NullHandle", true, VerifierOptions::off());
  EXPECT_EQ(run.status, RunStatus::Idle);
  EXPECT_TRUE(run.findings.empty()) << run.summaries();
}

TEST(NullHandle, IsTheSameOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = register_event(NULL_HANDLE_IMAGE, u"\\\\.\\NullHandle", true, {}, machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << run.summaries();
    EXPECT_EQ(run.findings[0].parameters[0], 0xF5u) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
