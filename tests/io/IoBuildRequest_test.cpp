// IoBuildDeviceIoControlRequest, IoBuildSynchronousFsdRequest and IoBuildAsynchronousFsdRequest
// against the io_test driver's buffered device: buffers set up and copied back, the caller's event
// and status block, and who frees the IRP.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "io/driver.hpp"
#include "io/io_test_support.hpp"
#include "ob/object_names.hpp"

namespace wdmlab::test {
namespace {

std::uint64_t live_irps() { return io::IoManager::require().irps().zone().live(); }

struct IoTestTarget {
  PFILE_OBJECT file = nullptr;
  PDEVICE_OBJECT device = nullptr;
};

// \Device\IoTest as a driver reaches a device it sends requests to.
IoTestTarget open_target() {
  IoTestTarget target;
  UNICODE_STRING name = counted(u"\\Device\\IoTest");
  EXPECT_EQ(IoGetDeviceObjectPointer(&name, FILE_READ_DATA | FILE_WRITE_DATA, &target.file, &target.device),
            STATUS_SUCCESS);
  return target;
}

class IoBuildRequest : public ::testing::Test {
 protected:
  Lab lab{{.processors = 2, .seed = 13}};
  void SetUp() override { ASSERT_TRUE(lab.load_driver(io_test_DriverEntry, "io_test").loaded()); }
  void run(std::function<void()> body) {
    lab.spawn("caller", std::move(body));
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
    EXPECT_TRUE(lab.findings().empty()) << lab.findings().front().to_text();
  }
};

TEST_F(IoBuildRequest, DeviceIoControlBufferedCopiesTheOutputBackSetsTheEventAndFreesTheIrp) {
  NTSTATUS status = STATUS_PENDING;
  IO_STATUS_BLOCK status_block{};
  LONG signalled = 0;
  char output[8] = "xxxxxxx";
  std::uint64_t irps_before = 0, irps_after = 0;
  run([&] {
    IoTestTarget target = open_target();
    KEVENT event;
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    char input[5] = "ping";
    irps_before = live_irps();
    PIRP irp = IoBuildDeviceIoControlRequest(IOCTL_IOTEST_ECHO, target.device, input, 5, output, sizeof(output),
                                             FALSE, &event, &status_block);
    ASSERT_NE(irp, nullptr);
    PIO_STACK_LOCATION next = IoGetNextIrpStackLocation(irp);
    EXPECT_EQ(next->MajorFunction, IRP_MJ_DEVICE_CONTROL);
    EXPECT_EQ(next->Parameters.DeviceIoControl.IoControlCode, IOCTL_IOTEST_ECHO);
    EXPECT_EQ(next->Parameters.DeviceIoControl.InputBufferLength, 5u);
    EXPECT_EQ(next->Parameters.DeviceIoControl.OutputBufferLength, sizeof(output));
    EXPECT_EQ(std::memcmp(irp->AssociatedIrp.SystemBuffer, "ping", 5), 0);  // the input, copied in
    next->FileObject = target.file;
    status = IoCallDriver(target.device, irp);
    if (status == STATUS_PENDING) KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr);
    signalled = KeReadStateEvent(&event);
    irps_after = live_irps();
    ObDereferenceObject(target.file);
  });
  EXPECT_EQ(status, STATUS_SUCCESS);
  EXPECT_EQ(status_block.Status, STATUS_SUCCESS);
  EXPECT_EQ(status_block.Information, 5u);
  EXPECT_EQ(std::memcmp(output, "ping\0xx", 8), 0);  // Information bytes copied back, no more
  EXPECT_EQ(signalled, 1);
  EXPECT_EQ(irps_after, irps_before);
}

TEST_F(IoBuildRequest, DeviceIoControlPendingSetsTheEventWhenTheIrpCompletes) {
  NTSTATUS status = STATUS_SUCCESS;
  IO_STATUS_BLOCK status_block{};
  LONG signalled_while_pending = 1;
  run([&] {
    IoTestTarget target = open_target();
    KEVENT event;
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    PIRP irp = IoBuildDeviceIoControlRequest(IOCTL_IOTEST_PEND, target.device, nullptr, 0, nullptr, 0, FALSE, &event,
                                             &status_block);
    IoGetNextIrpStackLocation(irp)->FileObject = target.file;
    status = IoCallDriver(target.device, irp);
    signalled_while_pending = KeReadStateEvent(&event);
    // Another request completes the kept one.
    KEVENT release_event;
    IO_STATUS_BLOCK release_block;
    KeInitializeEvent(&release_event, NotificationEvent, FALSE);
    PIRP release = IoBuildDeviceIoControlRequest(IOCTL_IOTEST_RELEASE, target.device, nullptr, 0, nullptr, 0, FALSE,
                                                 &release_event, &release_block);
    IoGetNextIrpStackLocation(release)->FileObject = target.file;
    EXPECT_EQ(IoCallDriver(target.device, release), STATUS_SUCCESS);
    KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr);
    ObDereferenceObject(target.file);
  });
  EXPECT_EQ(status, STATUS_PENDING);
  EXPECT_EQ(signalled_while_pending, 0);
  EXPECT_EQ(status_block.Status, STATUS_SUCCESS);
  EXPECT_EQ(status_block.Information, 7u);
}

