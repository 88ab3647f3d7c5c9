// The Win32 file functions of the simulated user mode against the io_test driver: what an
// application sees (results, bytes, last errors) and what the driver receives.
#include <algorithm>
#include <cstring>

#include "user/user_test_support.hpp"

namespace wdmlab::test {
namespace {

using namespace win32;

TEST(CreateFileW, OpensADeviceByItsDosNameAndCloseHandleSendsCleanupThenClose) {
  AppLab t;
  HANDLE device = INVALID_HANDLE_VALUE;
  DWORD open_error = 1234;
  BOOL closed = FALSE;
  EXPECT_EQ(t.run([&] {
    SetLastError(1234);
    device = open_io_test_device(GENERIC_READ | GENERIC_WRITE);
    open_error = GetLastError();
    closed = CloseHandle(device);
  }), RunStatus::Idle);
  EXPECT_NE(device, INVALID_HANDLE_VALUE);
  EXPECT_EQ(open_error, ERROR_SUCCESS);
  EXPECT_TRUE(closed);
  EXPECT_EQ(t.driver_lines(), (std::vector<std::string>{"io_test: create '(null)'", "io_test: cleanup", "io_test: close"}));
  EXPECT_TRUE(t.lab.findings().empty());
}

TEST(CreateFileW, ReportsTheWin32ErrorsWindowsReports) {
  AppLab t;
  std::vector<std::pair<HANDLE, DWORD>> results;
  auto attempt = [&](LPCWSTR name, DWORD disposition) {
    HANDLE handle = CreateFileW(name, GENERIC_READ, 0, nullptr, disposition, 0, nullptr);
    results.emplace_back(handle, GetLastError());
  };
  t.run([&] {
    attempt(u"\\\\.\\NoSuchDevice", OPEN_EXISTING);
    attempt(u"C:\\file.txt", OPEN_EXISTING);
    attempt(u"\\\\.\\IoTest", 0);
    attempt(u"", OPEN_EXISTING);
    attempt(u"\\\\?\\GLOBALROOT\\Device\\IoTest", OPEN_EXISTING);
  });
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[0], std::make_pair(INVALID_HANDLE_VALUE, DWORD{ERROR_FILE_NOT_FOUND}));
  EXPECT_EQ(results[1], std::make_pair(INVALID_HANDLE_VALUE, DWORD{ERROR_PATH_NOT_FOUND}));
  EXPECT_EQ(results[2], std::make_pair(INVALID_HANDLE_VALUE, DWORD{ERROR_INVALID_PARAMETER}));
  EXPECT_EQ(results[3], std::make_pair(INVALID_HANDLE_VALUE, DWORD{ERROR_PATH_NOT_FOUND}));
  EXPECT_NE(results[4].first, INVALID_HANDLE_VALUE);  // the device by its NT name
  // Only the last one reached the driver; the process's exit closed its handle.
  EXPECT_EQ(t.driver_lines(), (std::vector<std::string>{"io_test: create '(null)'", "io_test: cleanup", "io_test: close"}));
}

TEST(DeviceIoControl, BufferedEchoReturnsTheBytesAndMapsFailuresToWin32Errors) {
  AppLab t;
  auto* input = static_cast<char*>(t.app.alloc(16));
  auto* output = static_cast<char*>(t.app.alloc(16));
  std::memcpy(input, "ping", 5);
  std::memcpy(output, "xxxxxxxx", 8);
  DWORD echoed = 99, small_bytes = 99, unknown_bytes = 99;
  BOOL echo = FALSE, small = TRUE, unknown = TRUE;
  DWORD small_error = 0, unknown_error = 0;
  t.run([&] {
    HANDLE device = open_io_test_device(GENERIC_READ | GENERIC_WRITE);
    echo = DeviceIoControl(device, IOCTL_IOTEST_ECHO, input, 5, output, 8, &echoed, nullptr);
    small = DeviceIoControl(device, IOCTL_IOTEST_ECHO, input, 5, output, 2, &small_bytes, nullptr);
    small_error = GetLastError();
    unknown = DeviceIoControl(device, CTL_CODE(FILE_DEVICE_UNKNOWN, 0x9FF, METHOD_BUFFERED, FILE_ANY_ACCESS), nullptr,
                              0, nullptr, 0, &unknown_bytes, nullptr);
    unknown_error = GetLastError();
    CloseHandle(device);
  });
  EXPECT_TRUE(echo);
  EXPECT_EQ(echoed, 5u);
  EXPECT_EQ(std::memcmp(output, "ping\0xxx", 8), 0);
  EXPECT_FALSE(small);
  EXPECT_EQ(small_error, ERROR_INSUFFICIENT_BUFFER);
  EXPECT_EQ(small_bytes, 99u);  // an error (not a warning) leaves it alone
  EXPECT_FALSE(unknown);
  EXPECT_EQ(unknown_error, ERROR_INVALID_FUNCTION);
  EXPECT_TRUE(t.lab.findings().empty());
}

TEST(DeviceIoControl, TheTestsOwnMemoryIsAKernelAddressAndFailsWithNoAccess) {
  AppLab t;
  char host_buffer[8] = "abc";
  BOOL result = TRUE;
  DWORD error = 0;
  t.run([&] {
    HANDLE device = open_io_test_device(GENERIC_READ | GENERIC_WRITE);
    DWORD bytes = 0;
    result = DeviceIoControl(device, IOCTL_IOTEST_ECHO, host_buffer, 4, host_buffer, 8, &bytes, nullptr);
    error = GetLastError();
    CloseHandle(device);
  });
  EXPECT_FALSE(result);
  EXPECT_EQ(error, ERROR_NOACCESS);
  const auto notes = lines_with(t.lab.log(), "DeviceIoControl: lpInBuffer");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("is not user-mode memory of app.exe"), std::string::npos);
}

