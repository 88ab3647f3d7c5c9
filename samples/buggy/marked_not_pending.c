/*
 * marked_not_pending - BUGGY ON PURPOSE: a read is marked pending and then completed at once with
 * STATUS_SUCCESS returned.
 *
 * The device is a one-slot mailbox. A write stores up to 16 bytes; a read takes them, or waits for
 * the next write when the mailbox is empty. One read may wait at a time.
 *
 * The bug: the read dispatch routine calls IoMarkIrpPending up front, "in case it has to wait",
 * and when the mailbox is full completes the read and returns STATUS_SUCCESS. A routine that marks
 * an IRP pending must return STATUS_PENDING: the I/O manager now finishes the request twice over,
 * once for the synchronous status and once in the completion APC the pending mark asked for.
 *
 * The interleaving that exposes it: none. A write, then a read.
 *
 * What Windows reports with Driver Verifier's enhanced I/O verification, and the lab with it:
 * 0xC9 DRIVER_VERIFIER_IOMANAGER_VIOLATION, P1 = 0x23E (IoMarkIrpPending but STATUS_PENDING not
 * returned; rule MarkIrpPending), non-fatal, P2 = the read dispatch routine, P3 = the IRP, P4 = the
 * status returned (0). The read still delivers its bytes. The driver logs the IRP and its read
 * routine.
 */
#include <ntddk.h>

#define MARKED_NOT_PENDING_DEVICE_NAME L"\\Device\\MarkedNotPending"
#define MARKED_NOT_PENDING_LINK_NAME L"\\??\\MarkedNotPending"
#define MARKED_NOT_PENDING_SIZE 16

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD MarkedNotPendingUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH MarkedNotPendingCreateClose;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH MarkedNotPendingRead;
_Dispatch_type_(IRP_MJ_WRITE) DRIVER_DISPATCH MarkedNotPendingWrite;

typedef struct _MARKED_NOT_PENDING_EXTENSION {
  KSPIN_LOCK Lock;  /* protects the rest */
  PIRP WaitingRead; /* a read waiting for a write */
  ULONG Length;     /* bytes in the mailbox */
  UCHAR Data[MARKED_NOT_PENDING_SIZE];
} MARKED_NOT_PENDING_EXTENSION, *PMARKED_NOT_PENDING_EXTENSION;

static NTSTATUS MarkedNotPendingComplete(_In_ PIRP Irp, _In_ NTSTATUS Status, _In_ ULONG_PTR Information) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

/* Moves the mailbox's bytes into `Read`; the lock is held. */
static ULONG MarkedNotPendingTake(_In_ PMARKED_NOT_PENDING_EXTENSION Extension, _In_ PIRP Read) {
  ULONG length = IoGetCurrentIrpStackLocation(Read)->Parameters.Read.Length;

  if (length > Extension->Length) {
    length = Extension->Length;
  }
  RtlCopyMemory(Read->AssociatedIrp.SystemBuffer, Extension->Data, length);
  Extension->Length = 0;
  return length;
}

_Use_decl_annotations_ NTSTATUS MarkedNotPendingCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return MarkedNotPendingComplete(Irp, STATUS_SUCCESS, 0);
}

_Use_decl_annotations_ NTSTATUS MarkedNotPendingRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PMARKED_NOT_PENDING_EXTENSION extension = (PMARKED_NOT_PENDING_EXTENSION)DeviceObject->DeviceExtension;
  ULONG taken;
  KIRQL irql;

  DbgPrint("marked_not_pending: read %p routine %p\n", Irp, (PVOID)MarkedNotPendingRead);
  IoMarkIrpPending(Irp);
  KeAcquireSpinLock(&extension->Lock, &irql);
  if (extension->Length != 0) {
    taken = MarkedNotPendingTake(extension, Irp);
    KeReleaseSpinLock(&extension->Lock, irql);
    return MarkedNotPendingComplete(Irp, STATUS_SUCCESS, taken); /* BUG: marked pending, so STATUS_PENDING */
  }
  if (extension->WaitingRead != NULL) {
    KeReleaseSpinLock(&extension->Lock, irql);
    MarkedNotPendingComplete(Irp, STATUS_DEVICE_BUSY, 0);
    return STATUS_PENDING;
  }
  extension->WaitingRead = Irp;
  KeReleaseSpinLock(&extension->Lock, irql);
  return STATUS_PENDING;
}

_Use_decl_annotations_ NTSTATUS MarkedNotPendingWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PMARKED_NOT_PENDING_EXTENSION extension = (PMARKED_NOT_PENDING_EXTENSION)DeviceObject->DeviceExtension;
  ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Write.Length;
  PIRP read;
  ULONG taken = 0;
  KIRQL irql;

  if (length > MARKED_NOT_PENDING_SIZE) {
    length = MARKED_NOT_PENDING_SIZE;
  }
  KeAcquireSpinLock(&extension->Lock, &irql);
  RtlCopyMemory(extension->Data, Irp->AssociatedIrp.SystemBuffer, length);
  extension->Length = length;
  read = extension->WaitingRead;
  extension->WaitingRead = NULL;
  if (read != NULL) {
    taken = MarkedNotPendingTake(extension, read);
  }
  KeReleaseSpinLock(&extension->Lock, irql);
  if (read != NULL) {
    MarkedNotPendingComplete(read, STATUS_SUCCESS, taken);
  }
  return MarkedNotPendingComplete(Irp, STATUS_SUCCESS, length);
}

_Use_decl_annotations_ VOID MarkedNotPendingUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(MARKED_NOT_PENDING_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(MARKED_NOT_PENDING_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(MARKED_NOT_PENDING_LINK_NAME);
  PMARKED_NOT_PENDING_EXTENSION extension;
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(MARKED_NOT_PENDING_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = (PMARKED_NOT_PENDING_EXTENSION)device->DeviceExtension;
  RtlZeroMemory(extension, sizeof(*extension));
  KeInitializeSpinLock(&extension->Lock);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = MarkedNotPendingCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = MarkedNotPendingCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = MarkedNotPendingCreateClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = MarkedNotPendingRead;
  DriverObject->MajorFunction[IRP_MJ_WRITE] = MarkedNotPendingWrite;
  DriverObject->DriverUnload = MarkedNotPendingUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