TEST_F(IoBuildRequest, DeviceIoControlFailedAtOnceReturnsTheStatusAndLeavesEventAndStatusBlockAlone) {
  NTSTATUS status = STATUS_PENDING;
  IO_STATUS_BLOCK status_block{};
  status_block.Status = STATUS_ALERTED;
  status_block.Information = 99;
  LONG signalled = 1;
  std::uint64_t irps_before = 0, irps_after = 0;
  run([&] {
    IoTestTarget target = open_target();
    KEVENT event;
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    irps_before = live_irps();
    PIRP irp = IoBuildDeviceIoControlRequest(CTL_CODE(FILE_DEVICE_UNKNOWN, 0x9FF, METHOD_BUFFERED, FILE_ANY_ACCESS),
                                             target.device, nullptr, 0, nullptr, 0, FALSE, &event, &status_block);
    status = IoCallDriver(target.device, irp);
    signalled = KeReadStateEvent(&event);
    irps_after = live_irps();
    ObDereferenceObject(target.file);
  });
  EXPECT_EQ(status, STATUS_INVALID_DEVICE_REQUEST);
  EXPECT_EQ(signalled, 0);
  EXPECT_EQ(status_block.Status, STATUS_ALERTED);
  EXPECT_EQ(status_block.Information, 99u);
  EXPECT_EQ(irps_after, irps_before);  // freed all the same
}

TEST_F(IoBuildRequest, SynchronousFsdReadFillsTheCallersBufferThroughTheSystemBuffer) {
  NTSTATUS status = STATUS_PENDING;
  IO_STATUS_BLOCK status_block{};
  char buffer[12] = {};
  run([&] {
    IoTestTarget target = open_target();
    KEVENT event;
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    LARGE_INTEGER offset{};
    offset.QuadPart = 512;
    PIRP irp = IoBuildSynchronousFsdRequest(IRP_MJ_READ, target.device, buffer, 10, &offset, &event, &status_block);
    ASSERT_NE(irp, nullptr);
    PIO_STACK_LOCATION next = IoGetNextIrpStackLocation(irp);
    EXPECT_EQ(next->MajorFunction, IRP_MJ_READ);
    EXPECT_EQ(next->Parameters.Read.Length, 10u);
    EXPECT_EQ(next->Parameters.Read.ByteOffset.QuadPart, 512);
    EXPECT_NE(irp->AssociatedIrp.SystemBuffer, nullptr);  // DO_BUFFERED_IO
    EXPECT_NE(irp->AssociatedIrp.SystemBuffer, static_cast<PVOID>(buffer));
    next->FileObject = target.file;
    status = IoCallDriver(target.device, irp);
    if (status == STATUS_PENDING) KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr);
    ObDereferenceObject(target.file);
  });
  EXPECT_EQ(status, STATUS_SUCCESS);
  EXPECT_EQ(status_block.Information, 10u);
  EXPECT_EQ(std::string(buffer, 12), std::string(10, 'R') + std::string(2, '\0'));
}

