// complete_with_cancel_routine (samples/buggy): a write completes the waiting read while the read's
// cancel routine is still set. No interleaving is needed: read, then write.
//
// Machine: 2 processors, seed 1 (any machine gives the same finding).
#include <gtest/gtest.h>
#include <wdm.h>

#include <cstring>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr Machine kMachine{.processors = 2, .seed = 1};

Outcome read_then_write(const Machine& machine = kMachine) {
  return play(machine, COMPLETE_WITH_CANCEL_ROUTINE_IMAGE, [](Lab&, UserProcess& app) {
    auto* buffer = static_cast<char*>(app.alloc(16));
    auto* overlapped = app.alloc_array<OVERLAPPED>(2);
    app.run("main", [=] {
      HANDLE device = open_device(u"\\\\.\\CompleteWithCancelRoutine", FILE_FLAG_OVERLAPPED);
      ASSERT_NE(device, INVALID_HANDLE_VALUE);
      EXPECT_FALSE(ReadFile(device, buffer, 8, nullptr, &overlapped[0]));
      EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
      std::memcpy(buffer + 8, "mailbox", 8);
      WriteFile(device, buffer + 8, 8, nullptr, &overlapped[1]);  // stops the machine
      ADD_FAILURE() << "the write returned";
    });
  });
}

TEST(CompleteWithCancelRoutine, IsIoManagerViolation7WithTheCancelRoutineAndTheIrp) {
  const Outcome run = read_then_write();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_IOMANAGER_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 0x07u);
  EXPECT_EQ(finding.parameters[1], run.logged_address("cancel routine "));
  EXPECT_EQ(finding.parameters[2], run.logged_address("read "));
  EXPECT_EQ(finding.parameters[3], 0u);
  EXPECT_EQ(finding.severity, Severity::Fatal);
  EXPECT_EQ(finding.driver, "complete_with_cancel_routine");
  EXPECT_EQ(culprit_function(finding), "CompleteWithCancelRoutineWrite");
  EXPECT_TRUE(run.logged("complete_with_cancel_routine: write "));

  const Outcome again = read_then_write();
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[1], again.logged_address("cancel routine "));
  EXPECT_EQ(again.findings[0].parameters[2], again.logged_address("read "));
}

TEST(CompleteWithCancelRoutine, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = read_then_write(machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].code, DRIVER_VERIFIER_IOMANAGER_VIOLATION) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[0], 0x07u) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[2], run.logged_address("read ")) << describe(machine);
    EXPECT_EQ(culprit_function(run.findings[0]), "CompleteWithCancelRoutineWrite") << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
