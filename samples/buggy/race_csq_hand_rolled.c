/*
 * race_csq_hand_rolled - BUGGY ON PURPOSE: a hand-written cancel-safe queue whose removal takes
 * an IRP off the list before it knows the IRP is its own.
 *
 * The device queues reads until a write arrives; a write completes the first queued read with a
 * copy of its bytes. The queue imitates what IoCsqInsertIrp and IoCsqRemoveNextIrp do: a read is
 * marked pending, linked into the list and given a cancel routine under the queue's spin lock; the
 * cancel routine releases the cancel spin lock, unlinks the read under the queue's lock and
 * completes it with STATUS_CANCELLED.
 *
 * The bug: the write unlinks the head read first and only then clears its cancel routine. When
 * IoSetCancelRoutine(Irp, NULL) returns NULL the read is being cancelled, so the write leaves it
 * to the cancel routine, which is right, but the read is no longer on the list, and the cancel
 * routine's RemoveEntryList unlinks an entry whose neighbours no longer point back to it. A
 * cancel-safe queue clears the cancel routine first and unlinks the IRP only if that succeeded
 * (IoCsqRemoveNextIrp skips an IRP whose cancellation is under way).
 *
 * The interleaving that exposes it: the cancel (CancelIo from the reading thread) reaches
 * IoCancelIrp after the write has unlinked the read and before it has cleared the cancel routine.
 * A cancel before the write finds the read on the list; one after it finds no cancel routine; a
 * write before the read finds an empty queue. All of those are clean.
 *
 * What Windows reports, and the lab: RemoveEntryList's list integrity check fails (__fastfail):
 * bug check 0x139 KERNEL_SECURITY_CHECK_FAILURE, P1 = 3 (FAST_FAIL_CORRUPT_LIST_ENTRY), in
 * RaceCsqHandRolledCancel (Windows' P2 and P3 are the trap frame and exception record; the lab's
 * are 0). Nobody has completed the read by then. The driver logs the read.
 */
#include <ntddk.h>

#define RACE_CSQ_HAND_ROLLED_DEVICE_NAME L"\\Device\\RaceCsqHandRolled"
#define RACE_CSQ_HAND_ROLLED_LINK_NAME L"\\??\\RaceCsqHandRolled"

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD RaceCsqHandRolledUnload;
DRIVER_CANCEL RaceCsqHandRolledCancel;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH RaceCsqHandRolledCreateClose;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH RaceCsqHandRolledRead;
_Dispatch_type_(IRP_MJ_WRITE) DRIVER_DISPATCH RaceCsqHandRolledWrite;

typedef struct _RACE_CSQ_HAND_ROLLED_EXTENSION {
  KSPIN_LOCK Lock;  /* protects Reads */
  LIST_ENTRY Reads; /* queued reads, linked through Tail.Overlay.ListEntry */
} RACE_CSQ_HAND_ROLLED_EXTENSION, *PRACE_CSQ_HAND_ROLLED_EXTENSION;

static PRACE_CSQ_HAND_ROLLED_EXTENSION RaceCsqHandRolledExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PRACE_CSQ_HAND_ROLLED_EXTENSION)DeviceObject->DeviceExtension;
}

static NTSTATUS RaceCsqHandRolledComplete(_In_ PIRP Irp, _In_ NTSTATUS Status, _In_ ULONG_PTR Information) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS RaceCsqHandRolledCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return RaceCsqHandRolledComplete(Irp, STATUS_SUCCESS, 0);
}

/* Queues the read, cancellable. */
_Use_decl_annotations_ NTSTATUS RaceCsqHandRolledRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PRACE_CSQ_HAND_ROLLED_EXTENSION extension = RaceCsqHandRolledExtension(DeviceObject);
  KIRQL irql;

  DbgPrint("race_csq_hand_rolled: read %p\n", Irp);
  KeAcquireSpinLock(&extension->Lock, &irql);
  IoMarkIrpPending(Irp);
  InsertTailList(&extension->Reads, &Irp->Tail.Overlay.ListEntry);
  IoSetCancelRoutine(Irp, RaceCsqHandRolledCancel);
  if (Irp->Cancel && IoSetCancelRoutine(Irp, NULL) != NULL) {
    /* Cancelled before the routine was set, and the routine was taken back: the read is ours. */
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&extension->Lock, irql);
    RaceCsqHandRolledComplete(Irp, STATUS_CANCELLED, 0);
    return STATUS_PENDING;
  }
  KeReleaseSpinLock(&extension->Lock, irql);
  return STATUS_PENDING;
}

/* Called with the cancel spin lock held, at DISPATCH_LEVEL. */
_Use_decl_annotations_ VOID RaceCsqHandRolledCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PRACE_CSQ_HAND_ROLLED_EXTENSION extension = RaceCsqHandRolledExtension(DeviceObject);
  KIRQL irql;

  IoReleaseCancelSpinLock(Irp->CancelIrql);
  KeAcquireSpinLock(&extension->Lock, &irql);
  RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
  KeReleaseSpinLock(&extension->Lock, irql);
  RaceCsqHandRolledComplete(Irp, STATUS_CANCELLED, 0);
}

/* Completes the first queued read with a copy of the write's bytes. */
_Use_decl_annotations_ NTSTATUS RaceCsqHandRolledWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PRACE_CSQ_HAND_ROLLED_EXTENSION extension = RaceCsqHandRolledExtension(DeviceObject);
  ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Write.Length;
  PIRP read = NULL;
  KIRQL irql;

  KeAcquireSpinLock(&extension->Lock, &irql);
  if (!IsListEmpty(&extension->Reads)) {
    /* BUG: unlinked before it is ours; the cancel routine may already own it. */
    read = CONTAINING_RECORD(RemoveHeadList(&extension->Reads), IRP, Tail.Overlay.ListEntry);
    if (IoSetCancelRoutine(read, NULL) == NULL) {
      read = NULL; /* being cancelled: the cancel routine completes it */
    }
  }
  KeReleaseSpinLock(&extension->Lock, irql);
  if (read != NULL) {
    ULONG copied = IoGetCurrentIrpStackLocation(read)->Parameters.Read.Length;

    if (copied > length) {
      copied = length;
    }
    RtlCopyMemory(read->AssociatedIrp.SystemBuffer, Irp->AssociatedIrp.SystemBuffer, copied);
    RaceCsqHandRolledComplete(read, STATUS_SUCCESS, copied);
  }
  return RaceCsqHandRolledComplete(Irp, STATUS_SUCCESS, length);
}

_Use_decl_annotations_ VOID RaceCsqHandRolledUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(RACE_CSQ_HAND_ROLLED_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(RACE_CSQ_HAND_ROLLED_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(RACE_CSQ_HAND_ROLLED_LINK_NAME);
  PRACE_CSQ_HAND_ROLLED_EXTENSION extension;
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(RACE_CSQ_HAND_ROLLED_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = RaceCsqHandRolledExtension(device);
  KeInitializeSpinLock(&extension->Lock);
  InitializeListHead(&extension->Reads);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = RaceCsqHandRolledCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = RaceCsqHandRolledCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = RaceCsqHandRolledCreateClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = RaceCsqHandRolledRead;
  DriverObject->MajorFunction[IRP_MJ_WRITE] = RaceCsqHandRolledWrite;
  DriverObject->DriverUnload = RaceCsqHandRolledUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
