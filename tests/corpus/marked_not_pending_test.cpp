// marked_not_pending (samples/buggy): a read marked pending up front is completed at once from a
// full mailbox and STATUS_SUCCESS returned. No interleaving is needed: a write, then a read. The
// finding is non-fatal and the read still delivers the bytes.
//
// Machine: 1 processor, seed 1 (any machine gives the same finding).
#include <gtest/gtest.h>
#include <wdm.h>

#include <cstring>
#include <string>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr Machine kMachine{.processors = 1, .seed = 1};

Outcome write_then_read(std::string& received, const Machine& machine = kMachine) {
  return play(machine, MARKED_NOT_PENDING_IMAGE, [&received](Lab&, UserProcess& app) {
    auto* buffer = static_cast<char*>(app.alloc(16));
    auto* overlapped = app.alloc_array<OVERLAPPED>(2);
    app.run("main", [=, &received] {
      HANDLE device = open_device(u"\\\\.\\MarkedNotPending", FILE_FLAG_OVERLAPPED);
      ASSERT_NE(device, INVALID_HANDLE_VALUE);
      std::memcpy(buffer + 8, "mailbox", 8);
      DWORD bytes = 0;
      EXPECT_TRUE(WriteFile(device, buffer + 8, 8, &bytes, &overlapped[0]));
      ReadFile(device, buffer, 8, nullptr, &overlapped[1]);
      EXPECT_TRUE(GetOverlappedResult(device, &overlapped[1], &bytes, TRUE));
      received.assign(buffer, bytes);
      CloseHandle(device);
    });
  });
}

TEST(MarkedNotPending, IsNonFatalIoManagerViolation23EWithTheRoutineAndTheIrp) {
  std::string received;
  const Outcome run = write_then_read(received);
  EXPECT_EQ(run.status, RunStatus::Idle);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_IOMANAGER_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 0x23Eu);
  EXPECT_EQ(finding.parameters[1], run.logged_address("routine "));
  EXPECT_EQ(finding.parameters[2], run.logged_address("read "));
  EXPECT_EQ(finding.parameters[3], static_cast<std::uint32_t>(STATUS_SUCCESS));
  EXPECT_EQ(finding.severity, Severity::NonFatal);
  EXPECT_EQ(finding.rule, "MarkIrpPending");
  EXPECT_EQ(finding.driver, "marked_not_pending");
  EXPECT_EQ(received, std::string("mailbox", 8));

  std::string again_received;
  const Outcome again = write_then_read(again_received);
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[2], again.logged_address("read "));
}

TEST(MarkedNotPending, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    std::string received;
    const Outcome run = write_then_read(received, machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].parameters[0], 0x23Eu) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[2], run.logged_address("read ")) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
