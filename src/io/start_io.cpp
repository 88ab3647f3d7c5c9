// StartIo: IoStartPacket, IoStartNextPacket(ByKey) and IoSetStartIoAttributes.
//
// A device's requests go through its DeviceQueue: IoStartPacket hands the IRP to the driver's
// StartIo routine at once if the device is idle (making it CurrentIrp), else queues it (by key if
// one is given). IoStartNextPacket, called when the current request is done, starts the next
// queued IRP or marks the device idle. With a cancel routine the IRP is cancelable while it waits
// in the queue. StartIo runs at DISPATCH_LEVEL. With deferred StartIo (IoSetStartIoAttributes), an
// IoStartNextPacket made from inside StartIo is carried out after StartIo returns instead of
// recursing.
#include <fmt/format.h>

#include "io/completion.hpp"
#include "io/device.hpp"
#include "io/driver.hpp"
#include "io/trace_events.hpp"
#include "io/violation.hpp"
#include "ke/bugcheck.hpp"
#include "sched/scheduler.hpp"
#include "verifier/verifier.hpp"

using namespace wdmlab::io;

namespace {

// DDI rule StartIoRecursion: IoStartNextPacket(ByKey) from inside StartIo without deferred StartIo
// recurses into StartIo.
void check_start_io_recursion(PDEVICE_OBJECT device, const void* caller) {
  const DeviceNode& node = node_of(device);
  if (node.start_io_count == 0 || (node.start_io_flags & kDoeSioDeferred) != 0) return;
  wdmlab::verifier::rule_violation(
      "StartIoRecursion", address_of(device), address_of(caller), static_cast<std::uint64_t>(node.start_io_count),
      fmt::format("IoStartNextPacket was called for device object {} from inside its StartIo routine without "
                  "deferred StartIo: StartIo runs again, nested, for the next request. Call "
                  "IoSetStartIoAttributes(DeviceObject, TRUE, ...) first.",
                  static_cast<const void*>(device)));
}

void run_start_io(PDEVICE_OBJECT device, PIRP irp);

// Starts the next request, or marks the device idle (the caller runs at DISPATCH_LEVEL).
void start_next(PDEVICE_OBJECT device, BOOLEAN cancelable, bool by_key, ULONG key) {
  DeviceNode& node = node_of(device);
  KIRQL cancel_irql = DISPATCH_LEVEL;
  if (cancelable) IoAcquireCancelSpinLock(&cancel_irql);
  device->CurrentIrp = nullptr;
  PKDEVICE_QUEUE_ENTRY entry =
      by_key ? KeRemoveByKeyDeviceQueue(&device->DeviceQueue, key) : KeRemoveDeviceQueue(&device->DeviceQueue);
  if (entry == nullptr) {
    if (cancelable) IoReleaseCancelSpinLock(cancel_irql);
    return;
  }
  PIRP irp = CONTAINING_RECORD(entry, IRP, Tail.Overlay.DeviceQueueEntry);
  device->CurrentIrp = irp;
  if (cancelable) {
    if ((node.start_io_flags & kDoeSioNoCancel) != 0) irp->CancelRoutine = nullptr;
    IoReleaseCancelSpinLock(cancel_irql);
  }
  run_start_io(device, irp);
}

// Calls the driver's StartIo; with deferred StartIo, then carries out the IoStartNextPacket calls
// StartIo made.
void run_start_io(PDEVICE_OBJECT device, PIRP irp) {
  DeviceNode& node = node_of(device);
  ++node.start_io_count;
  {
    DriverScope scope(driver_of(device));
    wdmlab::sched::Scheduler* traced = wdmlab::sched::tracing_scheduler();
    if (traced != nullptr) [[unlikely]] {
      trace::routine_begins(*traced, "start_io", reinterpret_cast<const void*>(device->DriverObject->DriverStartIo),
                            irp, driver_of(device));
    }
    device->DriverObject->DriverStartIo(device, irp);
    if (traced != nullptr) [[unlikely]] trace::routine_ends(*traced, "start_io", irp);
  }
  --node.start_io_count;
  if (node.start_io_count == 0 && node.start_io_pending) {
    node.start_io_pending = FALSE;
    start_next(device, node.start_io_cancelable, false, 0);
  }
}

bool defer_start_next(PDEVICE_OBJECT device, BOOLEAN cancelable) {
  DeviceNode& node = node_of(device);
  if ((node.start_io_flags & kDoeSioDeferred) == 0 || node.start_io_count == 0) return false;
  node.start_io_pending = TRUE;
  node.start_io_cancelable = cancelable;
  return true;
}

}  // namespace

