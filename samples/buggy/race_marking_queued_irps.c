/*
 * race_marking_queued_irps - BUGGY ON PURPOSE: a read is put on the driver's queue and the queue's
 * lock released before the read is marked pending; a write on another processor can complete it
 * in between.
 *
 * The device queues reads until a write arrives; a write completes every queued read with a copy
 * of its bytes, and IRP_MJ_CLEANUP completes the reads still queued for its file object
 * (cancelled). The read dispatch routine logs the read it queued before it marks it pending.
 *
 * The bug: between KeReleaseSpinLock and IoMarkIrpPending the read belongs to whoever takes it off
 * the queue. If a write on the other processor completes it in that window, the I/O manager sees a
 * completion with no pending mark and leaves the request's final stage to the system service that
 * called the dispatch routine; the dispatch routine then marks the completed IRP and returns
 * STATUS_PENDING, so the service takes the request as pending, and nobody finishes it: the
 * application's read never completes. The pending mark must be set before the IRP becomes visible
 * to anyone else (Static Driver Verifier rule MarkingQueuedIrps).
 *
 * The interleaving that exposes it: the write takes the read off the queue while the reading
 * thread is between releasing the lock and marking the read (here: at its DbgPrint). A write
 * before the read finds an empty queue; a write after the mark completes the read normally.
 *
 * What Windows reports, and the lab: DDI compliance checking reports the rule MarkingQueuedIrps
 * at every read, whatever the interleaving, because the read is on the queue, unmarked, when the
 * lock is released (samples/buggy/marking_queued_irps.c shows that). The race's consequence is
 * what shows without that rule. With I/O verification, as the dispatch routine returns
 * STATUS_PENDING for a read that was completed without a pending mark: 0xC9
 * DRIVER_VERIFIER_IOMANAGER_VIOLATION, P1 = 0x23D (rule MarkIrpPending2), P2 = the read dispatch
 * routine, P3 = the read, P4 = STATUS_PENDING, non-fatal. The read never finishes, so when the
 * reading thread ends the verifier reports it still outstanding five minutes later: 0xC4 / 0x135
 * [the read, 300000 ms, 0], non-fatal. Without the verifier the application just never sees its
 * read complete. The driver logs the read and its read routine.
 */
#include <ntddk.h>

#define RACE_MARKING_QUEUED_DEVICE_NAME L"\\Device\\RaceMarkingQueuedIrps"
#define RACE_MARKING_QUEUED_LINK_NAME L"\\??\\RaceMarkingQueuedIrps"

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD RaceMarkingQueuedUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH RaceMarkingQueuedCreateClose;
_Dispatch_type_(IRP_MJ_CLEANUP) DRIVER_DISPATCH RaceMarkingQueuedCleanup;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH RaceMarkingQueuedRead;
_Dispatch_type_(IRP_MJ_WRITE) DRIVER_DISPATCH RaceMarkingQueuedWrite;

typedef struct _RACE_MARKING_QUEUED_EXTENSION {
  KSPIN_LOCK Lock;  /* protects Reads */
  LIST_ENTRY Reads; /* queued reads, linked through Tail.Overlay.ListEntry */
} RACE_MARKING_QUEUED_EXTENSION, *PRACE_MARKING_QUEUED_EXTENSION;

static NTSTATUS RaceMarkingQueuedComplete(_In_ PIRP Irp, _In_ NTSTATUS Status, _In_ ULONG_PTR Information) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS RaceMarkingQueuedCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return RaceMarkingQueuedComplete(Irp, STATUS_SUCCESS, 0);
}

