// IoBuildDeviceIoControlRequest, IoBuildSynchronousFsdRequest and IoBuildAsynchronousFsdRequest:
// IRPs a driver builds for a lower driver, with the buffers set up the way the I/O manager sets up
// a user's request (but trusting the kernel-mode caller's buffers).
//
// The synchronous builders' IRPs belong to the calling thread (queued on its IrpList): when they
// complete, the I/O manager's final stage runs in that thread, writes the caller's status block,
// signals its event and frees the IRP, so the caller must not free it. The asynchronous builder's
// IRP is not queued to the thread; its caller must set a completion routine that frees it
// (IoFreeIrp, after freeing the MDL or buffer it may carry) and returns
// STATUS_MORE_PROCESSING_REQUIRED.
#include <algorithm>
#include <cstring>

#include "ex/executive.hpp"
#include "io/driver.hpp"
#include "ke/bugcheck.hpp"
#include "mm/mdl.hpp"
#include "ps/process.hpp"
#include "sched/scheduler.hpp"

using namespace wdmlab::io;

namespace {

PIRP new_kernel_irp(PDEVICE_OBJECT device, UCHAR major, IrpOrigin origin) {
  PIRP irp = IoManager::require().allocate_irp(device->StackSize, false, wdmlab::sched::calling_driver());
  if (irp == nullptr) return nullptr;
  IoManager::require().irps().find(irp)->origin = origin;
  irp->Tail.Overlay.Thread = wdmlab::ps::ProcessManager::require().current_thread();
  irp->RequestorMode = KernelMode;
  IoGetNextIrpStackLocation(irp)->MajorFunction = major;
  return irp;
}

PVOID attach_system_buffer(PIRP irp, ULONG length) {
  PVOID buffer = wdmlab::ex::Executive::require().pool().allocate(wdmlab::ex::PoolRequest{
      .type = NonPagedPoolNx, .bytes = length, .tag = 'fBoI', .zero = false, .driver = nullptr});
  if (buffer == nullptr) return nullptr;
  irp->AssociatedIrp.SystemBuffer = buffer;
  irp->Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
  IoManager::require().irps().find(irp)->system_buffer_length = length;
  return buffer;
}

bool attach_locked_mdl(PIRP irp, PVOID buffer, ULONG length, LOCK_OPERATION operation) {
  PMDL mdl = wdmlab::mm::allocate_mdl(buffer, length, nullptr);
  if (mdl == nullptr) return false;
  if (!NT_SUCCESS(wdmlab::mm::probe_and_lock(mdl, KernelMode, operation))) {
    wdmlab::mm::free_mdl(mdl);
    return false;
  }
  irp->MdlAddress = mdl;
  return true;
}

// Frees an IRP whose buffers could not be set up.
PIRP give_up(PIRP irp) {
  if (irp->AssociatedIrp.SystemBuffer != nullptr && (irp->Flags & IRP_DEALLOCATE_BUFFER) != 0) {
    wdmlab::ex::Executive::require().pool().free(irp->AssociatedIrp.SystemBuffer);
  }
  IoManager::require().free_irp(irp, nullptr);
  return nullptr;
}

void queue_to_thread(PIRP irp) {
  _ETHREAD* thread = irp->Tail.Overlay.Thread;
  if (thread->IrpList.Flink == nullptr) InitializeListHead(&thread->IrpList);
  InsertHeadList(&thread->IrpList, &irp->ThreadListEntry);
}

PIRP build_fsd_request(IrpOrigin origin, ULONG major, PDEVICE_OBJECT device, PVOID buffer, ULONG length,
                       PLARGE_INTEGER offset, PIO_STATUS_BLOCK status_block) {
  PIRP irp = new_kernel_irp(device, static_cast<UCHAR>(major), origin);
  if (irp == nullptr) return nullptr;
  irp->UserIosb = status_block;
  if (major != IRP_MJ_READ && major != IRP_MJ_WRITE) return irp;
  PIO_STACK_LOCATION location = IoGetNextIrpStackLocation(irp);
  location->Parameters.Read.Length = length;
  if (offset != nullptr) location->Parameters.Read.ByteOffset = *offset;
  irp->UserBuffer = buffer;
  if (length == 0) return irp;
  if ((device->Flags & DO_BUFFERED_IO) != 0) {
    PVOID system_buffer = attach_system_buffer(irp, length);
    if (system_buffer == nullptr) return give_up(irp);
    if (major == IRP_MJ_WRITE) {
      std::memcpy(system_buffer, buffer, length);
    } else {
      irp->Flags |= IRP_INPUT_OPERATION;
    }
  } else if ((device->Flags & DO_DIRECT_IO) != 0) {
    if (!attach_locked_mdl(irp, buffer, length, major == IRP_MJ_READ ? IoWriteAccess : IoReadAccess)) return give_up(irp);
  }
  return irp;
}

}  // namespace

