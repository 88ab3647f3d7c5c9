// completion_routine_no_mark (samples/buggy): a counting filter's completion routine lets the
// completion of a pended read go on without IoMarkIrpPending. No interleaving is needed: one
// overlapped read, answered 1 ms later from a timer DPC. The finding is non-fatal and the read
// still finishes.
//
// Machine: 1 processor, seed 1 (any machine gives the same finding).
#include <gtest/gtest.h>
#include <wdm.h>

#include <string>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr Machine kMachine{.processors = 1, .seed = 1};

Outcome read(std::string& received, const Machine& machine = kMachine) {
  return play(machine, COMPLETION_ROUTINE_NO_MARK_IMAGE, [&received](Lab&, UserProcess& app) {
    auto* buffer = static_cast<char*>(app.alloc(4));
    auto* overlapped = app.alloc_array<OVERLAPPED>(1);
    app.run("main", [=, &received] {
      HANDLE device = open_device(u"\\\\.\\CompletionRoutineNoMark", FILE_FLAG_OVERLAPPED);
      ASSERT_NE(device, INVALID_HANDLE_VALUE);
      overlapped->hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
      EXPECT_FALSE(ReadFile(device, buffer, 4, nullptr, overlapped));
      EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
      DWORD bytes = 0;
      EXPECT_TRUE(GetOverlappedResult(device, overlapped, &bytes, TRUE));
      received.assign(buffer, bytes);
      CloseHandle(overlapped->hEvent);
      CloseHandle(device);
    });
  });
}

TEST(CompletionRoutineNoMark, IsNonFatalIoManagerViolation228WithTheRoutineAndTheIrp) {
  std::string received;
  const Outcome run = read(received);
  EXPECT_EQ(run.status, RunStatus::Idle);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_IOMANAGER_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 0x228u);
  EXPECT_EQ(finding.parameters[1], run.logged_address("routine "));
  EXPECT_EQ(finding.parameters[2], run.logged_address("read "));
  EXPECT_EQ(finding.parameters[3], 0u);
  EXPECT_EQ(finding.severity, Severity::NonFatal);
  EXPECT_EQ(finding.driver, "completion_routine_no_mark");
  EXPECT_EQ(received, "abcd");

  std::string again_received;
  const Outcome again = read(again_received);
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[2], again.logged_address("read "));
}

TEST(CompletionRoutineNoMark, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    std::string received;
    const Outcome run = read(received, machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].parameters[0], 0x228u) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[2], run.logged_address("read ")) << describe(machine);
    EXPECT_EQ(received, "abcd") << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