/* Moves the queued reads of `File` (every queued read if NULL) to `Taken`, under the lock. */
static VOID RaceMarkingQueuedTake(_In_ PRACE_MARKING_QUEUED_EXTENSION Extension, _In_opt_ PFILE_OBJECT File,
                                  _Out_ PLIST_ENTRY Taken) {
  PLIST_ENTRY entry;
  KIRQL irql;

  InitializeListHead(Taken);
  KeAcquireSpinLock(&Extension->Lock, &irql);
  entry = Extension->Reads.Flink;
  while (entry != &Extension->Reads) {
    PLIST_ENTRY next = entry->Flink;
    PIRP read = CONTAINING_RECORD(entry, IRP, Tail.Overlay.ListEntry);

    if (File == NULL || IoGetCurrentIrpStackLocation(read)->FileObject == File) {
      RemoveEntryList(entry);
      InsertTailList(Taken, entry);
    }
    entry = next;
  }
  KeReleaseSpinLock(&Extension->Lock, irql);
}

_Use_decl_annotations_ NTSTATUS RaceMarkingQueuedRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PRACE_MARKING_QUEUED_EXTENSION extension = (PRACE_MARKING_QUEUED_EXTENSION)DeviceObject->DeviceExtension;
  KIRQL irql;

  KeAcquireSpinLock(&extension->Lock, &irql);
  InsertTailList(&extension->Reads, &Irp->Tail.Overlay.ListEntry);
  KeReleaseSpinLock(&extension->Lock, irql);
  DbgPrint("race_marking_queued_irps: read %p queued, routine %p\n", Irp, (PVOID)RaceMarkingQueuedRead);
  IoMarkIrpPending(Irp); /* BUG: too late, a write may already have completed the read */
  return STATUS_PENDING;
}

_Use_decl_annotations_ NTSTATUS RaceMarkingQueuedWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PRACE_MARKING_QUEUED_EXTENSION extension = (PRACE_MARKING_QUEUED_EXTENSION)DeviceObject->DeviceExtension;
  ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Write.Length;
  LIST_ENTRY done;

  RaceMarkingQueuedTake(extension, NULL, &done);
  while (!IsListEmpty(&done)) {
    PIRP read = CONTAINING_RECORD(RemoveHeadList(&done), IRP, Tail.Overlay.ListEntry);
    ULONG copied = IoGetCurrentIrpStackLocation(read)->Parameters.Read.Length;

    if (copied > length) {
      copied = length;
    }
    RtlCopyMemory(read->AssociatedIrp.SystemBuffer, Irp->AssociatedIrp.SystemBuffer, copied);
    RaceMarkingQueuedComplete(read, STATUS_SUCCESS, copied);
  }
  return RaceMarkingQueuedComplete(Irp, STATUS_SUCCESS, length);
}

/* The last handle to a file object is closed: its queued reads end cancelled. */
_Use_decl_annotations_ NTSTATUS RaceMarkingQueuedCleanup(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  LIST_ENTRY taken;

  RaceMarkingQueuedTake((PRACE_MARKING_QUEUED_EXTENSION)DeviceObject->DeviceExtension,
                        IoGetCurrentIrpStackLocation(Irp)->FileObject, &taken);
  while (!IsListEmpty(&taken)) {
    PIRP read = CONTAINING_RECORD(RemoveHeadList(&taken), IRP, Tail.Overlay.ListEntry);

    RaceMarkingQueuedComplete(read, STATUS_CANCELLED, 0);
  }
  return RaceMarkingQueuedComplete(Irp, STATUS_SUCCESS, 0);
}

_Use_decl_annotations_ VOID RaceMarkingQueuedUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(RACE_MARKING_QUEUED_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(RACE_MARKING_QUEUED_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(RACE_MARKING_QUEUED_LINK_NAME);
  PRACE_MARKING_QUEUED_EXTENSION extension;
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(RACE_MARKING_QUEUED_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = (PRACE_MARKING_QUEUED_EXTENSION)device->DeviceExtension;
  KeInitializeSpinLock(&extension->Lock);
  InitializeListHead(&extension->Reads);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = RaceMarkingQueuedCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = RaceMarkingQueuedCleanup;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = RaceMarkingQueuedCreateClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = RaceMarkingQueuedRead;
  DriverObject->MajorFunction[IRP_MJ_WRITE] = RaceMarkingQueuedWrite;
  DriverObject->DriverUnload = RaceMarkingQueuedUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
