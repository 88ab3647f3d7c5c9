/*
 * no_cancel_recheck - BUGGY ON PURPOSE: a read becomes cancelable after it was cancelled, so it
 * is never completed.
 *
 * The device queues reads until data arrives: a write completes the oldest queued read with its
 * bytes. Before a read is queued, the dispatch routine programs the device for it, which takes
 * NO_CANCEL_RECHECK_SETUP_MS (KeDelayExecutionThread, at PASSIVE_LEVEL in the reader's thread).
 * A queued read is cancelable; its cancel routine dequeues and completes it.
 *
 * The bug: after programming the device, the dispatch routine sets the cancel routine without
 * checking Irp->Cancel. If the read was cancelled while the device was being programmed,
 * IoCancelIrp found no cancel routine to call (it only set Irp->Cancel), and nobody will ever
 * cancel the read again. The routine must check Irp->Cancel after IoSetCancelRoutine and, if it
 * is set and IoSetCancelRoutine(Irp, NULL) gets the routine back, complete the read itself with
 * STATUS_CANCELLED (or use a cancel-safe queue, which does this).
 *
 * The interleaving that exposes it: one thread reads (overlapped) and waits for the result; another
 * thread of the process cancels the read with CancelIoEx while the dispatch routine is still
 * programming the device. No write ever comes.
 *
 * What Windows does: nothing visible; the reading thread waits forever in GetOverlappedResult (the
 * application hangs, and cannot be ended cleanly). The lab reports the hang: WDMLAB_HANG
 * (0x574C0002), P1 = 1 blocked thread, naming the reading thread and what it waits on.
 */
#include <ntddk.h>

#define NO_CANCEL_RECHECK_DEVICE_NAME L"\\Device\\NoCancelRecheck"
#define NO_CANCEL_RECHECK_LINK_NAME L"\\??\\NoCancelRecheck"
#define NO_CANCEL_RECHECK_SETUP_MS 10

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD NoCancelRecheckUnload;
DRIVER_CANCEL NoCancelRecheckCancel;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH NoCancelRecheckCreateClose;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH NoCancelRecheckRead;
_Dispatch_type_(IRP_MJ_WRITE) DRIVER_DISPATCH NoCancelRecheckWrite;

typedef struct _NO_CANCEL_RECHECK_EXTENSION {
  KSPIN_LOCK Lock;  /* protects Reads */
  LIST_ENTRY Reads; /* queued reads, linked through Tail.Overlay.ListEntry, each cancelable */
} NO_CANCEL_RECHECK_EXTENSION, *PNO_CANCEL_RECHECK_EXTENSION;

#ifdef ALLOC_PRAGMA
#pragma alloc_text(INIT, DriverEntry)
#pragma alloc_text(PAGE, NoCancelRecheckUnload)
#endif

static PNO_CANCEL_RECHECK_EXTENSION NoCancelRecheckExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PNO_CANCEL_RECHECK_EXTENSION)DeviceObject->DeviceExtension;
}

static NTSTATUS NoCancelRecheckComplete(_In_ PIRP Irp, _In_ NTSTATUS Status, _In_ ULONG_PTR Information) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS NoCancelRecheckCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return NoCancelRecheckComplete(Irp, STATUS_SUCCESS, 0);
}

_Use_decl_annotations_ NTSTATUS NoCancelRecheckRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PNO_CANCEL_RECHECK_EXTENSION extension = NoCancelRecheckExtension(DeviceObject);
  LARGE_INTEGER setup;
  KIRQL irql;

  IoMarkIrpPending(Irp);
  DbgPrint("no_cancel_recheck: read %p for file %p programs the device\n", Irp,
           IoGetCurrentIrpStackLocation(Irp)->FileObject);
  setup.QuadPart = -10LL * 1000 * NO_CANCEL_RECHECK_SETUP_MS;
  KeDelayExecutionThread(KernelMode, FALSE, &setup);
  KeAcquireSpinLock(&extension->Lock, &irql);
  /* BUG: Irp->Cancel is not checked: a read cancelled during the setup stays queued for good. */
  IoSetCancelRoutine(Irp, NoCancelRecheckCancel);
  InsertTailList(&extension->Reads, &Irp->Tail.Overlay.ListEntry);
  KeReleaseSpinLock(&extension->Lock, irql);
  DbgPrint("no_cancel_recheck: read %p queued (cancelled: %d)\n", Irp, Irp->Cancel);
  return STATUS_PENDING;
}

/* Called with the cancel spin lock held. */
_Use_decl_annotations_ VOID NoCancelRecheckCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PNO_CANCEL_RECHECK_EXTENSION extension = NoCancelRecheckExtension(DeviceObject);
  KIRQL irql;

  IoReleaseCancelSpinLock(Irp->CancelIrql);
  KeAcquireSpinLock(&extension->Lock, &irql);
  RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
  KeReleaseSpinLock(&extension->Lock, irql);
  DbgPrint("no_cancel_recheck: read %p cancelled\n", Irp);
  NoCancelRecheckComplete(Irp, STATUS_CANCELLED, 0);
}

/* Completes the oldest queued read with the written bytes (as many as fit). */
_Use_decl_annotations_ NTSTATUS NoCancelRecheckWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PNO_CANCEL_RECHECK_EXTENSION extension = NoCancelRecheckExtension(DeviceObject);
  ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Write.Length;
  PIRP read = NULL;
  ULONG moved;
  KIRQL irql;

  KeAcquireSpinLock(&extension->Lock, &irql);
  while (read == NULL && !IsListEmpty(&extension->Reads)) {
    read = CONTAINING_RECORD(RemoveHeadList(&extension->Reads), IRP, Tail.Overlay.ListEntry);
    if (IoSetCancelRoutine(read, NULL) == NULL) {
      /* Its cancel routine is running and will dequeue it: leave it a valid list entry. */
      InitializeListHead(&read->Tail.Overlay.ListEntry);
      read = NULL;
    }
  }
  KeReleaseSpinLock(&extension->Lock, irql);
  if (read == NULL) {
    return NoCancelRecheckComplete(Irp, STATUS_SUCCESS, 0);
  }
  moved = min(length, IoGetCurrentIrpStackLocation(read)->Parameters.Read.Length);
  RtlCopyMemory(read->AssociatedIrp.SystemBuffer, Irp->AssociatedIrp.SystemBuffer, moved);
  NoCancelRecheckComplete(read, STATUS_SUCCESS, moved);
  return NoCancelRecheckComplete(Irp, STATUS_SUCCESS, moved);
}

_Use_decl_annotations_ VOID NoCancelRecheckUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(NO_CANCEL_RECHECK_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(NO_CANCEL_RECHECK_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(NO_CANCEL_RECHECK_LINK_NAME);
  PNO_CANCEL_RECHECK_EXTENSION extension;
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(NO_CANCEL_RECHECK_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = NoCancelRecheckExtension(device);
  KeInitializeSpinLock(&extension->Lock);
  InitializeListHead(&extension->Reads);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = NoCancelRecheckCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = NoCancelRecheckCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = NoCancelRecheckCreateClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = NoCancelRecheckRead;
  DriverObject->MajorFunction[IRP_MJ_WRITE] = NoCancelRecheckWrite;
  DriverObject->DriverUnload = NoCancelRecheckUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
