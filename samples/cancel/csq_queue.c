/*
 * csq_queue - a legacy driver that holds reads for an unbounded time in a cancel-safe queue
 * (IO_CSQ) and completes them from a write, a timer DPC, cancellation or cleanup (see
 * csq_queue_public.h for what callers see).
 *
 * The pattern. The driver owns the queue's storage (a LIST_ENTRY of IRPs linked through
 * Irp->Tail.Overlay.ListEntry) and its lock (a KSPIN_LOCK); the IoCsq routines own the
 * cancellation protocol around them, so this driver never sets a cancel routine and never takes
 * the cancel spin lock:
 *   - a read is put in the queue only with IoCsqInsertIrpEx, which marks it pending and makes it
 *     cancelable under the queue lock; if it was cancelled before that, the queue hands it
 *     straight to CsqQueueCompleteCanceledIrp;
 *   - a read leaves the queue only through IoCsqRemoveNextIrp (a write: the oldest read of any
 *     open; the timer: every read; cleanup: every read of one file object), which returns an IRP
 *     only once it is no longer cancelable, or through the queue's own cancel routine, which
 *     removes it with CsqQueueRemoveIrp and completes it with CsqQueueCompleteCanceledIrp.
 * Whoever takes an IRP out of the queue completes it, exactly once; an IRP being cancelled is
 * invisible to IoCsqRemoveNextIrp, so a write or the timer never completes a read the cancel
 * routine is completing.
 *
 * Invariants:
 *   - PendingReads and every Open->CleanedUp flag change only with QueueLock held (the IO_CSQ
 *     callbacks run with it held: the IoCsq routines call CsqQueueAcquireLock around them).
 *   - A read in the queue is one whose open had not been cleaned up when it was inserted:
 *     CsqQueueInsertIrpEx refuses the others, so cleanup, which sets CleanedUp before it drains
 *     the open's reads, leaves none of that open behind.
 *   - Every request holds the device's remove lock (tagged with the IRP) from dispatch until it
 *     is completed. DriverUnload waits on the lock for the requests still inside the driver, then
 *     cancels the timer and flushes its DPC, and only then deletes the device.
 *
 * Reads complete at DISPATCH_LEVEL from the DPC, at the canceller's IRQL (<= DISPATCH_LEVEL) from
 * the cancel path, and at PASSIVE_LEVEL from writes and cleanup, in whatever thread that is: the
 * device uses buffered I/O, so a read's buffer is nonpaged pool, valid in any thread context.
 */
#include <ntddk.h>

#include "csq_queue_public.h"

#define CSQ_QUEUE_TAG 'QqsC'

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD CsqQueueUnload;
_Dispatch_type_(IRP_MJ_CREATE) DRIVER_DISPATCH CsqQueueCreate;
_Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH CsqQueueClose;
_Dispatch_type_(IRP_MJ_CLEANUP) DRIVER_DISPATCH CsqQueueCleanup;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH CsqQueueRead;
_Dispatch_type_(IRP_MJ_WRITE) DRIVER_DISPATCH CsqQueueWrite;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH CsqQueueDeviceControl;
KDEFERRED_ROUTINE CsqQueueTimerDpc;
IO_CSQ_INSERT_IRP_EX CsqQueueInsertIrpEx;
IO_CSQ_REMOVE_IRP CsqQueueRemoveIrp;
IO_CSQ_PEEK_NEXT_IRP CsqQueuePeekNextIrp;
IO_CSQ_ACQUIRE_LOCK CsqQueueAcquireLock;
IO_CSQ_RELEASE_LOCK CsqQueueReleaseLock;
IO_CSQ_COMPLETE_CANCELED_IRP CsqQueueCompleteCanceledIrp;

/* One per file object, in FileObject->FsContext from IRP_MJ_CREATE to IRP_MJ_CLOSE. */
typedef struct _CSQ_QUEUE_OPEN {
  BOOLEAN CleanedUp; /* IRP_MJ_CLEANUP has run; guarded by QueueLock */
} CSQ_QUEUE_OPEN, *PCSQ_QUEUE_OPEN;

typedef struct _CSQ_QUEUE_EXTENSION {
  IO_CSQ Queue;
  KSPIN_LOCK QueueLock;
  LIST_ENTRY PendingReads; /* oldest first, through Irp->Tail.Overlay.ListEntry */
  IO_REMOVE_LOCK RemoveLock;
  KTIMER Timer;
  KDPC TimerDpc; /* CsqQueueTimerDpc, context: this extension */
} CSQ_QUEUE_EXTENSION, *PCSQ_QUEUE_EXTENSION;

