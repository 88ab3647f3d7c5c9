/*
 * marking_queued_irps - BUGGY ON PURPOSE: a read is put on the driver's queue, the queue's lock is
 * released, and only then is the read marked pending.
 *
 * The device queues reads until a write arrives; a write completes every queued read with a copy
 * of its bytes.
 *
 * The bug: between KeReleaseSpinLock and IoMarkIrpPending another processor can run the write,
 * take the read off the queue, complete it and free it; IoMarkIrpPending then writes into a freed
 * IRP, and the I/O manager, finding no pending mark, may treat the request as synchronous. The
 * pending mark must be set before the IRP becomes visible to anyone else (Static Driver Verifier
 * rule MarkingQueuedIrps).
 *
 * The interleaving that exposes it: none for the rule: the monitor sees the read linked into the
 * queue, unmarked, when the lock is released. One read, then one write.
 *
 * What the lab reports with DDI compliance checking: WDMLAB_DDI_RULE_VIOLATION (the rule has no
 * Driver Verifier ID), rule MarkingQueuedIrps, non-fatal, P2 = the IRP, P3 = the read dispatch
 * routine. The read still completes. The driver logs the IRP and its read routine.
 */
#include <ntddk.h>

#define MARKING_QUEUED_DEVICE_NAME L"\\Device\\MarkingQueuedIrps"
#define MARKING_QUEUED_LINK_NAME L"\\??\\MarkingQueuedIrps"

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD MarkingQueuedUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH MarkingQueuedCreateClose;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH MarkingQueuedRead;
_Dispatch_type_(IRP_MJ_WRITE) DRIVER_DISPATCH MarkingQueuedWrite;

typedef struct _MARKING_QUEUED_EXTENSION {
  KSPIN_LOCK Lock;  /* protects Reads */
  LIST_ENTRY Reads; /* queued reads, linked through Tail.Overlay.ListEntry */
} MARKING_QUEUED_EXTENSION, *PMARKING_QUEUED_EXTENSION;

static NTSTATUS MarkingQueuedComplete(_In_ PIRP Irp, _In_ NTSTATUS Status, _In_ ULONG_PTR Information) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS MarkingQueuedCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return MarkingQueuedComplete(Irp, STATUS_SUCCESS, 0);
}

_Use_decl_annotations_ NTSTATUS MarkingQueuedRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PMARKING_QUEUED_EXTENSION extension = (PMARKING_QUEUED_EXTENSION)DeviceObject->DeviceExtension;
  KIRQL irql;

  DbgPrint("marking_queued_irps: read %p routine %p\n", Irp, (PVOID)MarkingQueuedRead);
  KeAcquireSpinLock(&extension->Lock, &irql);
  InsertTailList(&extension->Reads, &Irp->Tail.Overlay.ListEntry);
  KeReleaseSpinLock(&extension->Lock, irql);
  IoMarkIrpPending(Irp); /* BUG: too late, the write may already have completed the read */
  return STATUS_PENDING;
}

_Use_decl_annotations_ NTSTATUS MarkingQueuedWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PMARKING_QUEUED_EXTENSION extension = (PMARKING_QUEUED_EXTENSION)DeviceObject->DeviceExtension;
  ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Write.Length;
  LIST_ENTRY done;
  KIRQL irql;

  InitializeListHead(&done);
  KeAcquireSpinLock(&extension->Lock, &irql);
  while (!IsListEmpty(&extension->Reads)) {
    InsertTailList(&done, RemoveHeadList(&extension->Reads));
  }
  KeReleaseSpinLock(&extension->Lock, irql);
  while (!IsListEmpty(&done)) {
    PIRP read = CONTAINING_RECORD(RemoveHeadList(&done), IRP, Tail.Overlay.ListEntry);
    ULONG copied = IoGetCurrentIrpStackLocation(read)->Parameters.Read.Length;

    if (copied > length) {
      copied = length;
    }
    RtlCopyMemory(read->AssociatedIrp.SystemBuffer, Irp->AssociatedIrp.SystemBuffer, copied);
    MarkingQueuedComplete(read, STATUS_SUCCESS, copied);
  }
  return MarkingQueuedComplete(Irp, STATUS_SUCCESS, length);
}

_Use_decl_annotations_ VOID MarkingQueuedUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(MARKING_QUEUED_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(MARKING_QUEUED_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(MARKING_QUEUED_LINK_NAME);
  PMARKING_QUEUED_EXTENSION extension;
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(MARKING_QUEUED_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = (PMARKING_QUEUED_EXTENSION)device->DeviceExtension;
  KeInitializeSpinLock(&extension->Lock);
  InitializeListHead(&extension->Reads);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = MarkingQueuedCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = MarkingQueuedCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = MarkingQueuedCreateClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = MarkingQueuedRead;
  DriverObject->MajorFunction[IRP_MJ_WRITE] = MarkingQueuedWrite;
  DriverObject->DriverUnload = MarkingQueuedUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
