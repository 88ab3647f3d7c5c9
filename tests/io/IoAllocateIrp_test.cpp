// IoAllocateIrp, IoInitializeIrp, IoReuseIrp and IoFreeIrp: the layout of a new IRP, what reuse
// resets and keeps, and the verifier's stops when an IRP is freed or completed at the wrong time.
#include <gtest/gtest.h>

#include <cstring>

#include "io/io_stack_support.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

PIO_STACK_LOCATION location(PIRP irp, int index) { return reinterpret_cast<PIO_STACK_LOCATION>(irp + 1) + index; }

// The finding is bug check 0xC9 with `subcode` that names `irp` in parameter `index`.
void expect_io_violation(const Finding& finding, std::uint64_t subcode, std::size_t index, PIRP irp) {
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_IOMANAGER_VIOLATION);
  EXPECT_EQ(finding.parameters[0], subcode);
  EXPECT_EQ(finding.parameters[index], reinterpret_cast<std::uint64_t>(irp));
}

// A synchronous IOCTL_IOSTACK_PING for `device`, queued to the calling thread.
PIRP build_ping(PDEVICE_OBJECT device, KEVENT& event, IO_STATUS_BLOCK& status_block) {
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  return IoBuildDeviceIoControlRequest(IOCTL_IOSTACK_PING, device, nullptr, 0, nullptr, 0, TRUE, &event,
                                       &status_block);
}

TEST(IoAllocateIrp, LaysOutStackCountLocationsWithNoneCurrent) {
  runs_clean([] {
    for (CCHAR stack_size : {CCHAR{1}, CCHAR{3}, CCHAR{12}, CCHAR{20}}) {
      PIRP irp = IoAllocateIrp(stack_size, FALSE);
      ASSERT_NE(irp, nullptr);
      EXPECT_EQ(irp->Type, IO_TYPE_IRP);
      EXPECT_EQ(irp->Size, IoSizeOfIrp(stack_size));
      EXPECT_EQ(irp->StackCount, stack_size);
      EXPECT_EQ(irp->CurrentLocation, stack_size + 1);
      // The current location is one past the last; the next is the last one, where a caller
      // sets up the first driver's parameters.
      EXPECT_EQ(IoGetCurrentIrpStackLocation(irp), location(irp, stack_size));
      EXPECT_EQ(IoGetNextIrpStackLocation(irp), location(irp, stack_size - 1));
      EXPECT_NE(irp->AllocationFlags, 0);
      EXPECT_EQ(irp->IoStatus.Status, STATUS_SUCCESS);
      EXPECT_EQ(irp->IoStatus.Information, 0u);
      EXPECT_FALSE(irp->Cancel);
      EXPECT_FALSE(irp->PendingReturned);
      EXPECT_EQ(irp->MdlAddress, nullptr);
      EXPECT_EQ(irp->CancelRoutine, nullptr);
      EXPECT_TRUE(IsListEmpty(&irp->ThreadListEntry));
      EXPECT_EQ(irp->Tail.Overlay.Thread, nullptr);
      EXPECT_EQ(IoGetNextIrpStackLocation(irp)->MajorFunction, IRP_MJ_CREATE);  // zeroed
      IoFreeIrp(irp);
    }
  });
}

TEST(IoAllocateIrp, ChargingQuotaShowsInTheAllocationFlags) {
  UCHAR plain = 0, charged = 0;
  runs_clean([&] {
    PIRP a = IoAllocateIrp(2, FALSE);
    PIRP b = IoAllocateIrp(2, TRUE);
    plain = a->AllocationFlags;
    charged = b->AllocationFlags;
    IoFreeIrp(a);
    IoFreeIrp(b);
  });
  EXPECT_NE(plain, charged);
}

