/*
 * cancel_spinlock - a legacy driver that holds reads for an unbounded time in a queue of its own,
 * made cancelable with a cancel routine: the pattern that predates cancel-safe queues, written so
 * that it is correct (see cancel_spinlock_public.h for what callers see; the csq_queue sample has
 * the same protocol over IoCsq*, which is what new drivers should use).
 *
 * The queue is a LIST_ENTRY of IRPs linked through Irp->Tail.Overlay.ListEntry, guarded by the
 * driver's QueueLock. The cancel spin lock is only ever held by the I/O manager around the call
 * to the cancel routine, which drops it first thing. Ownership of a queued read is decided by one
 * atomic exchange, IoSetCancelRoutine(Irp, NULL):
 *   - non-NULL: the caller took the cancel routine back, so no cancel routine will run for this
 *     IRP; the caller owns it and completes it.
 *   - NULL: IoCancelIrp has taken the routine and is calling it (or is about to); the routine
 *     owns the IRP. The caller must leave it alone, except that it may unlink it from the queue
 *     if it reinitialises the entry (InitializeListHead), so that the routine's RemoveEntryList
 *     is harmless.
 *
 * Queuing a read (dispatch, under QueueLock): link it into the queue, IoMarkIrpPending, set the
 * cancel routine, then look at Irp->Cancel again: the read may have been cancelled before the
 * routine was set, in which case IoCancelIrp found no routine and did nothing. If Irp->Cancel is
 * set and the exchange above returns non-NULL, the dispatch routine unlinks the read and completes
 * it STATUS_CANCELLED itself; if it returns NULL, the routine is already running and will find the
 * read in the queue once QueueLock is released. Either way the dispatch routine returns
 * STATUS_PENDING: the read was marked pending before QueueLock was released.
 *
 * The cancel routine: IoReleaseCancelSpinLock(Irp->CancelIrql), then QueueLock, RemoveEntryList,
 * release, complete STATUS_CANCELLED. The cancel spin lock is one lock for the whole system:
 * holding it while waiting for QueueLock would hold up every cancellation of every driver behind
 * this driver's queue. Released first, it is never held together with QueueLock, so the two have
 * no order to keep.
 *
 * Taking reads out (a write: the oldest; the timer: all; cleanup: those of one file object), under
 * QueueLock: unlink each candidate, and keep it only if IoSetCancelRoutine(Irp, NULL) returns
 * non-NULL; otherwise reinitialise its entry and leave it to its cancel routine. Kept reads are
 * completed after QueueLock is released.
 *
 * Invariants: every read in the queue has a cancel routine set or is being cancelled; exactly one
 * path completes each read; PendingReads and every Open->CleanedUp change only under QueueLock, and
 * no read of an open that has been cleaned up is ever queued. DriverUnload, which runs once no file
 * object is open on the device (so no read is queued and no request is inside the driver), cancels
 * the timer and flushes its DPC before it deletes the device.
 */
#include <ntddk.h>

#include "cancel_spinlock_public.h"

#define CANCEL_SPINLOCK_TAG 'LpsC'

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD CancelSpinLockUnload;
DRIVER_CANCEL CancelSpinLockCancelRead;
_Dispatch_type_(IRP_MJ_CREATE) DRIVER_DISPATCH CancelSpinLockCreate;
_Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH CancelSpinLockClose;
_Dispatch_type_(IRP_MJ_CLEANUP) DRIVER_DISPATCH CancelSpinLockCleanup;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH CancelSpinLockRead;
_Dispatch_type_(IRP_MJ_WRITE) DRIVER_DISPATCH CancelSpinLockWrite;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH CancelSpinLockDeviceControl;
KDEFERRED_ROUTINE CancelSpinLockTimerDpc;

/* One per file object, in FileObject->FsContext from IRP_MJ_CREATE to IRP_MJ_CLOSE. */
typedef struct _CANCEL_SPINLOCK_OPEN {
  BOOLEAN CleanedUp; /* IRP_MJ_CLEANUP has run; guarded by QueueLock */
} CANCEL_SPINLOCK_OPEN, *PCANCEL_SPINLOCK_OPEN;

typedef struct _CANCEL_SPINLOCK_EXTENSION {
  KSPIN_LOCK QueueLock;
  LIST_ENTRY PendingReads; /* oldest first, through Irp->Tail.Overlay.ListEntry */
  KTIMER Timer;
  KDPC TimerDpc; /* CancelSpinLockTimerDpc, context: this extension */
} CANCEL_SPINLOCK_EXTENSION, *PCANCEL_SPINLOCK_EXTENSION;

