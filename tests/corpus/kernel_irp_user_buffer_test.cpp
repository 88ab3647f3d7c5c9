// kernel_irp_user_buffer (samples/buggy): an application's METHOD_NEITHER output buffer carried
// by a KernelMode IRP the driver sends to itself.
//
// Machine: 1 processor, seed 1. One call of the IOCTL; Security Checks stop the IoCallDriver.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr DWORD kFill = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_NEITHER, FILE_ANY_ACCESS);

Outcome fill(VerifierOptions verifier = {}, const Machine& machine = kGoldenMachine) {
  return play(
      machine, KERNEL_IRP_USER_BUFFER_IMAGE,
      [](Lab&, UserProcess& app) {
        auto* buffer = static_cast<char*>(app.alloc(16));
        app.run("main", [=] {
          const HANDLE device = open_device(u"\\\\.\\KernelIrpUserBuffer", 0);
          ASSERT_NE(device, INVALID_HANDLE_VALUE);
          DWORD bytes = 0;
          DeviceIoControl(device, kFill, nullptr, 0, buffer, 16, &bytes, nullptr);
          CloseHandle(device);
        });
      },
      verifier);
}

TEST(KernelIrpUserBuffer, IsE2NamingTheIrpAndTheUserAddress) {
  const Outcome run = fill();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 0xE2u);
  EXPECT_EQ(finding.parameters[1], run.logged_address("irp "));
  EXPECT_EQ(finding.parameters[2], run.logged_address("buffer "));
  EXPECT_EQ(finding.driver, "kernel_irp_user_buffer");
  EXPECT_EQ(culprit_function(finding), "KernelIrpUserBufferIoctl");
  expect_replayed(run, fill());
}

TEST(KernelIrpUserBuffer, UnverifiedTheFillGoesThrough) {
  const Outcome run = fill(VerifierOptions::off());
  EXPECT_EQ(run.status, RunStatus::Idle);
  EXPECT_TRUE(run.findings.empty()) << run.summaries();
}

TEST(KernelIrpUserBuffer, IsTheSameOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = fill({}, machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << run.summaries();
    EXPECT_EQ(run.findings[0].parameters[0], 0xE2u) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[1], run.logged_address("irp ")) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