#ifdef ALLOC_PRAGMA
#pragma alloc_text(INIT, DriverEntry)
#pragma alloc_text(PAGE, CsqQueueUnload)
#pragma alloc_text(PAGE, CsqQueueCreate)
#pragma alloc_text(PAGE, CsqQueueClose)
#pragma alloc_text(PAGE, CsqQueueCleanup)
#pragma alloc_text(PAGE, CsqQueueRead)
#pragma alloc_text(PAGE, CsqQueueWrite)
#pragma alloc_text(PAGE, CsqQueueDeviceControl)
#endif

static PCSQ_QUEUE_EXTENSION CsqQueueExtensionOf(_In_ PIO_CSQ Csq) {
  return CONTAINING_RECORD(Csq, CSQ_QUEUE_EXTENSION, Queue);
}

/* Completes a request that holds the remove lock, and releases the lock it held. */
static VOID CsqQueueComplete(_In_ PCSQ_QUEUE_EXTENSION Extension, _In_ PIRP Irp, _In_ NTSTATUS Status,
                             _In_ ULONG_PTR Information) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  IoReleaseRemoveLock(&Extension->RemoveLock, Irp);
}

/* Every request takes the remove lock on entry; once DriverUnload has started, the request fails
 * here with STATUS_DELETE_PENDING instead. */
static NTSTATUS CsqQueueEnter(_In_ PCSQ_QUEUE_EXTENSION Extension, _In_ PIRP Irp) {
  NTSTATUS status = IoAcquireRemoveLock(&Extension->RemoveLock, Irp);

  if (!NT_SUCCESS(status)) {
    Irp->IoStatus.Status = status;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
  }
  return status;
}

/* --- the queue's callbacks: QueueLock is held around Insert, Remove and PeekNext ---------------- */

/* Refuses a read whose open has been cleaned up; the caller completes it. */
_Use_decl_annotations_ NTSTATUS CsqQueueInsertIrpEx(PIO_CSQ Csq, PIRP Irp, PVOID InsertContext) {
  PCSQ_QUEUE_EXTENSION extension = CsqQueueExtensionOf(Csq);
  PCSQ_QUEUE_OPEN open = (PCSQ_QUEUE_OPEN)IoGetCurrentIrpStackLocation(Irp)->FileObject->FsContext;
  UNREFERENCED_PARAMETER(InsertContext);

  if (open->CleanedUp) {
    return STATUS_CANCELLED;
  }
  InsertTailList(&extension->PendingReads, &Irp->Tail.Overlay.ListEntry);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ VOID CsqQueueRemoveIrp(PIO_CSQ Csq, PIRP Irp) {
  UNREFERENCED_PARAMETER(Csq);

  RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
}

/* The first read after Irp (from the front if Irp is NULL) whose file object is PeekContext, or
 * any read if PeekContext is NULL. */
_Use_decl_annotations_ PIRP CsqQueuePeekNextIrp(PIO_CSQ Csq, PIRP Irp, PVOID PeekContext) {
  PCSQ_QUEUE_EXTENSION extension = CsqQueueExtensionOf(Csq);
  PLIST_ENTRY entry = Irp == NULL ? extension->PendingReads.Flink : Irp->Tail.Overlay.ListEntry.Flink;

  for (; entry != &extension->PendingReads; entry = entry->Flink) {
    PIRP candidate = CONTAINING_RECORD(entry, IRP, Tail.Overlay.ListEntry);
    if (PeekContext == NULL || IoGetCurrentIrpStackLocation(candidate)->FileObject == (PFILE_OBJECT)PeekContext) {
      return candidate;
    }
  }
  return NULL;
}

_Use_decl_annotations_ VOID CsqQueueAcquireLock(PIO_CSQ Csq, PKIRQL Irql) {
  KeAcquireSpinLock(&CsqQueueExtensionOf(Csq)->QueueLock, Irql);
}

_Use_decl_annotations_ VOID CsqQueueReleaseLock(PIO_CSQ Csq, KIRQL Irql) {
  KeReleaseSpinLock(&CsqQueueExtensionOf(Csq)->QueueLock, Irql);
}

/* A cancelled read, already out of the queue; called without QueueLock, at IRQL <= DISPATCH_LEVEL. */
_Use_decl_annotations_ VOID CsqQueueCompleteCanceledIrp(PIO_CSQ Csq, PIRP Irp) {
  DbgPrint("csq_queue: read cancelled\n");
  CsqQueueComplete(CsqQueueExtensionOf(Csq), Irp, STATUS_CANCELLED, 0);
}

/* --- dispatch routines ----------------------------------------------------------------------------- */

_Use_decl_annotations_ NTSTATUS CsqQueueCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PCSQ_QUEUE_EXTENSION extension = (PCSQ_QUEUE_EXTENSION)DeviceObject->DeviceExtension;
  PFILE_OBJECT file = IoGetCurrentIrpStackLocation(Irp)->FileObject;
  PCSQ_QUEUE_OPEN open;
  NTSTATUS status;

  PAGED_CODE();
  status = CsqQueueEnter(extension, Irp);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  open = (PCSQ_QUEUE_OPEN)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(CSQ_QUEUE_OPEN), CSQ_QUEUE_TAG);
  if (open == NULL) {
    status = STATUS_INSUFFICIENT_RESOURCES;
  } else {
    open->CleanedUp = FALSE;
    file->FsContext = open;
    DbgPrint("csq_queue: create\n");
  }
  CsqQueueComplete(extension, Irp, status, 0);
  return status;
}

