// force_pending_no_wait (samples/buggy): the upper device reads the IRP it passed down as soon as
// IoCallDriver returns, exposed by Force Pending I/O Requests.
//
// Machine: 1 processor, seed 1; the driver verified with the standard set plus /flags 0x200 at
// probability 10,000 (every call). The application sends one IOCTL. IoCallDriver returns
// STATUS_PENDING for the IOCTL the lower device completed at once; before it returns, completion
// goes on as for a pending request and the I/O manager's final stage frees the IRP, so the
// driver's read of Irp->IoStatus.Status touches freed memory.
#include <gtest/gtest.h>
#include <wdm.h>

#include <cstddef>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr DWORD kPing = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);

VerifierOptions force_pending() {
  VerifierOptions options;
  options.driver_flags["force_pending_no_wait"] = kVerifierStandardFlags | kVerifierForcePendingIo;
  options.force_pending_probability = 10000;
  return options;
}

Outcome ping(VerifierOptions verifier, BOOL* ok, const Machine& machine = kGoldenMachine) {
  return play(
      machine, FORCE_PENDING_NO_WAIT_IMAGE,
      [ok](Lab&, UserProcess& app) {
        app.run("main", [ok] {
          const HANDLE device = open_device(u"\\\\.\\ForcePendingNoWait", 0);
          ASSERT_NE(device, INVALID_HANDLE_VALUE);
          DWORD bytes = 0;
          *ok = DeviceIoControl(device, kPing, nullptr, 0, nullptr, 0, &bytes, nullptr);
          CloseHandle(device);
        });
      },
      verifier);
}

TEST(ForcePendingNoWait, TheReadAfterIoCallDriverTouchesTheFreedIrp) {
  BOOL ok = FALSE;
  const Outcome run = ping(force_pending(), &ok);
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], run.logged_address("irp ") + offsetof(IRP, IoStatus.Status));
  EXPECT_EQ(finding.parameters[1], 0u);  // a read
  EXPECT_EQ(finding.driver, "force_pending_no_wait");
  EXPECT_EQ(culprit_function(finding), "ForcePendingNoWaitIoctl");
  expect_replayed(run, ping(force_pending(), &ok));
}

TEST(ForcePendingNoWait, WithoutTheStressTheIoctlSucceeds) {
  BOOL ok = FALSE;
  const Outcome run = ping({}, &ok);
  EXPECT_EQ(run.status, RunStatus::Idle);
  EXPECT_TRUE(run.findings.empty()) << run.summaries();
  EXPECT_TRUE(ok);
}

TEST(ForcePendingNoWait, IsTheSameOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    BOOL ok = FALSE;
    const Outcome run = ping(force_pending(), &ok, machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << run.summaries();
    EXPECT_EQ(run.findings[0].code, DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[0], run.logged_address("irp ") + offsetof(IRP, IoStatus.Status))
        << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
