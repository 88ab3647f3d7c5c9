// The filter_sample driver attached above ioctl_methods, driven from app.exe through
// \\.\IoctlMethods: device controls go down with a completion routine and come back unchanged,
// other requests are skipped down, the access check happens before the top of the stack, and
// unloading the filter leaves ioctl_methods working alone.
#include <gtest/gtest.h>
#include <wdm.h>

#include <functional>
#include <string>
#include <vector>

#include "filter_sample_public.h"
#include "samples/ioctl_methods_client.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

std::string goes_down(DWORD code) { return "filter_sample: control " + hex(code) + " goes down"; }
std::string completed(DWORD code, NTSTATUS status, DWORD information) {
  return "filter_sample: control " + hex(code) + " completed with " + hex(static_cast<DWORD>(status)) +
         ", information " + std::to_string(information);
}
std::string passes_down(UCHAR major) { return "filter_sample: major " + std::to_string(major) + " passes down"; }

class FilterSampleTest : public SampleTest {
 protected:
  void SetUp() override {
    methods = &load(IOCTL_METHODS_IMAGE);
    filter = &load(FILTER_SAMPLE_IMAGE);
    stats = app.alloc_array<FILTER_SAMPLE_STATS>(1);
  }

  // Asks the filter for its counters (into `stats`); the request never reaches ioctl_methods.
  void read_stats(HANDLE device) {
    DWORD bytes = 0;
    EXPECT_TRUE(
        DeviceIoControl(device, IOCTL_FILTER_SAMPLE_GET_STATS, nullptr, 0, stats, sizeof(*stats), &bytes, nullptr))
        << GetLastError();
    EXPECT_EQ(bytes, sizeof(*stats));
  }

  // The lines both drivers log for device controls, in order.
  std::vector<std::string> control_lines() const {
    std::vector<std::string> control;
    for (const LogRecord& record : lab.log().records()) {
      if (record.text.rfind("filter_sample: control", 0) == 0 ||
          record.text.rfind("ioctl_methods: device control", 0) == 0) {
        control.push_back(record.text);
      }
    }
    return control;
  }

  // Runs `body` in app.exe with a handle to \\.\IoctlMethods (the filter) opened for `access`.
  void use_device(DWORD access, std::function<void(HANDLE)> body) {
    run_with_device(kIoctlMethodsPath, access, FILE_ATTRIBUTE_NORMAL, std::move(body));
  }

  LoadedDriver* methods = nullptr;
  LoadedDriver* filter = nullptr;
  FILTER_SAMPLE_STATS* stats = nullptr;
};

TEST_P(FilterSampleTest, DriverEntryOpensTheTargetAndAttachesAboveIt) {
  // IoGetDeviceObjectPointer opened the device (create) and closed its handle (cleanup); the
  // file object stays referenced, so there is no close yet.
  EXPECT_EQ(lines("ioctl_methods: "),
            (std::vector<std::string>{"ioctl_methods: loaded", "ioctl_methods: create", "ioctl_methods: cleanup"}));
  EXPECT_EQ(lines("filter_sample: "), std::vector<std::string>{"filter_sample: attached above \\Device\\IoctlMethods"});
  expect_no_findings();
}

TEST_P(FilterSampleTest, DeviceControlsPassThroughUnchangedAndTheCompletionRoutineSeesThem) {
  char* in = user_bytes("wdmlab!");
  char* out = user_bytes("", 16, 'x');
  auto* pattern = user_value(IOCTL_METHODS_FILL_PATTERN{0x41, 1});
  char* filled = user_bytes("", 5, 'x');
  char* lower = user_bytes("filter");
  char* upper = user_bytes("", 6, 'x');
  use_device(GENERIC_READ | GENERIC_WRITE, [&](HANDLE device) {
    DWORD bytes = 0;
    EXPECT_TRUE(DeviceIoControl(device, IOCTL_METHODS_REVERSE, in, 7, out, 16, &bytes, nullptr));
    EXPECT_EQ(bytes, 7u);
    EXPECT_TRUE(DeviceIoControl(device, IOCTL_METHODS_FILL, pattern, sizeof(*pattern), filled, 4, &bytes, nullptr));
    EXPECT_EQ(bytes, 4u);
    EXPECT_TRUE(DeviceIoControl(device, IOCTL_METHODS_UPPERCASE, lower, 6, upper, 6, &bytes, nullptr));
    EXPECT_EQ(bytes, 6u);
    read_stats(device);
  });
  EXPECT_EQ(bytes_at(out, 16), "!balmdw" + std::string(9, 'x'));
  EXPECT_EQ(bytes_at(filled, 5), "ABCDx");
  EXPECT_EQ(bytes_at(upper, 6), "FILTER");

  EXPECT_EQ(stats->ControlsSent, 3u);
  EXPECT_EQ(stats->ControlsCompleted, 3u);
  EXPECT_EQ(stats->PendingReturned, 0u);  // ioctl_methods completes every request at once
  EXPECT_EQ(stats->LastIoControlCode, static_cast<ULONG>(IOCTL_METHODS_UPPERCASE));
  EXPECT_EQ(stats->LastStatus, STATUS_SUCCESS);
  EXPECT_EQ(stats->LastInformation, 6u);
  EXPECT_EQ(stats->PassedDown, 1u);  // the create

  EXPECT_EQ(control_lines(), (std::vector<std::string>{
                                 goes_down(IOCTL_METHODS_REVERSE), reached(IOCTL_METHODS_REVERSE, 7, 16),
                                 completed(IOCTL_METHODS_REVERSE, STATUS_SUCCESS, 7), goes_down(IOCTL_METHODS_FILL),
                                 reached(IOCTL_METHODS_FILL, 2, 4), completed(IOCTL_METHODS_FILL, STATUS_SUCCESS, 4),
                                 goes_down(IOCTL_METHODS_UPPERCASE), reached(IOCTL_METHODS_UPPERCASE, 6, 6),
                                 completed(IOCTL_METHODS_UPPERCASE, STATUS_SUCCESS, 6)}));
  expect_no_findings();
}

