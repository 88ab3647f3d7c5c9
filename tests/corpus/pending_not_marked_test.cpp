// pending_not_marked (samples/buggy): a read parked in the mailbox returns STATUS_PENDING without
// IoMarkIrpPending; the write that completes it cannot finish it. No interleaving is needed: an
// overlapped read, then a write. Both findings are non-fatal: the run goes on to the end of the
// application's thread, where the verifier reports the read that never finished.
//
// Machine: 1 processor, seed 1 (any machine gives the same findings).
#include <gtest/gtest.h>
#include <wdm.h>

#include <cstring>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr Machine kMachine{.processors = 1, .seed = 1};

struct Seen {
  BOOL read_finished = TRUE;
  DWORD error = 0;
};

Outcome read_then_write(Seen& seen, const Machine& machine = kMachine) {
  return play(machine, PENDING_NOT_MARKED_IMAGE, [&seen](Lab&, UserProcess& app) {
    auto* buffer = static_cast<char*>(app.alloc(16));
    auto* overlapped = app.alloc_array<OVERLAPPED>(2);
    app.run("main", [=, &seen] {
      HANDLE device = open_device(u"\\\\.\\PendingNotMarked", FILE_FLAG_OVERLAPPED);
      ASSERT_NE(device, INVALID_HANDLE_VALUE);
      overlapped[0].hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
      EXPECT_FALSE(ReadFile(device, buffer, 8, nullptr, &overlapped[0]));
      EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
      std::memcpy(buffer + 8, "mailbox", 8);
      DWORD bytes = 0;
      EXPECT_TRUE(WriteFile(device, buffer + 8, 8, &bytes, &overlapped[1]));
      seen.read_finished = GetOverlappedResultEx(device, &overlapped[0], &bytes, 100, FALSE);
      seen.error = GetLastError();
      CloseHandle(device);
      CloseHandle(overlapped[0].hEvent);
    });
  });
}

TEST(PendingNotMarked, IsNonFatalIoManagerViolation23DAndTheReadNeverFinishes) {
  Seen seen;
  const Outcome run = read_then_write(seen);
  EXPECT_EQ(run.status, RunStatus::Idle);
  ASSERT_EQ(run.findings.size(), 2u) << run.summaries();
  const Finding& finding = run.findings[0];
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_IOMANAGER_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 0x23Du);
  EXPECT_EQ(finding.parameters[1], run.logged_address("routine "));
  EXPECT_EQ(finding.parameters[2], run.logged_address("read "));
  EXPECT_EQ(finding.parameters[3], static_cast<std::uint32_t>(STATUS_PENDING));
  EXPECT_EQ(finding.severity, Severity::NonFatal);
  EXPECT_EQ(finding.rule, "MarkIrpPending2");
  EXPECT_EQ(finding.driver, "pending_not_marked");
  // The write completed the read, but the I/O manager never finished it for the application...
  EXPECT_TRUE(run.logged("pending_not_marked: write completes read "));
  EXPECT_FALSE(seen.read_finished);
  EXPECT_EQ(seen.error, static_cast<DWORD>(WAIT_TIMEOUT));
  // ...so when the thread ends, the read is still outstanding five minutes later.
  const Finding& outstanding = run.findings[1];
  EXPECT_EQ(outstanding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << outstanding.to_text();
  EXPECT_EQ(outstanding.parameters[0], 0x135u);
  EXPECT_EQ(outstanding.parameters[1], run.logged_address("read "));
  EXPECT_EQ(outstanding.parameters[2], 300000u);
  EXPECT_EQ(outstanding.severity, Severity::NonFatal);

  Seen again_seen;
  const Outcome again = read_then_write(again_seen);
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 2u);
  EXPECT_EQ(again.findings[0].parameters[2], again.logged_address("read "));
}

TEST(PendingNotMarked, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    Seen seen;
    const Outcome run = read_then_write(seen, machine);
    ASSERT_EQ(run.findings.size(), 2u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].parameters[0], 0x23Du) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[2], run.logged_address("read ")) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