TEST(DeviceIoControl, ARequiredWriteAccessIsRefusedOnAReadOnlyHandleBeforeTheDriverSeesIt) {
  AppLab t;
  BOOL read_only = TRUE, read_write = FALSE;
  DWORD read_only_error = 0;
  t.run([&] {
    DWORD bytes = 0;
    HANDLE reader = open_io_test_device(GENERIC_READ);
    read_only = DeviceIoControl(reader, IOCTL_IOTEST_WRITE_ONLY, nullptr, 0, nullptr, 0, &bytes, nullptr);
    read_only_error = GetLastError();
    HANDLE writer = open_io_test_device(GENERIC_WRITE);
    read_write = DeviceIoControl(writer, IOCTL_IOTEST_WRITE_ONLY, nullptr, 0, nullptr, 0, &bytes, nullptr);
    CloseHandle(reader);
    CloseHandle(writer);
  });
  EXPECT_FALSE(read_only);
  EXPECT_EQ(read_only_error, ERROR_ACCESS_DENIED);
  EXPECT_TRUE(read_write);
  EXPECT_EQ(lines_with(t.lab.log(), "io_test: write-only control").size(), 1u);  // only the writer's
}

TEST(ReadFile, SynchronousReadAndWriteTransferTheirBytes) {
  AppLab t;
  auto* buffer = static_cast<char*>(t.app.alloc(8));
  DWORD read = 0, written = 0, nothing = 5;
  BOOL read_ok = FALSE, write_ok = FALSE, bad_ok = TRUE;
  DWORD bad_error = 0;
  t.run([&] {
    HANDLE device = open_io_test_device(GENERIC_READ | GENERIC_WRITE);
    read_ok = ReadFile(device, buffer, 6, &read, nullptr);
    write_ok = WriteFile(device, buffer, 3, &written, nullptr);
    bad_ok = ReadFile(device, t.app.invalid_address(), 4, &nothing, nullptr);
    bad_error = GetLastError();
    CloseHandle(device);
  });
  EXPECT_TRUE(read_ok);
  EXPECT_EQ(read, 6u);
  EXPECT_EQ(std::memcmp(buffer, "RRRRRR\0\0", 8), 0);
  EXPECT_TRUE(write_ok);
  EXPECT_EQ(written, 3u);
  EXPECT_FALSE(bad_ok);
  EXPECT_EQ(bad_error, ERROR_NOACCESS);
  EXPECT_EQ(nothing, 0u);  // ReadFile zeroes it before it starts
  EXPECT_TRUE(t.lab.findings().empty());
}