TEST_P(FilterSampleTest, FailuresPassThroughUnchanged) {
  char* in = user_bytes("abcd");
  char* out = user_bytes("", 4, 'x');
  void* invalid = app.invalid_address();
  use_device(GENERIC_READ | GENERIC_WRITE, [&](HANDLE device) {
    DWORD bytes = kUntouched;
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(DeviceIoControl(device, kUnknownControl, in, 4, out, 4, &bytes, nullptr));
    EXPECT_EQ(GetLastError(), ERROR_INVALID_FUNCTION);
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(DeviceIoControl(device, IOCTL_METHODS_REVERSE, in, 4, out, 2, &bytes, nullptr));
    EXPECT_EQ(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(DeviceIoControl(device, IOCTL_METHODS_UPPERCASE, invalid, 4, out, 4, &bytes, nullptr));
    EXPECT_EQ(GetLastError(), ERROR_NOACCESS);
    EXPECT_EQ(bytes, kUntouched);
    read_stats(device);
  });
  EXPECT_EQ(bytes_at(out, 4), "xxxx");
  EXPECT_EQ(stats->ControlsSent, 3u);
  EXPECT_EQ(stats->ControlsCompleted, 3u);
  EXPECT_EQ(stats->LastIoControlCode, static_cast<ULONG>(IOCTL_METHODS_UPPERCASE));
  EXPECT_EQ(stats->LastStatus, STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(stats->LastInformation, 0u);
  EXPECT_EQ(lines("filter_sample: control"),
            (std::vector<std::string>{
                goes_down(kUnknownControl), completed(kUnknownControl, STATUS_INVALID_DEVICE_REQUEST, 0),
                goes_down(IOCTL_METHODS_REVERSE), completed(IOCTL_METHODS_REVERSE, STATUS_BUFFER_TOO_SMALL, 0),
                goes_down(IOCTL_METHODS_UPPERCASE), completed(IOCTL_METHODS_UPPERCASE, STATUS_ACCESS_VIOLATION, 0)}));
  expect_no_findings();
}

// The I/O manager checks a control code's access bits against the handle before it sends the
// request to the top of the stack: neither the filter nor ioctl_methods sees a denied request.
TEST_P(FilterSampleTest, AccessIsCheckedAboveTheFilter) {
  LONG* value = user_value<LONG>(42);
  use_device(GENERIC_READ, [&](HANDLE reader) {
    DWORD bytes = 0;
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(DeviceIoControl(reader, IOCTL_METHODS_SET_VALUE, value, sizeof(LONG), nullptr, 0, &bytes, nullptr));
    EXPECT_EQ(GetLastError(), ERROR_ACCESS_DENIED);
    read_stats(reader);
  });
  EXPECT_EQ(stats->ControlsSent, 0u);
  EXPECT_EQ(stats->ControlsCompleted, 0u);
  EXPECT_TRUE(control_lines().empty());
  expect_no_findings();
}

// Requests other than device controls are skipped down untouched: ioctl_methods has no read or
// write routine, so the I/O manager's default one fails them, and that failure comes back.
TEST_P(FilterSampleTest, OtherRequestsAreSkippedDown) {
  char* buffer = user_bytes("", 8, 'x');
  run([&] {
    HANDLE device = open_device(kIoctlMethodsPath, GENERIC_READ | GENERIC_WRITE);
    ASSERT_NE(device, INVALID_HANDLE_VALUE);
    expect_read_and_write_fail(device, buffer, 8, ERROR_INVALID_FUNCTION);
    CloseHandle(device);

    HANDLE reader = open_device(kIoctlMethodsPath, GENERIC_READ);
    ASSERT_NE(reader, INVALID_HANDLE_VALUE);
    read_stats(reader);
    CloseHandle(reader);
  });
  EXPECT_EQ(bytes_at(buffer, 8), std::string(8, 'x'));
  EXPECT_EQ(stats->PassedDown, 6u);
  EXPECT_EQ(stats->ControlsSent, 0u);
  EXPECT_EQ(
      lines("filter_sample: major"),
      (std::vector<std::string>{passes_down(IRP_MJ_CREATE), passes_down(IRP_MJ_READ), passes_down(IRP_MJ_WRITE),
                                passes_down(IRP_MJ_CLEANUP), passes_down(IRP_MJ_CLOSE), passes_down(IRP_MJ_CREATE),
                                passes_down(IRP_MJ_CLEANUP), passes_down(IRP_MJ_CLOSE)}));
  // ioctl_methods saw the opens and closes made through the filter, after the filter's own open.
  EXPECT_EQ(lines("ioctl_methods: "),
            (std::vector<std::string>{"ioctl_methods: loaded", "ioctl_methods: create", "ioctl_methods: cleanup",
                                      "ioctl_methods: create", "ioctl_methods: cleanup", "ioctl_methods: close",
                                      "ioctl_methods: create", "ioctl_methods: cleanup", "ioctl_methods: close"}));
  expect_no_findings();
}

TEST_P(FilterSampleTest, StatisticsNeedRoomForTheWholeStructure) {
  char* out = user_bytes("", sizeof(FILTER_SAMPLE_STATS) - 1, 'x');
  use_device(GENERIC_READ, [&](HANDLE device) {
    DWORD bytes = kUntouched;
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(DeviceIoControl(device, IOCTL_FILTER_SAMPLE_GET_STATS, nullptr, 0, out,
                                 sizeof(FILTER_SAMPLE_STATS) - 1, &bytes, nullptr));
    EXPECT_EQ(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    EXPECT_EQ(bytes, kUntouched);
  });
  EXPECT_EQ(bytes_at(out, sizeof(FILTER_SAMPLE_STATS) - 1), std::string(sizeof(FILTER_SAMPLE_STATS) - 1, 'x'));
  EXPECT_EQ(lines("filter_sample: statistics requested").size(), 1u);
  EXPECT_TRUE(control_lines().empty());
  expect_no_findings();
}

// Unloading the filter detaches it and drops its file object (ioctl_methods sees the close); the
// device then works alone, and the filter's control code means nothing to ioctl_methods.
TEST_P(FilterSampleTest, UnloadDetachesTheFilter) {
  char* in = user_bytes("abc");
  char* out = user_bytes("", 3, 'x');
  lab.unload_driver(*filter);
  EXPECT_EQ(lines("filter_sample: "), (std::vector<std::string>{"filter_sample: attached above \\Device\\IoctlMethods",
                                                                "filter_sample: detached and unloaded"}));
  EXPECT_EQ(lines("ioctl_methods: ").back(), "ioctl_methods: close");
  use_device(GENERIC_READ | GENERIC_WRITE, [&](HANDLE device) {
    DWORD bytes = 0;
    EXPECT_TRUE(DeviceIoControl(device, IOCTL_METHODS_REVERSE, in, 3, out, 3, &bytes, nullptr));
    EXPECT_EQ(bytes, 3u);
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(
        DeviceIoControl(device, IOCTL_FILTER_SAMPLE_GET_STATS, nullptr, 0, stats, sizeof(*stats), &bytes, nullptr));
    EXPECT_EQ(GetLastError(), ERROR_INVALID_FUNCTION);
  });
  EXPECT_EQ(bytes_at(out, 3), "cba");
  EXPECT_EQ(lines("filter_sample: ").size(), 2u);
  EXPECT_EQ(control_lines(), (std::vector<std::string>{reached(IOCTL_METHODS_REVERSE, 3, 3),
                                                       reached(IOCTL_FILTER_SAMPLE_GET_STATS, 0, sizeof(*stats))}));
  lab.unload_driver(*methods);
  EXPECT_TRUE(lab.log().contains("ioctl_methods: unloaded"));
  expect_no_findings();
}

INSTANTIATE_TEST_SUITE_P(Machines, FilterSampleTest, machines(), machine_name);

// Without ioctl_methods there is nothing to attach to: DriverEntry fails and the filter is not
// loaded.
class FilterSampleAloneTest : public SampleTest {};

TEST_P(FilterSampleAloneTest, DriverEntryFailsWithoutItsTarget) {
  LoadedDriver& filter = lab.load_driver(FILTER_SAMPLE_IMAGE);
  EXPECT_FALSE(filter.loaded());
  EXPECT_EQ(filter.entry_status, STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(lines("filter_sample: "),
            std::vector<std::string>{"filter_sample: cannot open \\Device\\IoctlMethods: c0000034"});
  expect_no_findings();
}

INSTANTIATE_TEST_SUITE_P(Machines, FilterSampleAloneTest, machines(), machine_name);

}  // namespace
}  // namespace wdmlab::test