TEST(IoInitializeIrp, LaysOutAnIrpInTheCallersMemory) {
  runs_clean([] {
    const USHORT size = IoSizeOfIrp(4);
    auto* irp = static_cast<PIRP>(ExAllocatePool2(POOL_FLAG_NON_PAGED, size, 'tIoI'));
    ASSERT_NE(irp, nullptr);
    std::memset(irp, 0xAB, size);
    IoInitializeIrp(irp, size, 4);
    EXPECT_EQ(irp->Type, IO_TYPE_IRP);
    EXPECT_EQ(irp->Size, size);
    EXPECT_EQ(irp->StackCount, 4);
    EXPECT_EQ(irp->CurrentLocation, 5);
    EXPECT_EQ(IoGetNextIrpStackLocation(irp), location(irp, 3));
    EXPECT_EQ(irp->IoStatus.Status, STATUS_SUCCESS);  // everything else zeroed
    EXPECT_EQ(irp->UserBuffer, nullptr);
    EXPECT_EQ(location(irp, 0)->CompletionRoutine, nullptr);
    EXPECT_TRUE(IsListEmpty(&irp->ThreadListEntry));
    ExFreePoolWithTag(irp, 'tIoI');
  });
}

TEST(IoInitializeIrp, APacketTooSmallForTheStackIsAVerifierError) {
  PIRP irp = nullptr;
  const Finding finding = bug_check_of([&] {
    irp = static_cast<PIRP>(ExAllocatePool2(POOL_FLAG_NON_PAGED, IoSizeOfIrp(4), 'tIoI'));
    IoInitializeIrp(irp, IoSizeOfIrp(4), 5);
  });
  expect_io_violation(finding, 0x200, 2, irp);
}

// A completion routine that takes the IRP back from the stack: the sender reuses or frees it.
NTSTATUS NTAPI reclaim(PDEVICE_OBJECT, PIRP, PVOID context) {
  KeSetEvent(static_cast<PKEVENT>(context), IO_NO_INCREMENT, FALSE);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

// Sends `irp` (set up for IRP_MJ_INTERNAL_DEVICE_CONTROL) to `device` and waits for it to come back.
NTSTATUS send_and_reclaim(PDEVICE_OBJECT device, PIRP irp) {
  KEVENT done;
  KeInitializeEvent(&done, NotificationEvent, FALSE);
  PIO_STACK_LOCATION next = IoGetNextIrpStackLocation(irp);
  next->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
  next->Parameters.DeviceIoControl.IoControlCode = IOCTL_IOSTACK_PING;
  IoSetCompletionRoutine(irp, reclaim, &done, TRUE, TRUE, TRUE);
  IoCallDriver(device, irp);
  KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, nullptr);
  return irp->IoStatus.Status;
}

TEST(IoReuseIrp, ResetsTheIrpForAnotherRequestAndKeepsItsAllocationFlags) {
  StackLab t;
  NTSTATUS first = STATUS_PENDING, second = STATUS_PENDING;
  UCHAR flags_before = 0;
  struct {
    UCHAR flags;
    NTSTATUS status;
    ULONG_PTR information;
    CHAR current;
    BOOLEAN cancel;
    BOOLEAN pending;
    PIO_STACK_LOCATION current_location;
    USHORT size;
  } after{};
  IoStackLevels[0].Status = STATUS_CANCELLED;
  IoStackLevels[0].Information = 12;
  IoStackLevels[0].SetCancel = TRUE;
  EXPECT_EQ(t.run([&] {
    PDEVICE_OBJECT top = IoStackDevices[2];
    PIRP irp = IoAllocateIrp(top->StackSize, TRUE);
    flags_before = irp->AllocationFlags;
    first = send_and_reclaim(top, irp);
    IoReuseIrp(irp, STATUS_NOT_SUPPORTED);
    after = {irp->AllocationFlags, irp->IoStatus.Status, irp->IoStatus.Information, irp->CurrentLocation,
             irp->Cancel, irp->PendingReturned, IoGetCurrentIrpStackLocation(irp), irp->Size};
    IoStackLevels[0].Status = STATUS_SUCCESS;
    IoStackLevels[0].SetCancel = FALSE;
    second = send_and_reclaim(top, irp);
    IoFreeIrp(irp);
  }), RunStatus::Idle);
  t.expect_clean();
  EXPECT_EQ(first, STATUS_CANCELLED);
  EXPECT_EQ(after.flags, flags_before);
  EXPECT_EQ(after.status, STATUS_NOT_SUPPORTED);
  EXPECT_EQ(after.information, 0u);
  EXPECT_EQ(after.current, 3 + 1);
  EXPECT_FALSE(after.cancel);
  EXPECT_FALSE(after.pending);
  EXPECT_EQ(after.size, IoSizeOfIrp(3));
  EXPECT_EQ(second, STATUS_SUCCESS);
}