struct AsyncOutcome {
  NTSTATUS status = STATUS_PENDING;
  ULONG_PTR information = 0;
  std::string seen;  // the system buffer as the completion routine saw it
  KEVENT done;
};

// The asynchronous IRP's owner: looks at what came back, frees the system buffer and the IRP, and
// stops the completion walk.
NTSTATUS NTAPI free_async_irp(PDEVICE_OBJECT, PIRP irp, PVOID context) {
  auto* outcome = static_cast<AsyncOutcome*>(context);
  outcome->status = irp->IoStatus.Status;
  outcome->information = irp->IoStatus.Information;
  if ((irp->Flags & IRP_DEALLOCATE_BUFFER) != 0 && irp->AssociatedIrp.SystemBuffer != nullptr) {
    outcome->seen.assign(static_cast<const char*>(irp->AssociatedIrp.SystemBuffer), irp->IoStatus.Information);
    ExFreePool(irp->AssociatedIrp.SystemBuffer);
  }
  IoFreeIrp(irp);
  KeSetEvent(&outcome->done, IO_NO_INCREMENT, FALSE);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

TEST_F(IoBuildRequest, AsynchronousFsdIrpIsFreedByItsOwnersCompletionRoutine) {
  AsyncOutcome read, write;
  IO_STATUS_BLOCK unused{};
  char read_buffer[6] = {};
  char write_buffer[4] = "abc";
  std::uint64_t irps_before = 0, irps_after = 0;
  bool queued_to_thread = true;
  run([&] {
    IoTestTarget target = open_target();
    irps_before = live_irps();
    for (auto [major, buffer, length, outcome] :
         {std::tuple{IRP_MJ_READ, static_cast<PVOID>(read_buffer), 6u, &read},
          std::tuple{IRP_MJ_WRITE, static_cast<PVOID>(write_buffer), 3u, &write}}) {
      KeInitializeEvent(&outcome->done, NotificationEvent, FALSE);
      PIRP irp = IoBuildAsynchronousFsdRequest(major, target.device, buffer, length, nullptr, &unused);
      ASSERT_NE(irp, nullptr);
      queued_to_thread = queued_to_thread && !IsListEmpty(&irp->ThreadListEntry);
      IoGetNextIrpStackLocation(irp)->FileObject = target.file;
      IoSetCompletionRoutine(irp, free_async_irp, outcome, TRUE, TRUE, TRUE);
      IoCallDriver(target.device, irp);
      KeWaitForSingleObject(&outcome->done, Executive, KernelMode, FALSE, nullptr);
    }
    irps_after = live_irps();
    ObDereferenceObject(target.file);
  });
  EXPECT_FALSE(queued_to_thread);  // not the thread's: the I/O manager will not free it
  EXPECT_EQ(irps_after, irps_before);
  EXPECT_EQ(read.status, STATUS_SUCCESS);
  EXPECT_EQ(read.information, 6u);
  EXPECT_EQ(read.seen, "RRRRRR");
  // The walk stopped in the owner's routine, so nothing copied the data to the caller's buffer.
  EXPECT_EQ(std::string(read_buffer, 6), std::string(6, '\0'));
  EXPECT_EQ(write.status, STATUS_SUCCESS);
  EXPECT_EQ(write.information, 3u);
  EXPECT_EQ(write.seen, "abc");  // the data was copied into the system buffer for the write
}

}  // namespace
}  // namespace wdmlab::test