extern "C" {

PIRP NTAPI IoBuildDeviceIoControlRequest(ULONG IoControlCode, PDEVICE_OBJECT DeviceObject, PVOID InputBuffer,
                                         ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength,
                                         BOOLEAN InternalDeviceIoControl, PKEVENT Event,
                                         PIO_STATUS_BLOCK IoStatusBlock) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(APC_LEVEL, "IoBuildDeviceIoControlRequest", __builtin_return_address(0),
                                   DeviceObject, "IrqlIoPassive1");
  PIRP irp = new_kernel_irp(DeviceObject,
                            InternalDeviceIoControl ? IRP_MJ_INTERNAL_DEVICE_CONTROL : IRP_MJ_DEVICE_CONTROL,
                            IrpOrigin::BuildDeviceIoControl);
  if (irp == nullptr) return nullptr;
  irp->UserIosb = IoStatusBlock;
  irp->UserEvent = Event;
  PIO_STACK_LOCATION location = IoGetNextIrpStackLocation(irp);
  location->Parameters.DeviceIoControl.OutputBufferLength = OutputBufferLength;
  location->Parameters.DeviceIoControl.InputBufferLength = InputBufferLength;
  location->Parameters.DeviceIoControl.IoControlCode = IoControlCode;
  switch (METHOD_FROM_CTL_CODE(IoControlCode)) {
    case METHOD_BUFFERED: {
      const ULONG length = std::max(InputBufferLength, OutputBufferLength);
      if (length != 0) {
        PVOID system_buffer = attach_system_buffer(irp, length);
        if (system_buffer == nullptr) return give_up(irp);
        if (InputBufferLength != 0) std::memcpy(system_buffer, InputBuffer, InputBufferLength);
        if (OutputBufferLength != 0) irp->Flags |= IRP_INPUT_OPERATION;
      }
      irp->UserBuffer = OutputBuffer;
      break;
    }
    case METHOD_IN_DIRECT:
    case METHOD_OUT_DIRECT:
      if (InputBufferLength != 0) {
        PVOID system_buffer = attach_system_buffer(irp, InputBufferLength);
        if (system_buffer == nullptr) return give_up(irp);
        std::memcpy(system_buffer, InputBuffer, InputBufferLength);
      }
      if (OutputBufferLength != 0 &&
          !attach_locked_mdl(irp, OutputBuffer, OutputBufferLength,
                             METHOD_FROM_CTL_CODE(IoControlCode) == METHOD_IN_DIRECT ? IoReadAccess : IoWriteAccess)) {
        return give_up(irp);
      }
      break;
    default:
      location->Parameters.DeviceIoControl.Type3InputBuffer = InputBuffer;
      irp->UserBuffer = OutputBuffer;
      break;
  }
  queue_to_thread(irp);
  return irp;
}

PIRP NTAPI IoBuildSynchronousFsdRequest(ULONG MajorFunction, PDEVICE_OBJECT DeviceObject, PVOID Buffer, ULONG Length,
                                        PLARGE_INTEGER StartingOffset, PKEVENT Event, PIO_STATUS_BLOCK IoStatusBlock) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(APC_LEVEL, "IoBuildSynchronousFsdRequest", __builtin_return_address(0),
                                   DeviceObject);
  PIRP irp = build_fsd_request(IrpOrigin::BuildSynchronousFsd, MajorFunction, DeviceObject, Buffer, Length,
                               StartingOffset, IoStatusBlock);
  if (irp == nullptr) return nullptr;
  irp->UserEvent = Event;
  queue_to_thread(irp);
  return irp;
}

PIRP NTAPI IoBuildAsynchronousFsdRequest(ULONG MajorFunction, PDEVICE_OBJECT DeviceObject, PVOID Buffer, ULONG Length,
                                         PLARGE_INTEGER StartingOffset, PIO_STATUS_BLOCK IoStatusBlock) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(APC_LEVEL, "IoBuildAsynchronousFsdRequest", __builtin_return_address(0),
                                   DeviceObject);
  return build_fsd_request(IrpOrigin::BuildAsynchronousFsd, MajorFunction, DeviceObject, Buffer, Length,
                           StartingOffset, IoStatusBlock);
}

}  // extern "C"
