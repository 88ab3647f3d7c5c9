// user_handle_kernel_mode (samples/buggy): an IOCTL's event handle referenced with KernelMode.
//
// Machine: 1 processor, seed 1. The application creates an event and passes its handle to the
// driver; Miscellaneous Checks stop the reference.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/handle_ioctl.hpp"

namespace wdmlab::test {
namespace {

TEST(UserHandleKernelMode, IsF6NamingTheHandleAndItsProcess) {
  const Outcome run = register_event(USER_HANDLE_KERNEL_MODE_IMAGE, u"\\\\.\\UserHandleKernelMode", false);
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 0xF6u);
  EXPECT_EQ(finding.parameters[1], run.logged_address("handle "));
  EXPECT_EQ(finding.parameters[2], run.logged_address("process "));
  EXPECT_NE(finding.parameters[3], 0u);  // the address of the call
  EXPECT_EQ(finding.driver, "user_handle_kernel_mode");
  EXPECT_EQ(culprit_function(finding), "UserHandleKernelModeIoctl");
  expect_replayed(run, register_event(USER_HANDLE_KERNEL_MODE_IMAGE, u"\\\\.\\UserHandleKernelMode", false));
}

TEST(UserHandleKernelMode, UnverifiedTheReferenceSucceeds) {
  const Outcome run =
      register_event(USER_HANDLE_KERNEL_MODE_IMAGE, u"\\\\.\\UserHandleKernelMode", false, VerifierOptions::off());
  EXPECT_EQ(run.status, RunStatus::Idle);
  EXPECT_TRUE(run.findings.empty()) << run.summaries();
}

TEST(UserHandleKernelMode, IsTheSameOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run =
        register_event(USER_HANDLE_KERNEL_MODE_IMAGE, u"\\\\.\\UserHandleKernelMode", false, {}, machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << run.summaries();
    EXPECT_EQ(run.findings[0].parameters[0], 0xF6u) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[1], run.logged_address("handle ")) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
