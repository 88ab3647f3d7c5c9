// The file services a driver calls (ZwCreateFile, ZwReadFile, ZwWriteFile, ZwDeviceIoControlFile,
// ZwClose) against a driver's device: the create, I/O, cleanup and close requests it receives.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "io_test_support.hpp"

namespace wdmlab::test {
namespace {

TEST(ZwCreateFile, OpensADeviceThroughItsSymbolicLinkAndCloseSendsCleanupThenClose) {
  Lab lab({.processors = 2, .seed = 3});
  ASSERT_TRUE(lab.load_driver(io_test_DriverEntry, "io_test").loaded());
  NTSTATUS open_status = STATUS_PENDING;
  NTSTATUS close_status = STATUS_PENDING;
  lab.spawn("client", [&] {
    HANDLE handle = nullptr;
    open_status = open_io_test(&handle, GENERIC_READ, false, u"\\??\\IoTest\\some\\name");
    if (NT_SUCCESS(open_status)) close_status = ZwClose(handle);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty()) << lab.findings().front().to_text();
  EXPECT_EQ(open_status, STATUS_SUCCESS);
  EXPECT_EQ(close_status, STATUS_SUCCESS);
  EXPECT_EQ(lines_with(lab.log(), "io_test:"),
            (std::vector<std::string>{"io_test: create '\\some\\name'", "io_test: cleanup", "io_test: close"}));
}

TEST(ZwCreateFile, FailsForANameThatIsNotThere) {
  Lab lab({.processors = 1, .seed = 1});
  ASSERT_TRUE(lab.load_driver(io_test_DriverEntry, "io_test").loaded());
  NTSTATUS missing = STATUS_PENDING;
  NTSTATUS not_a_device = STATUS_PENDING;
  lab.spawn("client", [&] {
    HANDLE handle = nullptr;
    missing = open_io_test(&handle, GENERIC_READ, false, u"\\??\\NoSuchDevice");
    not_a_device = open_io_test(&handle, GENERIC_READ, false, u"\\Device");
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(missing, STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(not_a_device, STATUS_OBJECT_TYPE_MISMATCH);
  EXPECT_TRUE(lines_with(lab.log(), "io_test:").empty());
}

TEST(ZwDeviceIoControlFile, BufferedEchoCopiesInformationBytesBack) {
  Lab lab({.processors = 2, .seed = 5});
  ASSERT_TRUE(lab.load_driver(io_test_DriverEntry, "io_test").loaded());
  NTSTATUS echo = STATUS_PENDING;
  NTSTATUS too_small = STATUS_PENDING;
  IO_STATUS_BLOCK echo_block{};
  char output[8] = "xxxxxxx";
  lab.spawn("client", [&] {
    HANDLE handle = nullptr;
    if (!NT_SUCCESS(open_io_test(&handle, GENERIC_READ | GENERIC_WRITE))) return;
    char input[5] = "ping";
    echo = ZwDeviceIoControlFile(handle, nullptr, nullptr, nullptr, &echo_block, IOCTL_IOTEST_ECHO, input, 5, output,
                                 sizeof(output));
    IO_STATUS_BLOCK block{};
    char small[2] = {};
    too_small = ZwDeviceIoControlFile(handle, nullptr, nullptr, nullptr, &block, IOCTL_IOTEST_ECHO, input, 5, small,
                                      sizeof(small));
    ZwClose(handle);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_EQ(echo, STATUS_SUCCESS);
  EXPECT_EQ(echo_block.Status, STATUS_SUCCESS);
  EXPECT_EQ(echo_block.Information, 5u);
  EXPECT_EQ(std::memcmp(output, "ping\0xx", 8), 0);
  EXPECT_EQ(too_small, STATUS_BUFFER_TOO_SMALL);
}

TEST(ZwReadFile, BufferedReadFillsTheCallersBuffer) {
  Lab lab({.processors = 1, .seed = 2});
  ASSERT_TRUE(lab.load_driver(io_test_DriverEntry, "io_test").loaded());
  NTSTATUS read = STATUS_PENDING;
  NTSTATUS write = STATUS_PENDING;
  IO_STATUS_BLOCK read_block{};
  IO_STATUS_BLOCK write_block{};
  char buffer[16] = {};
  lab.spawn("client", [&] {
    HANDLE handle = nullptr;
    if (!NT_SUCCESS(open_io_test(&handle, GENERIC_READ | GENERIC_WRITE))) return;
    read = ZwReadFile(handle, nullptr, nullptr, nullptr, &read_block, buffer, 10, nullptr, nullptr);
    write = ZwWriteFile(handle, nullptr, nullptr, nullptr, &write_block, buffer, 3, nullptr, nullptr);
    ZwClose(handle);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_EQ(read, STATUS_SUCCESS);
  EXPECT_EQ(read_block.Information, 10u);
  EXPECT_EQ(std::string(buffer, 11), std::string(10, 'R') + '\0');
  EXPECT_EQ(write, STATUS_SUCCESS);
  EXPECT_EQ(write_block.Information, 3u);
}

TEST(ZwClose, ClosePacketWaitsForTheOutstandingIrp) {
  Lab lab({.processors = 2, .seed = 9});
  ASSERT_TRUE(lab.load_driver(io_test_DriverEntry, "io_test").loaded());
  NTSTATUS pend = STATUS_SUCCESS;
  IO_STATUS_BLOCK pend_block{};
  KEVENT* done = new KEVENT;
  lab.spawn("pender", [&] {
    KeInitializeEvent(done, NotificationEvent, FALSE);
    HANDLE handle = nullptr;
    if (!NT_SUCCESS(open_io_test(&handle, GENERIC_READ, true))) return;
    pend = ZwDeviceIoControlFile(handle, nullptr, nullptr, nullptr, &pend_block, IOCTL_IOTEST_PEND, nullptr, 0,
                                 nullptr, 0);
    ZwClose(handle);  // cleanup now; the pending IRP keeps the file object, so no close yet
    DbgPrint("io_test: handle closed\n");
    KeWaitForSingleObject(done, Executive, KernelMode, FALSE, nullptr);
  });
  lab.spawn("releaser", [&] {
    LARGE_INTEGER delay{};
    delay.QuadPart = -10 * 1000 * 10;  // 10 ms: after the pender closed its handle
    KeDelayExecutionThread(KernelMode, FALSE, &delay);
    HANDLE handle = nullptr;
    if (!NT_SUCCESS(open_io_test(&handle, GENERIC_READ))) return;
    IO_STATUS_BLOCK block{};
    ZwDeviceIoControlFile(handle, nullptr, nullptr, nullptr, &block, IOCTL_IOTEST_RELEASE, nullptr, 0, nullptr, 0);
    ZwClose(handle);
    KeSetEvent(done, 0, FALSE);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty()) << lab.findings().front().to_text();
  EXPECT_EQ(pend, STATUS_PENDING);
  EXPECT_EQ(pend_block.Status, STATUS_SUCCESS);
  EXPECT_EQ(pend_block.Information, 7u);
  // The pender's file object: created, pended on, cleaned up when its handle closed - and closed
  // only after the releaser completed the pending IRP. The releaser's own open, cleanup and close
  // may interleave with that last close.
  const std::vector<std::string> lines = lines_with(lab.log(), "io_test:");
  auto at = [&](const std::string& line, std::size_t from = 0) {
    for (std::size_t i = from; i < lines.size(); ++i) {
      if (lines[i] == line) return i;
    }
    return lines.size();
  };
  ASSERT_EQ(lines.size(), 9u);
  EXPECT_EQ(lines[0], "io_test: create '(null)'");
  EXPECT_EQ(lines[1], "io_test: pend");
  EXPECT_EQ(lines[2], "io_test: cleanup");
  EXPECT_EQ(lines[3], "io_test: handle closed");
  const std::size_t release = at("io_test: release");
  ASSERT_LT(release, lines.size());
  EXPECT_EQ(at("io_test: close"), at("io_test: close", release)) << "a close came before the IRP completed";
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "io_test: close"), 2);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "io_test: cleanup"), 2);
  delete done;
}

}  // namespace
}  // namespace wdmlab::test
