/*
 * complete_with_cancel_routine - BUGGY ON PURPOSE: a read is completed while its cancel routine
 * is still set.
 *
 * The device is a one-slot mailbox. A read waits (pending, cancelable) until a write arrives; the
 * write dispatch routine copies its bytes into the waiting read and completes it, then completes
 * itself. Only one read may wait at a time; a second one fails with STATUS_DEVICE_BUSY.
 *
 * The bug: the write path takes the waiting read out of the slot and completes it without first
 * calling IoSetCancelRoutine(Irp, NULL). A completed IRP belongs to the I/O manager, which frees
 * it; a cancel routine still set on it could be called (by IoCancelIrp from CancelIoEx, or thread
 * exit) on freed memory. The write dispatch routine should clear the cancel routine and complete
 * the read only if IoSetCancelRoutine returned non-NULL (otherwise the cancel routine owns it).
 *
 * The interleaving that exposes it: none is needed. Any read followed by a write trips it: the
 * application issues an overlapped read, then writes.
 *
 * What Windows reports with Driver Verifier's I/O Verification, and the lab with it: bug check
 * 0xC9 DRIVER_VERIFIER_IOMANAGER_VIOLATION, P1 = 0x07 (IoCompleteRequest while a cancel routine
 * is still set), P2 = the cancel routine, P3 = the IRP, in CompleteWithCancelRoutineWrite.
 * The driver logs both addresses when the read starts waiting.
 */
#include <ntddk.h>

#define CWCR_DEVICE_NAME L"\\Device\\CompleteWithCancelRoutine"
#define CWCR_LINK_NAME L"\\??\\CompleteWithCancelRoutine"

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD CompleteWithCancelRoutineUnload;
DRIVER_CANCEL CompleteWithCancelRoutineCancel;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH CompleteWithCancelRoutineCreateClose;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH CompleteWithCancelRoutineRead;
_Dispatch_type_(IRP_MJ_WRITE) DRIVER_DISPATCH CompleteWithCancelRoutineWrite;

typedef struct _CWCR_EXTENSION {
  KSPIN_LOCK Lock; /* protects WaitingRead */
  PIRP WaitingRead; /* the read waiting for a write, cancelable */
} CWCR_EXTENSION, *PCWCR_EXTENSION;

static PCWCR_EXTENSION CompleteWithCancelRoutineExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PCWCR_EXTENSION)DeviceObject->DeviceExtension;
}

static NTSTATUS CompleteWithCancelRoutineComplete(_In_ PIRP Irp, _In_ NTSTATUS Status, _In_ ULONG_PTR Information) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS CompleteWithCancelRoutineCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return CompleteWithCancelRoutineComplete(Irp, STATUS_SUCCESS, 0);
}

/* Called with the cancel spin lock held; the read is still in the slot or the write took it. */
_Use_decl_annotations_ VOID CompleteWithCancelRoutineCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PCWCR_EXTENSION extension = CompleteWithCancelRoutineExtension(DeviceObject);
  KIRQL irql;

  IoReleaseCancelSpinLock(Irp->CancelIrql);
  KeAcquireSpinLock(&extension->Lock, &irql);
  if (extension->WaitingRead == Irp) {
    extension->WaitingRead = NULL;
  }
  KeReleaseSpinLock(&extension->Lock, irql);
  DbgPrint("complete_with_cancel_routine: read %p cancelled\n", Irp);
  CompleteWithCancelRoutineComplete(Irp, STATUS_CANCELLED, 0);
}

_Use_decl_annotations_ NTSTATUS CompleteWithCancelRoutineRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PCWCR_EXTENSION extension = CompleteWithCancelRoutineExtension(DeviceObject);
  KIRQL irql;

  KeAcquireSpinLock(&extension->Lock, &irql);
  if (extension->WaitingRead != NULL) {
    KeReleaseSpinLock(&extension->Lock, irql);
    return CompleteWithCancelRoutineComplete(Irp, STATUS_DEVICE_BUSY, 0);
  }
  IoMarkIrpPending(Irp);
  IoSetCancelRoutine(Irp, CompleteWithCancelRoutineCancel);
  if (Irp->Cancel && IoSetCancelRoutine(Irp, NULL) != NULL) {
    KeReleaseSpinLock(&extension->Lock, irql);
    CompleteWithCancelRoutineComplete(Irp, STATUS_CANCELLED, 0);
    return STATUS_PENDING;
  }
  extension->WaitingRead = Irp;
  KeReleaseSpinLock(&extension->Lock, irql);
  DbgPrint("complete_with_cancel_routine: read %p waits, cancel routine %p\n", Irp,
           (PVOID)(ULONG_PTR)CompleteWithCancelRoutineCancel);
  return STATUS_PENDING;
}

/* Hands the written bytes to the waiting read. */
_Use_decl_annotations_ NTSTATUS CompleteWithCancelRoutineWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PCWCR_EXTENSION extension = CompleteWithCancelRoutineExtension(DeviceObject);
  ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Write.Length;
  ULONG moved;
  PIRP read;
  KIRQL irql;

  KeAcquireSpinLock(&extension->Lock, &irql);
  read = extension->WaitingRead;
  extension->WaitingRead = NULL;
  KeReleaseSpinLock(&extension->Lock, irql);
  if (read == NULL) {
    return CompleteWithCancelRoutineComplete(Irp, STATUS_SUCCESS, 0);
  }
  moved = min(length, IoGetCurrentIrpStackLocation(read)->Parameters.Read.Length);
  RtlCopyMemory(read->AssociatedIrp.SystemBuffer, Irp->AssociatedIrp.SystemBuffer, moved);
  DbgPrint("complete_with_cancel_routine: write %p completes read %p with %lu bytes\n", Irp, read, moved);
  read->IoStatus.Status = STATUS_SUCCESS;
  read->IoStatus.Information = moved;
  /* BUG: the read's cancel routine is still set; IoSetCancelRoutine(read, NULL) must come first. */
  IoCompleteRequest(read, IO_NO_INCREMENT);
  return CompleteWithCancelRoutineComplete(Irp, STATUS_SUCCESS, moved);
}

_Use_decl_annotations_ VOID CompleteWithCancelRoutineUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(CWCR_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(CWCR_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(CWCR_LINK_NAME);
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(CWCR_EXTENSION), &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN,
                          FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  RtlZeroMemory(device->DeviceExtension, sizeof(CWCR_EXTENSION));
  KeInitializeSpinLock(&CompleteWithCancelRoutineExtension(device)->Lock);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = CompleteWithCancelRoutineCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = CompleteWithCancelRoutineCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = CompleteWithCancelRoutineCreateClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = CompleteWithCancelRoutineRead;
  DriverObject->MajorFunction[IRP_MJ_WRITE] = CompleteWithCancelRoutineWrite;
  DriverObject->DriverUnload = CompleteWithCancelRoutineUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
