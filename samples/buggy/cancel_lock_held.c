/*
 * cancel_lock_held - BUGGY ON PURPOSE: a cancel routine returns still holding the cancel spin lock.
 *
 * The device queues reads until data arrives: a write completes the oldest queued read with its
 * bytes. The queue is protected by the system-wide cancel spin lock, the old way: the dispatch
 * routine queues a read and sets its cancel routine under IoAcquireCancelSpinLock, and the cancel
 * routine, which the I/O manager calls with that lock held, dequeues and completes the read.
 *
 * The bug: the cancel routine never calls IoReleaseCancelSpinLock(Irp->CancelIrql). It returns at
 * DISPATCH_LEVEL with the cancel spin lock held, and the next acquisition of that lock, by anyone
 * on any processor, spins forever.
 *
 * The interleaving that exposes it: none is needed. The application issues an overlapped read and
 * cancels it with CancelIo.
 *
 * What Windows reports: the I/O manager notices when a cancel routine returns with the cancel
 * spin lock still held and stops with bug check 0x11B DRIVER_RETURNED_HOLDING_CANCEL_LOCK,
 * P1 = the IRP, P2 = the cancel routine (both logged when the read is queued). Were it not
 * caught there, the next acquisition of the lock on any processor would spin at DISPATCH_LEVEL
 * forever, until the DPC watchdog stopped the system (0x133).
 *
 * What the lab reports: the same 0x11B, raised as the cancel routine returns, charged to this
 * driver (tests/corpus asserts it).
 */
#include <ntddk.h>

#define CANCEL_LOCK_HELD_DEVICE_NAME L"\\Device\\CancelLockHeld"
#define CANCEL_LOCK_HELD_LINK_NAME L"\\??\\CancelLockHeld"

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD CancelLockHeldUnload;
DRIVER_CANCEL CancelLockHeldCancel;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH CancelLockHeldCreateClose;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH CancelLockHeldRead;
_Dispatch_type_(IRP_MJ_WRITE) DRIVER_DISPATCH CancelLockHeldWrite;

typedef struct _CANCEL_LOCK_HELD_EXTENSION {
  LIST_ENTRY Reads; /* queued reads (Tail.Overlay.ListEntry), under the cancel spin lock */
} CANCEL_LOCK_HELD_EXTENSION, *PCANCEL_LOCK_HELD_EXTENSION;

static PCANCEL_LOCK_HELD_EXTENSION CancelLockHeldExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PCANCEL_LOCK_HELD_EXTENSION)DeviceObject->DeviceExtension;
}

static NTSTATUS CancelLockHeldComplete(_In_ PIRP Irp, _In_ NTSTATUS Status, _In_ ULONG_PTR Information) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS CancelLockHeldCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return CancelLockHeldComplete(Irp, STATUS_SUCCESS, 0);
}

_Use_decl_annotations_ NTSTATUS CancelLockHeldRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  KIRQL irql;

  IoAcquireCancelSpinLock(&irql);
  if (Irp->Cancel) {
    IoReleaseCancelSpinLock(irql);
    return CancelLockHeldComplete(Irp, STATUS_CANCELLED, 0);
  }
  IoMarkIrpPending(Irp);
  IoSetCancelRoutine(Irp, CancelLockHeldCancel);
  InsertTailList(&CancelLockHeldExtension(DeviceObject)->Reads, &Irp->Tail.Overlay.ListEntry);
  IoReleaseCancelSpinLock(irql);
  DbgPrint("cancel_lock_held: read %p queued, cancel routine %p\n", Irp, (PVOID)(ULONG_PTR)CancelLockHeldCancel);
  return STATUS_PENDING;
}

/* Called at DISPATCH_LEVEL with the cancel spin lock held; must release it. */
_Use_decl_annotations_ VOID CancelLockHeldCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);

  RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
  DbgPrint("cancel_lock_held: read %p cancelled\n", Irp);
  /* BUG: IoReleaseCancelSpinLock(Irp->CancelIrql) is missing. */
  CancelLockHeldComplete(Irp, STATUS_CANCELLED, 0);
}

/* Completes the oldest queued read with the written bytes (as many as fit). */
_Use_decl_annotations_ NTSTATUS CancelLockHeldWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PCANCEL_LOCK_HELD_EXTENSION extension = CancelLockHeldExtension(DeviceObject);
  ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Write.Length;
  PIRP read = NULL;
  ULONG moved;
  KIRQL irql;

  IoAcquireCancelSpinLock(&irql);
  if (!IsListEmpty(&extension->Reads)) {
    read = CONTAINING_RECORD(RemoveHeadList(&extension->Reads), IRP, Tail.Overlay.ListEntry);
    IoSetCancelRoutine(read, NULL);
  }
  IoReleaseCancelSpinLock(irql);
  if (read == NULL) {
    return CancelLockHeldComplete(Irp, STATUS_SUCCESS, 0);
  }
  moved = min(length, IoGetCurrentIrpStackLocation(read)->Parameters.Read.Length);
  RtlCopyMemory(read->AssociatedIrp.SystemBuffer, Irp->AssociatedIrp.SystemBuffer, moved);
  CancelLockHeldComplete(read, STATUS_SUCCESS, moved);
  return CancelLockHeldComplete(Irp, STATUS_SUCCESS, moved);
}

_Use_decl_annotations_ VOID CancelLockHeldUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(CANCEL_LOCK_HELD_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(CANCEL_LOCK_HELD_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(CANCEL_LOCK_HELD_LINK_NAME);
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(CANCEL_LOCK_HELD_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  InitializeListHead(&CancelLockHeldExtension(device)->Reads);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = CancelLockHeldCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = CancelLockHeldCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = CancelLockHeldCreateClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = CancelLockHeldRead;
  DriverObject->MajorFunction[IRP_MJ_WRITE] = CancelLockHeldWrite;
  DriverObject->DriverUnload = CancelLockHeldUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