#ifdef ALLOC_PRAGMA
#pragma alloc_text(INIT, DriverEntry)
#pragma alloc_text(PAGE, CancelSpinLockUnload)
#pragma alloc_text(PAGE, CancelSpinLockCreate)
#pragma alloc_text(PAGE, CancelSpinLockClose)
#pragma alloc_text(PAGE, CancelSpinLockCleanup)
#pragma alloc_text(PAGE, CancelSpinLockRead)
#pragma alloc_text(PAGE, CancelSpinLockWrite)
#pragma alloc_text(PAGE, CancelSpinLockDeviceControl)
#endif

static VOID CancelSpinLockComplete(_In_ PIRP Irp, _In_ NTSTATUS Status, _In_ ULONG_PTR Information) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

/*
 * With QueueLock held: moves the queued reads of FileObject (of any file object if NULL), oldest
 * first and at most Limit of them, from the queue to Taken, each with its cancel routine cleared.
 * A read whose cancel routine is already gone is being cancelled: it is unlinked with its entry
 * reinitialised, and left to the cancel routine. Returns how many reads were moved to Taken.
 */
static ULONG CancelSpinLockTakeReads(_In_ PCANCEL_SPINLOCK_EXTENSION Extension, _In_opt_ PFILE_OBJECT FileObject,
                                     _In_ ULONG Limit, _Inout_ PLIST_ENTRY Taken) {
  PLIST_ENTRY entry = Extension->PendingReads.Flink;
  ULONG count = 0;

  while (entry != &Extension->PendingReads && count < Limit) {
    PIRP irp = CONTAINING_RECORD(entry, IRP, Tail.Overlay.ListEntry);
    entry = entry->Flink;
    if (FileObject != NULL && IoGetCurrentIrpStackLocation(irp)->FileObject != FileObject) {
      continue;
    }
    RemoveEntryList(&irp->Tail.Overlay.ListEntry);
    if (IoSetCancelRoutine(irp, NULL) == NULL) {
      InitializeListHead(&irp->Tail.Overlay.ListEntry);
      continue;
    }
    InsertTailList(Taken, &irp->Tail.Overlay.ListEntry);
    ++count;
  }
  return count;
}

/* Completes every read in Taken (see CancelSpinLockTakeReads); no lock held. */
static VOID CancelSpinLockCompleteReads(_Inout_ PLIST_ENTRY Taken, _In_ NTSTATUS Status) {
  while (!IsListEmpty(Taken)) {
    PLIST_ENTRY entry = RemoveHeadList(Taken);
    CancelSpinLockComplete(CONTAINING_RECORD(entry, IRP, Tail.Overlay.ListEntry), Status, 0);
  }
}

/* DISPATCH_LEVEL, called by IoCancelIrp with the cancel spin lock held; releases it. */
_Use_decl_annotations_ VOID CancelSpinLockCancelRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PCANCEL_SPINLOCK_EXTENSION extension = (PCANCEL_SPINLOCK_EXTENSION)DeviceObject->DeviceExtension;
  KIRQL irql;

  IoReleaseCancelSpinLock(Irp->CancelIrql);
  KeAcquireSpinLock(&extension->QueueLock, &irql);
  RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
  KeReleaseSpinLock(&extension->QueueLock, irql);
  DbgPrint("cancel_spinlock: read cancelled\n");
  CancelSpinLockComplete(Irp, STATUS_CANCELLED, 0);
}

_Use_decl_annotations_ NTSTATUS CancelSpinLockCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PFILE_OBJECT file = IoGetCurrentIrpStackLocation(Irp)->FileObject;
  PCANCEL_SPINLOCK_OPEN open;
  NTSTATUS status = STATUS_SUCCESS;
  UNREFERENCED_PARAMETER(DeviceObject);

  PAGED_CODE();
  open = (PCANCEL_SPINLOCK_OPEN)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(CANCEL_SPINLOCK_OPEN), CANCEL_SPINLOCK_TAG);
  if (open == NULL) {
    status = STATUS_INSUFFICIENT_RESOURCES;
  } else {
    open->CleanedUp = FALSE;
    file->FsContext = open;
    DbgPrint("cancel_spinlock: create\n");
  }
  CancelSpinLockComplete(Irp, status, 0);
  return status;
}