/* The last handle to the file object is closed: end its reads, and refuse any that arrive later. */
_Use_decl_annotations_ NTSTATUS CsqQueueCleanup(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PCSQ_QUEUE_EXTENSION extension = (PCSQ_QUEUE_EXTENSION)DeviceObject->DeviceExtension;
  PFILE_OBJECT file = IoGetCurrentIrpStackLocation(Irp)->FileObject;
  PCSQ_QUEUE_OPEN open = (PCSQ_QUEUE_OPEN)file->FsContext;
  ULONG cancelled = 0;
  NTSTATUS status;
  PIRP read;
  KIRQL irql;

  PAGED_CODE();
  status = CsqQueueEnter(extension, Irp);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  KeAcquireSpinLock(&extension->QueueLock, &irql);
  open->CleanedUp = TRUE;
  KeReleaseSpinLock(&extension->QueueLock, irql);
  while ((read = IoCsqRemoveNextIrp(&extension->Queue, file)) != NULL) {
    CsqQueueComplete(extension, read, STATUS_CANCELLED, 0);
    ++cancelled;
  }
  DbgPrint("csq_queue: cleanup: %lu reads cancelled\n", cancelled);
  CsqQueueComplete(extension, Irp, STATUS_SUCCESS, 0);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS CsqQueueClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PCSQ_QUEUE_EXTENSION extension = (PCSQ_QUEUE_EXTENSION)DeviceObject->DeviceExtension;
  PFILE_OBJECT file = IoGetCurrentIrpStackLocation(Irp)->FileObject;
  NTSTATUS status;

  PAGED_CODE();
  status = CsqQueueEnter(extension, Irp);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  /* No request of this file object is outstanding: each held a reference to it. */
  if (file->FsContext != NULL) {
    ExFreePoolWithTag(file->FsContext, CSQ_QUEUE_TAG);
    file->FsContext = NULL;
  }
  DbgPrint("csq_queue: close\n");
  CsqQueueComplete(extension, Irp, STATUS_SUCCESS, 0);
  return STATUS_SUCCESS;
}

/* Returns STATUS_PENDING for a queued read, which may already be completed by then. */
_Use_decl_annotations_ NTSTATUS CsqQueueRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PCSQ_QUEUE_EXTENSION extension = (PCSQ_QUEUE_EXTENSION)DeviceObject->DeviceExtension;
  ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Read.Length;
  NTSTATUS status;

  PAGED_CODE();
  status = CsqQueueEnter(extension, Irp);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  DbgPrint("csq_queue: read of %lu bytes arrives\n", length);
  if (length == 0) {
    CsqQueueComplete(extension, Irp, STATUS_SUCCESS, 0);
    return STATUS_SUCCESS;
  }
  /* On success the queue owns the read (it is pending, and may be completed by now); on failure
   * it was never queued and is still ours. */
  status = IoCsqInsertIrpEx(&extension->Queue, Irp, NULL, NULL);
  if (!NT_SUCCESS(status)) {
    DbgPrint("csq_queue: read refused: its open is cleaned up\n");
    CsqQueueComplete(extension, Irp, status, 0);
    return status;
  }
  return STATUS_PENDING;
}