TEST(OverlappedIo, APendingRequestCompletesThroughItsEventAndGetOverlappedResult) {
  AppLab t;
  auto* overlapped = t.app.alloc_array<OVERLAPPED>(2);
  BOOL started = TRUE, early = TRUE, released = FALSE, result = FALSE;
  DWORD started_error = 0, early_error = 0, waited = 1, bytes = 0;
  NTSTATUS internal_before = 0;
  t.run([&] {
    HANDLE device = open_io_test_device(GENERIC_READ | GENERIC_WRITE, FILE_FLAG_OVERLAPPED);
    overlapped[0].hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    started = DeviceIoControl(device, IOCTL_IOTEST_PEND, nullptr, 0, nullptr, 0, nullptr, &overlapped[0]);
    started_error = GetLastError();
    internal_before = static_cast<NTSTATUS>(overlapped[0].Internal);
    early = GetOverlappedResult(device, &overlapped[0], &bytes, FALSE);
    early_error = GetLastError();
    DWORD ignored = 0;
    released = DeviceIoControl(device, IOCTL_IOTEST_RELEASE, nullptr, 0, nullptr, 0, &ignored, &overlapped[1]);
    waited = WaitForSingleObject(overlapped[0].hEvent, INFINITE);
    result = GetOverlappedResult(device, &overlapped[0], &bytes, TRUE);
    CloseHandle(overlapped[0].hEvent);
    CloseHandle(device);
  });
  EXPECT_FALSE(started);
  EXPECT_EQ(started_error, ERROR_IO_PENDING);
  EXPECT_EQ(internal_before, STATUS_PENDING);
  EXPECT_FALSE(early);
  EXPECT_EQ(early_error, ERROR_IO_INCOMPLETE);
  EXPECT_TRUE(released);
  EXPECT_EQ(waited, WAIT_OBJECT_0);
  EXPECT_TRUE(result);
  EXPECT_EQ(bytes, 7u);
  EXPECT_TRUE(HasOverlappedIoCompleted(&overlapped[0]));
  EXPECT_TRUE(t.lab.findings().empty());
}

TEST(OverlappedIo, WithoutAnEventTheHandleItselfIsWaitedOn) {
  AppLab t;
  auto* overlapped = t.app.alloc_array<OVERLAPPED>(2);
  DWORD bytes = 0;
  BOOL result = FALSE;
  DWORD timed_out = 0, timed_out_error = 0;
  t.run([&] {
    HANDLE device = open_io_test_device(GENERIC_READ, FILE_FLAG_OVERLAPPED);
    DeviceIoControl(device, IOCTL_IOTEST_PEND, nullptr, 0, nullptr, 0, nullptr, &overlapped[0]);
    timed_out = GetOverlappedResultEx(device, &overlapped[0], &bytes, 5, FALSE);
    timed_out_error = GetLastError();
    DeviceIoControl(device, IOCTL_IOTEST_RELEASE, nullptr, 0, nullptr, 0, nullptr, &overlapped[1]);
    result = GetOverlappedResult(device, &overlapped[0], &bytes, TRUE);
    CloseHandle(device);
  });
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(timed_out_error, WAIT_TIMEOUT);
  EXPECT_TRUE(result);
  EXPECT_EQ(bytes, 7u);
}

struct ApcRecord {
  int calls = 0;
  DWORD error = 1;
  DWORD bytes = 0;
  LPOVERLAPPED overlapped = nullptr;
};
ApcRecord g_apc;

void record_completion(DWORD error, DWORD bytes, LPOVERLAPPED overlapped) {
  ++g_apc.calls;
  g_apc.error = error;
  g_apc.bytes = bytes;
  g_apc.overlapped = overlapped;
}

TEST(ReadFileEx, TheCompletionRoutineRunsInTheNextAlertableWait) {
  AppLab t;
  g_apc = {};
  auto* overlapped = t.app.alloc_array<OVERLAPPED>(1);
  auto* buffer = static_cast<char*>(t.app.alloc(4));
  BOOL started = FALSE;
  int calls_before_wait = -1;
  DWORD not_alertable = 1, alertable = 0;
  t.run([&] {
    HANDLE device = open_io_test_device(GENERIC_READ, FILE_FLAG_OVERLAPPED);
    started = ReadFileEx(device, buffer, 4, overlapped, &record_completion);
    not_alertable = SleepEx(0, FALSE);
    calls_before_wait = g_apc.calls;
    alertable = SleepEx(INFINITE, TRUE);
    CloseHandle(device);
  });
  EXPECT_TRUE(started);
  EXPECT_EQ(not_alertable, 0u);
  EXPECT_EQ(calls_before_wait, 0);
  EXPECT_EQ(alertable, WAIT_IO_COMPLETION);
  EXPECT_EQ(g_apc.calls, 1);
  EXPECT_EQ(g_apc.error, ERROR_SUCCESS);
  EXPECT_EQ(g_apc.bytes, 4u);
  EXPECT_EQ(g_apc.overlapped, overlapped);
  EXPECT_EQ(std::memcmp(buffer, "RRRR", 4), 0);
  EXPECT_TRUE(t.lab.findings().empty());
}