/* The last handle to the file object is closed: end its reads, and refuse any that arrive later. */
_Use_decl_annotations_ NTSTATUS CancelSpinLockCleanup(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PCANCEL_SPINLOCK_EXTENSION extension = (PCANCEL_SPINLOCK_EXTENSION)DeviceObject->DeviceExtension;
  PFILE_OBJECT file = IoGetCurrentIrpStackLocation(Irp)->FileObject;
  LIST_ENTRY taken;
  ULONG cancelled;
  KIRQL irql;

  PAGED_CODE();
  InitializeListHead(&taken);
  KeAcquireSpinLock(&extension->QueueLock, &irql);
  ((PCANCEL_SPINLOCK_OPEN)file->FsContext)->CleanedUp = TRUE;
  cancelled = CancelSpinLockTakeReads(extension, file, MAXULONG, &taken);
  KeReleaseSpinLock(&extension->QueueLock, irql);
  CancelSpinLockCompleteReads(&taken, STATUS_CANCELLED);
  DbgPrint("cancel_spinlock: cleanup: %lu reads cancelled\n", cancelled);
  CancelSpinLockComplete(Irp, STATUS_SUCCESS, 0);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS CancelSpinLockClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PFILE_OBJECT file = IoGetCurrentIrpStackLocation(Irp)->FileObject;
  UNREFERENCED_PARAMETER(DeviceObject);

  PAGED_CODE();
  /* No request of this file object is outstanding: each held a reference to it. */
  if (file->FsContext != NULL) {
    ExFreePoolWithTag(file->FsContext, CANCEL_SPINLOCK_TAG);
    file->FsContext = NULL;
  }
  DbgPrint("cancel_spinlock: close\n");
  CancelSpinLockComplete(Irp, STATUS_SUCCESS, 0);
  return STATUS_SUCCESS;
}

/* Queues the read, cancelable; returns STATUS_PENDING for it, though it may be completed by then. */
_Use_decl_annotations_ NTSTATUS CancelSpinLockRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PCANCEL_SPINLOCK_EXTENSION extension = (PCANCEL_SPINLOCK_EXTENSION)DeviceObject->DeviceExtension;
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  ULONG length = stack->Parameters.Read.Length;
  BOOLEAN cancelled = FALSE;
  KIRQL irql;

  PAGED_CODE();
  DbgPrint("cancel_spinlock: read of %lu bytes arrives\n", length);
  if (length == 0) {
    CancelSpinLockComplete(Irp, STATUS_SUCCESS, 0);
    return STATUS_SUCCESS;
  }
  KeAcquireSpinLock(&extension->QueueLock, &irql);
  if (((PCANCEL_SPINLOCK_OPEN)stack->FileObject->FsContext)->CleanedUp) {
    KeReleaseSpinLock(&extension->QueueLock, irql);
    DbgPrint("cancel_spinlock: read refused: its open is cleaned up\n");
    CancelSpinLockComplete(Irp, STATUS_CANCELLED, 0);
    return STATUS_CANCELLED;
  }
  InsertTailList(&extension->PendingReads, &Irp->Tail.Overlay.ListEntry);
  IoMarkIrpPending(Irp);
  IoSetCancelRoutine(Irp, CancelSpinLockCancelRead);
  if (Irp->Cancel && IoSetCancelRoutine(Irp, NULL) != NULL) {
    /* Cancelled before the routine was set, and no cancel routine will run: ours to complete. */
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
    cancelled = TRUE;
  }
  /* Otherwise queued; if Irp->Cancel is set, the cancel routine is waiting for QueueLock. */
  KeReleaseSpinLock(&extension->QueueLock, irql);
  if (cancelled) {
    DbgPrint("cancel_spinlock: read cancelled\n");
    CancelSpinLockComplete(Irp, STATUS_CANCELLED, 0);
  }
  return STATUS_PENDING;
}

