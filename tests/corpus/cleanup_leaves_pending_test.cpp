// cleanup_leaves_pending (samples/buggy): IRP_MJ_CLEANUP leaves the file's queued read pending, with
// no cancel routine, so the thread that issued it cannot end until the I/O manager gives up.
//
// Machine: 2 processors, seed 1. Nothing races: the thread reads, closes the handle and ends.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr std::uint64_t kFiveMinutes = 5ull * 60 * 1000 * 10'000;  // 100 ns units

constexpr Machine kMachine{.processors = 2, .seed = 1};

Outcome read_close_and_exit(const Machine& machine = kMachine) {
  return play(machine, CLEANUP_LEAVES_PENDING_IMAGE, [](Lab&, UserProcess& app) {
    auto* buffer = static_cast<char*>(app.alloc(16));
    auto* overlapped = app.alloc_array<OVERLAPPED>(1);
    // When the thread ends, its read is cancelled (there is no cancel routine to call) and waited for.
    app.run("main", [=] {
      HANDLE device = open_device(u"\\\\.\\CleanupLeavesPending", FILE_FLAG_OVERLAPPED);
      ASSERT_NE(device, INVALID_HANDLE_VALUE);
      EXPECT_FALSE(ReadFile(device, buffer, 16, nullptr, overlapped));
      EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
      EXPECT_TRUE(CloseHandle(device));  // IRP_MJ_CLEANUP; the read keeps the file object
    });
  });
}

TEST(CleanupLeavesPending, ThreadExitWaitsFiveMinutesThenReportsC4_135) {
  const Outcome run = read_close_and_exit();
  EXPECT_EQ(run.status, RunStatus::Idle);  // the finding is non-fatal and the thread ended
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 0x135u);
  EXPECT_EQ(finding.parameters[1], run.logged_address("read "));
  EXPECT_EQ(finding.parameters[2], 300'000u);  // milliseconds allowed
  EXPECT_EQ(finding.parameters[3], 0u);
  EXPECT_EQ(finding.severity, Severity::NonFatal);
  EXPECT_EQ(finding.driver, "cleanup_leaves_pending");  // the driver holding the read
  EXPECT_EQ(finding.context.name, "main");              // reported as the thread ends
  const std::uint64_t read_time = run.logged_time("cleanup_leaves_pending: read ");
  EXPECT_GE(finding.virtual_time - read_time, kFiveMinutes);
  EXPECT_GE(run.now - read_time, kFiveMinutes);
  const std::string file = pointer_text(run.logged_address("for file "));
  EXPECT_EQ(run.lines("cleanup_leaves_pending: "),
            (std::vector<std::string>{run.lines("cleanup_leaves_pending: read ").at(0),
                                      "cleanup_leaves_pending: cleanup of file " + file}));  // and no close

  const Outcome again = read_close_and_exit();
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[1], again.logged_address("read "));
}

TEST(CleanupLeavesPending, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = read_close_and_exit(machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].code, DRIVER_VERIFIER_DETECTED_VIOLATION) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[0], 0x135u) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[1], run.logged_address("read ")) << describe(machine);
    EXPECT_FALSE(run.logged("close of file")) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
