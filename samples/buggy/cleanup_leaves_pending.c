/*
 * cleanup_leaves_pending - BUGGY ON PURPOSE: IRP_MJ_CLEANUP leaves the file's queued reads pending,
 * and they have no cancel routine.
 *
 * The device queues reads until data arrives: a write completes the oldest queued read with its
 * bytes. Queued reads sit on a plain list under the driver's spin lock, without a cancel routine,
 * so the only ways out of the queue are a write and cleanup.
 *
 * The bug: the IRP_MJ_CLEANUP handler completes the cleanup request but not the reads queued for
 * that file object. Once the last handle is closed nothing can complete them: no write can come
 * through a closed handle, and without a cancel routine IoCancelIrp (CancelIo, thread exit) only
 * sets Irp->Cancel. Cleanup must complete (or cancel) every IRP it holds for the file object.
 *
 * The interleaving that exposes it: none is needed. A thread issues an overlapped read, closes the
 * handle, and ends.
 *
 * What Windows does, and the lab with it: the thread's exit cancels its outstanding requests and
 * waits for them, in 100 ms steps, for up to five minutes. The read never completes, so the I/O
 * manager gives up on it, disassociates it from the thread and lets the thread end; with Driver
 * Verifier this is bug check 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION, P1 = 0x135 (a cancelled IRP
 * not completed within the time allowed), P2 = the IRP, P3 = 300000 (milliseconds allowed), which
 * the lab reports as non-fatal. The read still holds a reference on the file object, so
 * IRP_MJ_CLOSE never arrives.
 */
#include <ntddk.h>

#define CLEANUP_LEAVES_PENDING_DEVICE_NAME L"\\Device\\CleanupLeavesPending"
#define CLEANUP_LEAVES_PENDING_LINK_NAME L"\\??\\CleanupLeavesPending"

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD CleanupLeavesPendingUnload;
_Dispatch_type_(IRP_MJ_CREATE) DRIVER_DISPATCH CleanupLeavesPendingCreate;
_Dispatch_type_(IRP_MJ_CLEANUP) DRIVER_DISPATCH CleanupLeavesPendingCleanup;
_Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH CleanupLeavesPendingClose;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH CleanupLeavesPendingRead;
_Dispatch_type_(IRP_MJ_WRITE) DRIVER_DISPATCH CleanupLeavesPendingWrite;

typedef struct _CLEANUP_LEAVES_PENDING_EXTENSION {
  KSPIN_LOCK Lock;  /* protects Reads */
  LIST_ENTRY Reads; /* queued reads, linked through Tail.Overlay.ListEntry; no cancel routines */
} CLEANUP_LEAVES_PENDING_EXTENSION, *PCLEANUP_LEAVES_PENDING_EXTENSION;

#ifdef ALLOC_PRAGMA
#pragma alloc_text(INIT, DriverEntry)
#pragma alloc_text(PAGE, CleanupLeavesPendingUnload)
#pragma alloc_text(PAGE, CleanupLeavesPendingCreate)
#pragma alloc_text(PAGE, CleanupLeavesPendingCleanup)
#pragma alloc_text(PAGE, CleanupLeavesPendingClose)
#endif

static PCLEANUP_LEAVES_PENDING_EXTENSION CleanupLeavesPendingExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PCLEANUP_LEAVES_PENDING_EXTENSION)DeviceObject->DeviceExtension;
}

static NTSTATUS CleanupLeavesPendingComplete(_In_ PIRP Irp, _In_ NTSTATUS Status, _In_ ULONG_PTR Information) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS CleanupLeavesPendingCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);

  PAGED_CODE();
  return CleanupLeavesPendingComplete(Irp, STATUS_SUCCESS, 0);
}

_Use_decl_annotations_ NTSTATUS CleanupLeavesPendingCleanup(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);

  PAGED_CODE();
  DbgPrint("cleanup_leaves_pending: cleanup of file %p\n", IoGetCurrentIrpStackLocation(Irp)->FileObject);
  /* BUG: the reads queued for this file object stay queued; they must be completed here. */
  return CleanupLeavesPendingComplete(Irp, STATUS_SUCCESS, 0);
}

_Use_decl_annotations_ NTSTATUS CleanupLeavesPendingClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);

  PAGED_CODE();
  DbgPrint("cleanup_leaves_pending: close of file %p\n", IoGetCurrentIrpStackLocation(Irp)->FileObject);
  return CleanupLeavesPendingComplete(Irp, STATUS_SUCCESS, 0);
}

_Use_decl_annotations_ NTSTATUS CleanupLeavesPendingRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PCLEANUP_LEAVES_PENDING_EXTENSION extension = CleanupLeavesPendingExtension(DeviceObject);
  KIRQL irql;

  IoMarkIrpPending(Irp);
  KeAcquireSpinLock(&extension->Lock, &irql);
  InsertTailList(&extension->Reads, &Irp->Tail.Overlay.ListEntry);
  KeReleaseSpinLock(&extension->Lock, irql);
  DbgPrint("cleanup_leaves_pending: read %p queued for file %p\n", Irp,
           IoGetCurrentIrpStackLocation(Irp)->FileObject);
  return STATUS_PENDING;
}

/* Completes the oldest queued read with the written bytes (as many as fit). */
_Use_decl_annotations_ NTSTATUS CleanupLeavesPendingWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PCLEANUP_LEAVES_PENDING_EXTENSION extension = CleanupLeavesPendingExtension(DeviceObject);
  ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Write.Length;
  PIRP read = NULL;
  ULONG moved;
  KIRQL irql;

  KeAcquireSpinLock(&extension->Lock, &irql);
  if (!IsListEmpty(&extension->Reads)) {
    read = CONTAINING_RECORD(RemoveHeadList(&extension->Reads), IRP, Tail.Overlay.ListEntry);
  }
  KeReleaseSpinLock(&extension->Lock, irql);
  if (read == NULL) {
    return CleanupLeavesPendingComplete(Irp, STATUS_SUCCESS, 0);
  }
  moved = min(length, IoGetCurrentIrpStackLocation(read)->Parameters.Read.Length);
  RtlCopyMemory(read->AssociatedIrp.SystemBuffer, Irp->AssociatedIrp.SystemBuffer, moved);
  CleanupLeavesPendingComplete(read, STATUS_SUCCESS, moved);
  return CleanupLeavesPendingComplete(Irp, STATUS_SUCCESS, moved);
}

_Use_decl_annotations_ VOID CleanupLeavesPendingUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(CLEANUP_LEAVES_PENDING_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(CLEANUP_LEAVES_PENDING_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(CLEANUP_LEAVES_PENDING_LINK_NAME);
  PCLEANUP_LEAVES_PENDING_EXTENSION extension;
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(CLEANUP_LEAVES_PENDING_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = CleanupLeavesPendingExtension(device);
  KeInitializeSpinLock(&extension->Lock);
  InitializeListHead(&extension->Reads);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = CleanupLeavesPendingCreate;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = CleanupLeavesPendingCleanup;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = CleanupLeavesPendingClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = CleanupLeavesPendingRead;
  DriverObject->MajorFunction[IRP_MJ_WRITE] = CleanupLeavesPendingWrite;
  DriverObject->DriverUnload = CleanupLeavesPendingUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