/* Hands the bytes to the oldest pending read, if there is one. */
_Use_decl_annotations_ NTSTATUS CsqQueueWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PCSQ_QUEUE_EXTENSION extension = (PCSQ_QUEUE_EXTENSION)DeviceObject->DeviceExtension;
  ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Write.Length;
  ULONG_PTR written = 0;
  NTSTATUS status;
  PIRP read;

  PAGED_CODE();
  status = CsqQueueEnter(extension, Irp);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  read = length == 0 ? NULL : IoCsqRemoveNextIrp(&extension->Queue, NULL);
  if (read != NULL) {
    ULONG moved = min(length, IoGetCurrentIrpStackLocation(read)->Parameters.Read.Length);
    RtlCopyMemory(read->AssociatedIrp.SystemBuffer, Irp->AssociatedIrp.SystemBuffer, moved);
    DbgPrint("csq_queue: write of %lu bytes: %lu delivered\n", length, moved);
    CsqQueueComplete(extension, read, STATUS_SUCCESS, moved);
    written = length;
  } else {
    DbgPrint("csq_queue: write of %lu bytes: no read pending\n", length);
  }
  CsqQueueComplete(extension, Irp, STATUS_SUCCESS, written);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS CsqQueueDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PCSQ_QUEUE_EXTENSION extension = (PCSQ_QUEUE_EXTENSION)DeviceObject->DeviceExtension;
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  LARGE_INTEGER due;
  NTSTATUS status;
  ULONG milliseconds;

  PAGED_CODE();
  status = CsqQueueEnter(extension, Irp);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  if (stack->Parameters.DeviceIoControl.IoControlCode != IOCTL_CSQ_QUEUE_ARM_TIMER) {
    status = STATUS_INVALID_DEVICE_REQUEST;
  } else if (stack->Parameters.DeviceIoControl.InputBufferLength < sizeof(ULONG)) {
    status = STATUS_INVALID_PARAMETER;
  } else {
    milliseconds = *(const ULONG *)Irp->AssociatedIrp.SystemBuffer;
    due.QuadPart = -10000LL * milliseconds;
    KeSetTimer(&extension->Timer, due, &extension->TimerDpc);
    DbgPrint("csq_queue: timer armed for %lu ms\n", milliseconds);
  }
  CsqQueueComplete(extension, Irp, status, 0);
  return status;
}

/* DISPATCH_LEVEL: the timer expired; every read pending now completes with an empty message. */
_Use_decl_annotations_ VOID CsqQueueTimerDpc(PKDPC Dpc, PVOID Context, PVOID SystemArgument1, PVOID SystemArgument2) {
  PCSQ_QUEUE_EXTENSION extension = (PCSQ_QUEUE_EXTENSION)Context;
  ULONG completed = 0;
  PIRP read;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(SystemArgument1);
  UNREFERENCED_PARAMETER(SystemArgument2);

  while ((read = IoCsqRemoveNextIrp(&extension->Queue, NULL)) != NULL) {
    CsqQueueComplete(extension, read, STATUS_SUCCESS, 0);
    ++completed;
  }
  DbgPrint("csq_queue: timer expired: %lu reads completed\n", completed);
}

/* Runs once no file object is open on the device, so no read is queued. */
_Use_decl_annotations_ VOID CsqQueueUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(CSQ_QUEUE_LINK_NAME);
  PDEVICE_OBJECT device = DriverObject->DeviceObject;
  PCSQ_QUEUE_EXTENSION extension = (PCSQ_QUEUE_EXTENSION)device->DeviceExtension;

  PAGED_CODE();
  /* Wait for every request still inside the driver; new ones fail with STATUS_DELETE_PENDING. Then
   * nothing can set the timer again, and no DPC may run once the device is gone. */
  if (NT_SUCCESS(IoAcquireRemoveLock(&extension->RemoveLock, DriverObject))) {
    IoReleaseRemoveLockAndWait(&extension->RemoveLock, DriverObject);
  }
  KeCancelTimer(&extension->Timer);
  KeFlushQueuedDpcs();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(device);
  DbgPrint("csq_queue: unloaded\n");
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(CSQ_QUEUE_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(CSQ_QUEUE_LINK_NAME);
  PCSQ_QUEUE_EXTENSION extension;
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(CSQ_QUEUE_EXTENSION), &name, FILE_DEVICE_CSQ_QUEUE,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  extension = (PCSQ_QUEUE_EXTENSION)device->DeviceExtension;
  RtlZeroMemory(extension, sizeof(*extension));
  KeInitializeSpinLock(&extension->QueueLock);
  InitializeListHead(&extension->PendingReads);
  status = IoCsqInitializeEx(&extension->Queue, CsqQueueInsertIrpEx, CsqQueueRemoveIrp, CsqQueuePeekNextIrp,
                             CsqQueueAcquireLock, CsqQueueReleaseLock, CsqQueueCompleteCanceledIrp);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  IoInitializeRemoveLock(&extension->RemoveLock, CSQ_QUEUE_TAG, 0, 0);
  KeInitializeTimer(&extension->Timer);
  KeInitializeDpc(&extension->TimerDpc, CsqQueueTimerDpc, extension);
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }

  DriverObject->MajorFunction[IRP_MJ_CREATE] = CsqQueueCreate;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = CsqQueueCleanup;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = CsqQueueClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = CsqQueueRead;
  DriverObject->MajorFunction[IRP_MJ_WRITE] = CsqQueueWrite;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = CsqQueueDeviceControl;
  DriverObject->DriverUnload = CsqQueueUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  DbgPrint("csq_queue: loaded\n");
  return STATUS_SUCCESS;
}
