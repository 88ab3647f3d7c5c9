#include "io/request.hpp"

#include <fmt/format.h>

#include "base/check.hpp"
#include "io/completion.hpp"
#include "io/device.hpp"
#include "io/driver.hpp"
#include "io/violation.hpp"
#include "ps/process.hpp"

namespace wdmlab::io {

namespace {

// The driver returned something other than STATUS_PENDING without completing the IRP (0xC9 / 0x226;
// without I/O verification the request stays with the driver and the service returns the status).
void not_completed(PDEVICE_OBJECT target, PIRP irp, NTSTATUS status) {
  const UCHAR major = reinterpret_cast<PIO_STACK_LOCATION>(irp + 1)[irp->StackCount - 1].MajorFunction;
  const PDRIVER_DISPATCH routine =
      major <= IRP_MJ_MAXIMUM_FUNCTION ? target->DriverObject->MajorFunction[major] : nullptr;
  (void)io_violation(0x226, address_of(reinterpret_cast<const void*>(routine)), address_of(irp),
                     static_cast<std::uint32_t>(status),
                     fmt::format("The dispatch routine for major function 0x{:02x} of device object {} returned "
                                 "0x{:08X} without completing IRP {}, and not STATUS_PENDING although the IRP is still "
                                 "in a driver's hands: a dispatch routine either completes the IRP, passes it down "
                                 "and returns what IoCallDriver returned, or marks it pending and returns "
                                 "STATUS_PENDING.",
                                 major, static_cast<const void*>(target), static_cast<std::uint32_t>(status),
                                 static_cast<const void*>(irp)),
                     driver_of(target));
}

}  // namespace

PIRP new_request(PDEVICE_OBJECT target, PFILE_OBJECT file, KPROCESSOR_MODE mode, UCHAR major, ULONG flags) {
  PIRP irp = IoManager::require().allocate_irp(target->StackSize, false, nullptr);
  if (irp == nullptr) return nullptr;
  _ETHREAD* thread = ps::ProcessManager::require().current_thread();
  WDMLAB_CHECK(thread != nullptr, "an I/O request needs a thread to issue it");
  irp->Tail.Overlay.Thread = thread;
  irp->Tail.Overlay.OriginalFileObject = file;
  irp->RequestorMode = mode;
  irp->Flags = flags;
  PIO_STACK_LOCATION location = IoGetNextIrpStackLocation(irp);
  location->MajorFunction = major;
  location->FileObject = file;
  if (thread->IrpList.Flink == nullptr) InitializeListHead(&thread->IrpList);
  InsertHeadList(&thread->IrpList, &irp->ThreadListEntry);
  return irp;
}

NTSTATUS send_request(PDEVICE_OBJECT target, PIRP irp) {
  IrpRecord& record = *IoManager::require().irps().find(irp);
  const std::uint64_t serial = record.serial;
  const NTSTATUS status = call_driver(target, irp, nullptr);
  if (status == STATUS_PENDING || record.serial != serial) return status;
  switch (record.state) {
    case IrpState::Finishing:
      if ((irp->Flags & IRP_DEFER_IO_COMPLETION) != 0 && !irp->PendingReturned) run_deferred_completion(irp);
      break;
    case IrpState::Free:
      break;
    default:
      not_completed(target, irp, status);
  }
  return status;
}

NTSTATUS send_close_operation(PFILE_OBJECT file, UCHAR major) {
  PDEVICE_OBJECT target = top_of_stack(file->DeviceObject);
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  IO_STATUS_BLOCK status_block{};
  PIRP irp = new_request(target, file, KernelMode, major, IRP_CLOSE_OPERATION | IRP_SYNCHRONOUS_API);
  WDMLAB_CHECK(irp != nullptr, "no IRP for a close operation");
  irp->UserEvent = &event;
  irp->UserIosb = &status_block;
  IrpRecord& record = *IoManager::require().irps().find(irp);
  const NTSTATUS status = call_driver(target, irp, nullptr);
  if (status == STATUS_PENDING) {
    KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr);
  } else if (record.state != IrpState::Finishing) {
    not_completed(target, irp, status);
    return status;  // the IRP is still the driver's: it is not freed here
  }
  RemoveEntryList(&irp->ThreadListEntry);
  InitializeListHead(&irp->ThreadListEntry);
  IoManager::require().free_irp(irp, nullptr);
  return status_block.Status;
}

}  // namespace wdmlab::io