TEST(IoCompletionPort, OverlappedCompletionsAndPostedPacketsArriveWithTheirKeys) {
  AppLab t;
  auto* overlapped = t.app.alloc_array<OVERLAPPED>(1);
  auto* buffer = static_cast<char*>(t.app.alloc(4));
  struct Packet {
    BOOL ok;
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED overlapped;
    DWORD error;
  };
  std::vector<Packet> packets;
  auto dequeue = [&](HANDLE port, DWORD timeout) {
    Packet packet{};
    packet.ok = GetQueuedCompletionStatus(port, &packet.bytes, &packet.key, &packet.overlapped, timeout);
    packet.error = GetLastError();
    packets.push_back(packet);
  };
  t.run([&] {
    HANDLE device = open_io_test_device(GENERIC_READ, FILE_FLAG_OVERLAPPED);
    HANDLE port = CreateIoCompletionPort(device, nullptr, 0x51, 1);
    ReadFile(device, buffer, 3, nullptr, overlapped);
    dequeue(port, INFINITE);
    PostQueuedCompletionStatus(port, 9, 0x77, nullptr);
    dequeue(port, 0);
    dequeue(port, 0);
    CloseHandle(device);
    CloseHandle(port);
  });
  ASSERT_EQ(packets.size(), 3u);
  EXPECT_TRUE(packets[0].ok);
  EXPECT_EQ(packets[0].bytes, 3u);
  EXPECT_EQ(packets[0].key, 0x51u);
  EXPECT_EQ(packets[0].overlapped, overlapped);
  EXPECT_TRUE(packets[1].ok);
  EXPECT_EQ(packets[1].bytes, 9u);
  EXPECT_EQ(packets[1].key, 0x77u);
  EXPECT_EQ(packets[1].overlapped, nullptr);
  EXPECT_FALSE(packets[2].ok);
  EXPECT_EQ(packets[2].error, WAIT_TIMEOUT);
  EXPECT_EQ(packets[2].overlapped, nullptr);
}

TEST(CloseHandle, CleanupComesWithTheLastHandleAndCloseOnlyAfterTheOutstandingIrpCompletes) {
  AppLab t;
  auto* overlapped = t.app.alloc_array<OVERLAPPED>(2);
  std::vector<std::string> after_close;
  t.run([&] {
    HANDLE device = open_io_test_device(GENERIC_READ, FILE_FLAG_OVERLAPPED);
    HANDLE other = open_io_test_device(GENERIC_READ);
    DeviceIoControl(device, IOCTL_IOTEST_PEND, nullptr, 0, nullptr, 0, nullptr, &overlapped[0]);
    CloseHandle(device);
    Sleep(10);
    after_close = t.driver_lines();
    DWORD bytes = 0;
    DeviceIoControl(other, IOCTL_IOTEST_RELEASE, nullptr, 0, nullptr, 0, &bytes, nullptr);
    CloseHandle(other);
  });
  // The kept IRP holds the first file object: its handle's close brought IRP_MJ_CLEANUP only.
  EXPECT_EQ(after_close, (std::vector<std::string>{"io_test: create '(null)'", "io_test: create '(null)'",
                                                   "io_test: pend", "io_test: cleanup"}));
  // Its IRP_MJ_CLOSE follows the IRP's completion (the last reference goes when the I/O manager's
  // completion work for it ends; the deletion runs on a worker thread, as it does on Windows when
  // the reference drops at APC_LEVEL), and the second handle's cleanup and close come in between
  // or after.
  const std::vector<std::string> lines = t.driver_lines();
  ASSERT_EQ(lines.size(), 8u);
  const auto release = std::find(lines.begin(), lines.end(), "io_test: release");
  ASSERT_NE(release, lines.end());
  EXPECT_EQ(std::count(release, lines.end(), "io_test: close"), 2);
  EXPECT_EQ(std::count(lines.begin(), release, "io_test: close"), 0);
  EXPECT_TRUE(t.lab.findings().empty());
}

TEST(DuplicateHandle, TheFileIsCleanedUpWhenItsLastHandleCloses) {
  AppLab t;
  std::vector<std::string> after_first;
  BOOL duplicated = FALSE;
  t.run([&] {
    HANDLE device = open_io_test_device(GENERIC_READ);
    HANDLE copy = nullptr;
    duplicated = DuplicateHandle(GetCurrentProcess(), device, GetCurrentProcess(), &copy, 0, FALSE,
                                 DUPLICATE_SAME_ACCESS);
    CloseHandle(device);
    after_first = t.driver_lines();
    CloseHandle(copy);
  });
  EXPECT_TRUE(duplicated);
  EXPECT_EQ(after_first, (std::vector<std::string>{"io_test: create '(null)'"}));
  EXPECT_EQ(t.driver_lines(), (std::vector<std::string>{"io_test: create '(null)'", "io_test: cleanup", "io_test: close"}));
}

}  // namespace
}  // namespace wdmlab::test
