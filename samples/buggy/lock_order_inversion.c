/*
 * lock_order_inversion - BUGGY ON PURPOSE: two paths take the same two spin locks in opposite
 * orders.
 *
 * The device has a queue lock and a statistics lock. Queueing a request
 * (IOCTL_LOCK_ORDER_INVERSION_QUEUE) takes the queue lock, then the statistics lock to count it.
 * Resetting the statistics (IOCTL_LOCK_ORDER_INVERSION_RESET) takes the statistics lock, then the
 * queue lock to read the queue length.
 *
 * The bug: the opposite orders. Two processors running the two paths at once can each hold one
 * lock and spin forever on the other.
 *
 * The interleaving that exposes it: none; that is the point of deadlock detection. The application
 * queues one request, then resets the statistics, one after the other: nothing ever deadlocks.
 *
 * What Windows reports: with Driver Verifier's deadlock detection (standard settings), 0xC4 with
 * P1 = 0x1001 (lock hierarchy violation) when the reset takes the queue lock while holding the
 * statistics lock, before any deadlock; `!deadlock` shows both acquisitions. Without it, nothing,
 * until the day the two paths meet on two processors (bug check 0x133 DPC_WATCHDOG_VIOLATION).
 *
 * What the lab reports: 0xC4/0x1001, P2 = the lock being acquired (the queue lock), P3 = the lock
 * held (the statistics lock), with the stacks of the earlier and the current acquisition
 * (tests/corpus asserts it).
 */
#include <ntddk.h>

#define LOCK_ORDER_INVERSION_DEVICE_NAME L"\\Device\\LockOrderInversion"
#define LOCK_ORDER_INVERSION_LINK_NAME L"\\??\\LockOrderInversion"
#define IOCTL_LOCK_ORDER_INVERSION_QUEUE CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_LOCK_ORDER_INVERSION_RESET CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD LockOrderInversionUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH LockOrderInversionCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH LockOrderInversionDeviceControl;

typedef struct _LOCK_ORDER_INVERSION_EXTENSION {
  KSPIN_LOCK QueueLock; /* protects Queued */
  KSPIN_LOCK StatsLock; /* protects Counted */
  ULONG Queued;
  ULONG Counted;
} LOCK_ORDER_INVERSION_EXTENSION, *PLOCK_ORDER_INVERSION_EXTENSION;

static PLOCK_ORDER_INVERSION_EXTENSION LockOrderInversionExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PLOCK_ORDER_INVERSION_EXTENSION)DeviceObject->DeviceExtension;
}

static NTSTATUS LockOrderInversionComplete(_In_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS LockOrderInversionCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return LockOrderInversionComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ NTSTATUS LockOrderInversionDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PLOCK_ORDER_INVERSION_EXTENSION extension = LockOrderInversionExtension(DeviceObject);
  NTSTATUS status;

  switch (IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_LOCK_ORDER_INVERSION_QUEUE: {
      KIRQL irql;
      KeAcquireSpinLock(&extension->QueueLock, &irql);
      extension->Queued++;
      KeAcquireSpinLockAtDpcLevel(&extension->StatsLock);
      extension->Counted++;
      KeReleaseSpinLockFromDpcLevel(&extension->StatsLock);
      KeReleaseSpinLock(&extension->QueueLock, irql);
      status = STATUS_SUCCESS;
      break;
    }
    case IOCTL_LOCK_ORDER_INVERSION_RESET: {
      KIRQL irql;
      KeAcquireSpinLock(&extension->StatsLock, &irql);
      /* BUG: the queue lock under the statistics lock, the opposite of the queue path. */
      KeAcquireSpinLockAtDpcLevel(&extension->QueueLock);
      extension->Counted = extension->Queued;
      KeReleaseSpinLockFromDpcLevel(&extension->QueueLock);
      KeReleaseSpinLock(&extension->StatsLock, irql);
      status = STATUS_SUCCESS;
      break;
    }
    default:
      status = STATUS_INVALID_DEVICE_REQUEST;
      break;
  }
  return LockOrderInversionComplete(Irp, status);
}

_Use_decl_annotations_ VOID LockOrderInversionUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(LOCK_ORDER_INVERSION_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(LOCK_ORDER_INVERSION_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(LOCK_ORDER_INVERSION_LINK_NAME);
  PDEVICE_OBJECT device;
  PLOCK_ORDER_INVERSION_EXTENSION extension;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(LOCK_ORDER_INVERSION_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = LockOrderInversionExtension(device);
  KeInitializeSpinLock(&extension->QueueLock);
  KeInitializeSpinLock(&extension->StatsLock);
  extension->Queued = 0;
  extension->Counted = 0;
  DbgPrint("lock_order_inversion: queue lock %p, statistics lock %p\n", (PVOID)&extension->QueueLock,
           (PVOID)&extension->StatsLock);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = LockOrderInversionCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = LockOrderInversionCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = LockOrderInversionDeviceControl;
  DriverObject->DriverUnload = LockOrderInversionUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
