// double_complete (samples/buggy): the timer DPC completes a read whose cancel routine is already
// running, and the cancel routine completes it again.
//
// Machine: 1 processor, cooperative policy (a thread runs until it blocks; no seed). Virtual time
// orders the race: the watchdog thread arms a 10 ms timeout (Sleep) and the reader issues its read
// 20 us later; the device completes a read 10 ms after it arrives. So the watchdog's CancelIoEx
// comes about 20 us before the device's timer expires, and the timer expires while the cancel
// routine waits 50 us for the device to acknowledge the abort.
#include <gtest/gtest.h>
#include <wdm.h>

#include <chrono>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;
using std::chrono::microseconds;

// What the application's two threads saw; a call that never returned leaves its field unset.
struct Shared {
  bool cancel_returned = false;
  bool read_returned = false;
  BOOL read_ok = TRUE;
  DWORD read_error = 0;
};

// The watchdog sleeps 10 ms and cancels every request on the handle; the reader starts
// `reader_delay` after the watchdog, reads 16 bytes and waits for them.
Outcome cancel_as_the_device_finishes(Shared& shared, microseconds reader_delay = microseconds(20)) {
  return play({.processors = 1, .cooperative = true}, DOUBLE_COMPLETE_IMAGE, [&](Lab& lab, UserProcess& app) {
    auto* buffer = static_cast<char*>(app.alloc(16));
    auto* overlapped = app.alloc_array<OVERLAPPED>(1);
    auto* device = app.alloc_array<HANDLE>(1);
    app.run("watchdog", [=, &shared] {
      Sleep(10);
      CancelIoEx(*device, nullptr);
      shared.cancel_returned = true;
    });
    lab.run_for(reader_delay);
    app.run("reader", [=, &shared] {
      *device = open_device(u"\\\\.\\DoubleComplete", FILE_FLAG_OVERLAPPED);
      ASSERT_NE(*device, INVALID_HANDLE_VALUE);
      EXPECT_FALSE(ReadFile(*device, buffer, 16, nullptr, overlapped));
      EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
      DWORD bytes = 0;
      shared.read_ok = GetOverlappedResult(*device, overlapped, &bytes, TRUE);
      shared.read_error = GetLastError();
      shared.read_returned = true;
      CloseHandle(*device);
    });
  });
}

TEST(DoubleComplete, IsMultipleIrpCompleteRequestsInTheCancelRoutine) {
  Shared shared;
  const Outcome run = cancel_as_the_device_finishes(shared);
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, MULTIPLE_IRP_COMPLETE_REQUESTS) << finding.to_text();
  EXPECT_EQ(finding.rule, "DoubleCompletion");  // DDI compliance checking names the rule
  EXPECT_EQ(finding.parameters[0], run.logged_address("read "));
  EXPECT_EQ(finding.parameters[1], 0u);
  EXPECT_EQ(finding.parameters[2], 0u);
  EXPECT_EQ(finding.parameters[3], 0u);
  EXPECT_EQ(finding.severity, Severity::Fatal);
  EXPECT_EQ(finding.driver, "double_complete");
  EXPECT_EQ(culprit_function(finding), "DoubleCompleteCancel");  // the second completion
  EXPECT_EQ(finding.context.name, "watchdog");
  // The DPC claimed the read after IoCancelIrp had taken its cancel routine, and completed it.
  const std::string irp = pointer_text(finding.parameters[0]);
  EXPECT_EQ(run.lines("double_complete: "), (std::vector<std::string>{"double_complete: read " + irp + " waits 10 ms",
                                                                      "double_complete: cancel read " + irp,
                                                                      "double_complete: timer completes read " + irp}));
  EXPECT_FALSE(shared.cancel_returned);
  EXPECT_FALSE(shared.read_returned);

  Shared again_shared;
  const Outcome again = cancel_as_the_device_finishes(again_shared);
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[0], again.logged_address("read "));
}

// Anywhere in the cancel routine's 50 us wait, the timer's expiry gives the same finding.
TEST(DoubleComplete, EveryCancelInsideTheAbortWaitGivesTheSameFinding) {
  for (int delay : {1, 5, 20, 35, 45}) {
    Shared shared;
    const Outcome run = cancel_as_the_device_finishes(shared, microseconds(delay));
    ASSERT_EQ(run.findings.size(), 1u) << delay << " us\n" << run.summaries();
    EXPECT_EQ(run.findings[0].code, MULTIPLE_IRP_COMPLETE_REQUESTS) << delay << " us";
    EXPECT_EQ(run.findings[0].parameters[0], run.logged_address("read ")) << delay << " us";
    EXPECT_EQ(culprit_function(run.findings[0]), "DoubleCompleteCancel") << delay << " us";
  }
}

// The same application with the cancel 100 us ahead of the device: the cancel routine stops the
// timer before it expires, the read ends with ERROR_OPERATION_ABORTED, and nothing is found.
TEST(DoubleComplete, ACancelWellBeforeTheDeviceFinishesIsClean) {
  Shared shared;
  const Outcome run = cancel_as_the_device_finishes(shared, microseconds(100));
  EXPECT_EQ(run.status, RunStatus::Idle);
  EXPECT_TRUE(run.findings.empty()) << run.summaries();
  EXPECT_TRUE(shared.cancel_returned);
  EXPECT_TRUE(shared.read_returned);
  EXPECT_FALSE(shared.read_ok);
  EXPECT_EQ(shared.read_error, ERROR_OPERATION_ABORTED);
  EXPECT_FALSE(run.logged("double_complete: timer completes"));
}

}  // namespace
}  // namespace wdmlab::test
