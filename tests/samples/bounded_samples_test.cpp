// The correct cancellation samples under an exhaustive bounded search: every interleaving of a
// read, a write, a cancel and a close with at most two preemptions, on two processors, ends with
// no finding, every read completed exactly once, and a clean unload. The number of interleavings
// is asserted: a change to the drivers, the kernel model or the explorer that changes the space
// shows up here.
#include <gtest/gtest.h>
#include <wdm.h>

#include <memory>
#include <string>

#include "samples/cancel_sample.hpp"
#include "wdmlab/explore.hpp"
#include "wdmlab/lab.hpp"
#include "wdmlab/user.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

// What the application saw, checked at the end of each schedule.
struct Seen {
  LONG read_status = -1;  // the read's final status (STATUS_SUCCESS: a write's bytes; STATUS_CANCELLED)
  DWORD read_error = 0;   // ReadFile's error when it failed at once
  bool closed = false;
};

// app.exe opens the device; its reader reads once and waits for the read to end; its writer writes
// once; its canceller cancels every request on the handle. When the writer and the canceller are
// done, the handle is closed (cleanup ends a read still pending). Then the driver is unloaded.
Scenario read_write_cancel(const CancelSample& sample, std::shared_ptr<Seen> seen) {
  return [&sample, seen](Lab& lab) {
    *seen = Seen{};
    LoadedDriver& driver = lab.load_driver(sample.image);
    UserProcess& app = lab.create_process("app.exe");
    auto* buffer = static_cast<char*>(app.alloc(32));
    auto* overlapped = app.alloc_array<OVERLAPPED>(2);
    auto device = std::make_shared<HANDLE>(INVALID_HANDLE_VALUE);
    auto finished = std::make_shared<LONG>(0);
    const auto done = [device, finished, seen] {
      if (InterlockedIncrement(finished.get()) == 2) seen->closed = CloseHandle(*device);
    };
    UserProcess* process = &app;
    app.run("opener", [=, path = sample.path] {
      *device = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, FILE_FLAG_OVERLAPPED,
                            nullptr);
      if (*device == INVALID_HANDLE_VALUE) return;
      overlapped[0].hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
      overlapped[1].hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
      process->run("reader", [=] {
        if (!ReadFile(*device, buffer, 16, nullptr, &overlapped[0])) {
          seen->read_error = GetLastError();
          if (seen->read_error != ERROR_IO_PENDING) return;
          WaitForSingleObject(overlapped[0].hEvent, INFINITE);
        }
        seen->read_status = static_cast<LONG>(overlapped[0].Internal);
      });
      process->run("writer", [=] {
        if (!WriteFile(*device, "racing", 6, nullptr, &overlapped[1]) && GetLastError() == ERROR_IO_PENDING) {
          WaitForSingleObject(overlapped[1].hEvent, INFINITE);
        }
        done();
      });
      process->run("canceller", [=] {
        CancelIoEx(*device, nullptr);
        done();
      });
    });
    lab.run_until_idle();
    if (!lab.stopped()) lab.unload_driver(driver);
  };
}

EndCheck each_request_ended(std::shared_ptr<Seen> seen) {
  return [seen](Lab&) -> std::string {
    if (!seen->closed) return "the handle was not closed";
    // Closed before the read was issued, or cancelled before ReadFile returned.
    if (seen->read_error == ERROR_INVALID_HANDLE || seen->read_error == ERROR_OPERATION_ABORTED) return {};
    if (seen->read_status != STATUS_SUCCESS && seen->read_status != STATUS_CANCELLED) {
      return "the read ended with status " + std::to_string(seen->read_status) + ", error " +
             std::to_string(seen->read_error);
    }
    return std::string();
  };
}

class BoundedSampleTest : public ::testing::TestWithParam<std::tuple<CancelSample, std::uint64_t>> {};

TEST_P(BoundedSampleTest, EveryInterleavingWithTwoPreemptionsEndsCleanly) {
  const auto& [sample, interleavings] = GetParam();
  auto seen = std::make_shared<Seen>();
  ExploreOptions options{.schedules = 1'000'000, .strategy = bounded(2), .stop_at_first = false};
  options.check = each_request_ended(seen);
  options.picture = false;
  const ExploreResult result = explore(read_write_cancel(sample, seen), options);
  EXPECT_TRUE(result.findings.empty()) << result.report();
  EXPECT_TRUE(result.exhausted);
  EXPECT_EQ(result.schedules, result.distinct_interleavings);
  EXPECT_EQ(result.schedules, interleavings);
}

INSTANTIATE_TEST_SUITE_P(CancelSamples, BoundedSampleTest,
                         ::testing::Values(std::make_tuple(kCsqQueue, std::uint64_t{6616}),
                                           std::make_tuple(kCancelSpinLock, std::uint64_t{4985})),
                         [](const auto& param) { return std::string(std::get<0>(param.param).name); });

}  // namespace
}  // namespace wdmlab::test