/* Hands the bytes to the oldest pending read, if there is one. */
_Use_decl_annotations_ NTSTATUS CancelSpinLockWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PCANCEL_SPINLOCK_EXTENSION extension = (PCANCEL_SPINLOCK_EXTENSION)DeviceObject->DeviceExtension;
  ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Write.Length;
  ULONG_PTR written = 0;
  LIST_ENTRY taken;
  KIRQL irql;

  PAGED_CODE();
  InitializeListHead(&taken);
  if (length != 0) {
    KeAcquireSpinLock(&extension->QueueLock, &irql);
    CancelSpinLockTakeReads(extension, NULL, 1, &taken);
    KeReleaseSpinLock(&extension->QueueLock, irql);
  }
  if (!IsListEmpty(&taken)) {
    PIRP read = CONTAINING_RECORD(taken.Flink, IRP, Tail.Overlay.ListEntry);
    ULONG moved = min(length, IoGetCurrentIrpStackLocation(read)->Parameters.Read.Length);
    RtlCopyMemory(read->AssociatedIrp.SystemBuffer, Irp->AssociatedIrp.SystemBuffer, moved);
    DbgPrint("cancel_spinlock: write of %lu bytes: %lu delivered\n", length, moved);
    CancelSpinLockComplete(read, STATUS_SUCCESS, moved);
    written = length;
  } else {
    DbgPrint("cancel_spinlock: write of %lu bytes: no read pending\n", length);
  }
  CancelSpinLockComplete(Irp, STATUS_SUCCESS, written);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS CancelSpinLockDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PCANCEL_SPINLOCK_EXTENSION extension = (PCANCEL_SPINLOCK_EXTENSION)DeviceObject->DeviceExtension;
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  NTSTATUS status = STATUS_SUCCESS;
  LARGE_INTEGER due;
  ULONG milliseconds;

  PAGED_CODE();
  if (stack->Parameters.DeviceIoControl.IoControlCode != IOCTL_CANCEL_SPINLOCK_ARM_TIMER) {
    status = STATUS_INVALID_DEVICE_REQUEST;
  } else if (stack->Parameters.DeviceIoControl.InputBufferLength < sizeof(ULONG)) {
    status = STATUS_INVALID_PARAMETER;
  } else {
    milliseconds = *(const ULONG *)Irp->AssociatedIrp.SystemBuffer;
    due.QuadPart = -10000LL * milliseconds;
    KeSetTimer(&extension->Timer, due, &extension->TimerDpc);
    DbgPrint("cancel_spinlock: timer armed for %lu ms\n", milliseconds);
  }
  CancelSpinLockComplete(Irp, status, 0);
  return status;
}

/* DISPATCH_LEVEL: the timer expired; every read pending now completes with an empty message. */
_Use_decl_annotations_ VOID CancelSpinLockTimerDpc(PKDPC Dpc, PVOID Context, PVOID SystemArgument1,
                                                   PVOID SystemArgument2) {
  PCANCEL_SPINLOCK_EXTENSION extension = (PCANCEL_SPINLOCK_EXTENSION)Context;
  LIST_ENTRY taken;
  ULONG completed;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(SystemArgument1);
  UNREFERENCED_PARAMETER(SystemArgument2);

  InitializeListHead(&taken);
  KeAcquireSpinLockAtDpcLevel(&extension->QueueLock);
  completed = CancelSpinLockTakeReads(extension, NULL, MAXULONG, &taken);
  KeReleaseSpinLockFromDpcLevel(&extension->QueueLock);
  CancelSpinLockCompleteReads(&taken, STATUS_SUCCESS);
  DbgPrint("cancel_spinlock: timer expired: %lu reads completed\n", completed);
}

_Use_decl_annotations_ VOID CancelSpinLockUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(CANCEL_SPINLOCK_LINK_NAME);
  PDEVICE_OBJECT device = DriverObject->DeviceObject;
  PCANCEL_SPINLOCK_EXTENSION extension = (PCANCEL_SPINLOCK_EXTENSION)device->DeviceExtension;

  PAGED_CODE();
  KeCancelTimer(&extension->Timer);
  KeFlushQueuedDpcs();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(device);
  DbgPrint("cancel_spinlock: unloaded\n");
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(CANCEL_SPINLOCK_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(CANCEL_SPINLOCK_LINK_NAME);
  PCANCEL_SPINLOCK_EXTENSION extension;
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(CANCEL_SPINLOCK_EXTENSION), &name, FILE_DEVICE_CANCEL_SPINLOCK,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  extension = (PCANCEL_SPINLOCK_EXTENSION)device->DeviceExtension;
  RtlZeroMemory(extension, sizeof(*extension));
  KeInitializeSpinLock(&extension->QueueLock);
  InitializeListHead(&extension->PendingReads);
  KeInitializeTimer(&extension->Timer);
  KeInitializeDpc(&extension->TimerDpc, CancelSpinLockTimerDpc, extension);
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }

  DriverObject->MajorFunction[IRP_MJ_CREATE] = CancelSpinLockCreate;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = CancelSpinLockCleanup;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = CancelSpinLockClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = CancelSpinLockRead;
  DriverObject->MajorFunction[IRP_MJ_WRITE] = CancelSpinLockWrite;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = CancelSpinLockDeviceControl;
  DriverObject->DriverUnload = CancelSpinLockUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  DbgPrint("cancel_spinlock: loaded\n");
  return STATUS_SUCCESS;
}