extern "C" {

VOID NTAPI IoStartPacket(PDEVICE_OBJECT DeviceObject, PIRP Irp, PULONG Key, PDRIVER_CANCEL CancelFunction) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "IoStartPacket", __builtin_return_address(0), Irp);
  if (CancelFunction != nullptr && (node_of(DeviceObject).start_io_flags & kDoeSioCancelableSet) != 0) {
    wdmlab::verifier::rule_violation(
        "StartIoCancel", address_of(Irp), address_of(__builtin_return_address(0)), 0,
        fmt::format("IoStartPacket was given cancel routine {} for IRP {} after IoSetStartIoAttributes made the "
                    "StartIo requests of device object {} cancelable: the cancel routine can race StartIo.",
                    reinterpret_cast<const void*>(CancelFunction), static_cast<const void*>(Irp),
                    static_cast<const void*>(DeviceObject)));
  }
  KIRQL old_irql;
  KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
  KIRQL cancel_irql = DISPATCH_LEVEL;
  if (CancelFunction != nullptr) {
    IoAcquireCancelSpinLock(&cancel_irql);
    Irp->CancelRoutine = CancelFunction;
  }
  PKDEVICE_QUEUE_ENTRY entry = &Irp->Tail.Overlay.DeviceQueueEntry;
  const BOOLEAN queued = Key != nullptr ? KeInsertByKeyDeviceQueue(&DeviceObject->DeviceQueue, entry, *Key)
                                        : KeInsertDeviceQueue(&DeviceObject->DeviceQueue, entry);
  if (!queued) {
    DeviceObject->CurrentIrp = Irp;
    if (CancelFunction != nullptr) {
      if ((node_of(DeviceObject).start_io_flags & kDoeSioNoCancel) != 0) Irp->CancelRoutine = nullptr;
      IoReleaseCancelSpinLock(cancel_irql);
    }
    run_start_io(DeviceObject, Irp);
  } else if (CancelFunction != nullptr) {
    if (Irp->Cancel) {
      // Cancelled before it was queued: its cancel routine runs now and releases the lock.
      Irp->CancelIrql = cancel_irql;
      Irp->CancelRoutine = nullptr;
      call_cancel_routine(CancelFunction, DeviceObject, Irp);
    } else {
      IoReleaseCancelSpinLock(cancel_irql);
    }
  }
  KeLowerIrql(old_irql);
}

VOID NTAPI IoStartNextPacket(PDEVICE_OBJECT DeviceObject, BOOLEAN Cancelable) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "IoStartNextPacket", __builtin_return_address(0), DeviceObject);
  check_start_io_recursion(DeviceObject, __builtin_return_address(0));
  if (defer_start_next(DeviceObject, Cancelable)) return;
  KIRQL old_irql;
  KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
  start_next(DeviceObject, Cancelable, false, 0);
  KeLowerIrql(old_irql);
}

VOID NTAPI IoStartNextPacketByKey(PDEVICE_OBJECT DeviceObject, BOOLEAN Cancelable, ULONG Key) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "IoStartNextPacketByKey", __builtin_return_address(0),
                                   DeviceObject);
  check_start_io_recursion(DeviceObject, __builtin_return_address(0));
  KIRQL old_irql;
  KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
  start_next(DeviceObject, Cancelable, true, Key);
  KeLowerIrql(old_irql);
}

VOID NTAPI IoSetStartIoAttributes(PDEVICE_OBJECT DeviceObject, BOOLEAN DeferredStartIo, BOOLEAN NonCancelable) {
  wdmlab::sched::scheduling_point();
  DeviceNode& node = node_of(DeviceObject);
  if (DeferredStartIo) node.start_io_flags |= kDoeSioDeferred;
  if (NonCancelable) node.start_io_flags |= kDoeSioNoCancel;
  if (!NonCancelable) node.start_io_flags |= kDoeSioCancelableSet;
}

}  // extern "C"