TEST(IoFreeIrp, FreeingTwiceIsVerifierError1) {
  PIRP irp = nullptr;
  const Finding finding = bug_check_of([&] {
    irp = IoAllocateIrp(2, FALSE);
    IoFreeIrp(irp);
    IoFreeIrp(irp);
  });
  expect_io_violation(finding, 0x01, 1, irp);
}

// Sends an IRP the bottom of the io_stack keeps, frees it, and returns the finding that stopped the
// lab; `irp` is the IRP.
Finding free_irp_a_lower_driver_holds(LabOptions options, PIRP& irp) {
  StackLab t(std::move(options));
  IoStackLevels[0].Action = IoStackPendKeep;
  return t.stop_of([&] {
    irp = IoAllocateIrp(IoStackDevices[2]->StackSize, FALSE);
    IoGetNextIrpStackLocation(irp)->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
    EXPECT_EQ(IoCallDriver(IoStackDevices[2], irp), STATUS_PENDING);
    IoFreeIrp(irp);
  });
}

TEST(IoFreeIrp, FreeingAnIrpALowerDriverHoldsIsVerifierError20A) {
  PIRP irp = nullptr;
  const Finding finding = free_irp_a_lower_driver_holds({.processors = 2, .seed = 7}, irp);
  expect_io_violation(finding, 0x20A, 2, irp);
}

// Unverified, Windows frees the IRP under the lower driver; the lab stops with the access
// violation the lower driver's next touch of it would cause.
TEST(IoFreeIrp, FreeingAnIrpALowerDriverHoldsWithoutTheVerifierIsAnAccessViolation) {
  PIRP irp = nullptr;
  const Finding finding =
      free_irp_a_lower_driver_holds({.processors = 2, .seed = 7, .verifier = VerifierOptions::off()}, irp);
  EXPECT_EQ(finding.code, KMODE_EXCEPTION_NOT_HANDLED) << finding.summary();
  EXPECT_EQ(finding.parameters[0], static_cast<std::uint32_t>(STATUS_ACCESS_VIOLATION));
  EXPECT_EQ(finding.parameters[3], reinterpret_cast<std::uintptr_t>(irp));
}

TEST(IoFreeIrp, FreeingAnIrpQueuedToItsThreadIsVerifierError2) {
  PIRP irp = nullptr;
  StackLab t;
  const Finding finding = t.stop_of([&] {
    KEVENT event;
    IO_STATUS_BLOCK status_block;
    irp = build_ping(IoStackDevices[2], event, status_block);
    IoFreeIrp(irp);  // the I/O manager frees it when it completes
  });
  expect_io_violation(finding, 0x02, 1, irp);
}

TEST(IoCompleteRequest, CompletingTwiceIsBugCheck44) {
  StackLab t;
  IoStackLevels[0].Action = IoStackPendKeep;
  PIRP irp = nullptr;
  const Finding finding = t.stop_of([&] {
    KEVENT event;
    IO_STATUS_BLOCK status_block;
    irp = build_ping(IoStackDevices[0], event, status_block);
    EXPECT_EQ(IoCallDriver(IoStackDevices[0], irp), STATUS_PENDING);
    ASSERT_EQ(IoStackKept, irp);
    KIRQL old_irql;
    KeRaiseIrql(APC_LEVEL, &old_irql);  // the final stage (an APC to this thread) waits
    irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    KeLowerIrql(old_irql);
  });
  EXPECT_EQ(finding.code, MULTIPLE_IRP_COMPLETE_REQUESTS);
  EXPECT_EQ(finding.parameters[0], reinterpret_cast<std::uint64_t>(irp));
}

TEST(IoCallDriver, AnIrpWithNoStackLocationLeftIsBugCheck35) {
  StackLab t;
  PIRP irp = nullptr;
  const Finding finding = t.stop_of([&] {
    irp = IoAllocateIrp(0, FALSE);
    IoCallDriver(IoStackDevices[0], irp);
  });
  EXPECT_EQ(finding.code, NO_MORE_IRP_STACK_LOCATIONS);
  EXPECT_EQ(finding.parameters[0], reinterpret_cast<std::uint64_t>(irp));
  EXPECT_TRUE(t.lines().empty());  // no dispatch routine ran
}

}  // namespace
}  // namespace wdmlab::test
