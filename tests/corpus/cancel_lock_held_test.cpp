// cancel_lock_held (samples/buggy): the cancel routine returns holding the cancel spin lock.
//
// Machine: 2 processors, seed 1. Nothing races: the thread reads, then cancels with CancelIo.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr Machine kMachine{.processors = 2, .seed = 1};

Outcome read_then_cancel(const Machine& machine = kMachine) {
  return play(machine, CANCEL_LOCK_HELD_IMAGE, [](Lab&, UserProcess& app) {
    auto* buffer = static_cast<char*>(app.alloc(16));
    auto* overlapped = app.alloc_array<OVERLAPPED>(1);
    app.run("main", [=] {
      HANDLE device = open_device(u"\\\\.\\CancelLockHeld", FILE_FLAG_OVERLAPPED);
      ASSERT_NE(device, INVALID_HANDLE_VALUE);
      EXPECT_FALSE(ReadFile(device, buffer, 16, nullptr, overlapped));
      EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
      CancelIo(device);
      ADD_FAILURE() << "CancelIo returned";
    });
  });
}

// Windows' I/O manager checks the cancel spin lock when a cancel routine returns:
// 0x11B DRIVER_RETURNED_HOLDING_CANCEL_LOCK [IRP, cancel routine].
TEST(CancelLockHeld, IsDriverReturnedHoldingCancelLock) {
  const Outcome run = read_then_cancel();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_RETURNED_HOLDING_CANCEL_LOCK) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], run.logged_address("read "));
  EXPECT_EQ(finding.parameters[1], run.logged_address("cancel routine "));
  EXPECT_EQ(finding.parameters[2], 0u);
  EXPECT_EQ(finding.parameters[3], 0u);
  EXPECT_EQ(finding.severity, Severity::Fatal);
  EXPECT_EQ(finding.driver, "cancel_lock_held");
  EXPECT_EQ(finding.context.name, "main");
  // The cancel routine dequeued and completed the read, then returned with the lock held.
  const std::string irp = pointer_text(finding.parameters[0]);
  EXPECT_EQ(run.lines("cancel_lock_held: "),
            (std::vector<std::string>{
                "cancel_lock_held: read " + irp + " queued, cancel routine " + pointer_text(finding.parameters[1]),
                "cancel_lock_held: read " + irp + " cancelled"}));

  const Outcome again = read_then_cancel();
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[0], again.logged_address("read "));
  EXPECT_EQ(again.findings[0].parameters[1], again.logged_address("cancel routine "));
}

TEST(CancelLockHeld, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = read_then_cancel(machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].code, DRIVER_RETURNED_HOLDING_CANCEL_LOCK) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[0], run.logged_address("read ")) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[1], run.logged_address("cancel routine ")) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
