/*
 * pending_not_marked - BUGGY ON PURPOSE: a read is left waiting and STATUS_PENDING returned
 * without IoMarkIrpPending.
 *
 * The device is a one-slot mailbox. A read waits until a write arrives; the write dispatch routine
 * copies its bytes into the waiting read, completes it, then completes itself. One read may wait
 * at a time; a second one fails with STATUS_DEVICE_BUSY.
 *
 * The bug: the read dispatch routine parks the read in the slot and returns STATUS_PENDING without
 * calling IoMarkIrpPending. When the write completes the read, the I/O manager sees no pending
 * return on it and leaves its final stage to the service, which was told STATUS_PENDING and has
 * long returned: the application's read never finishes.
 *
 * The interleaving that exposes it: none. An overlapped read, then a write.
 *
 * What Windows reports with Driver Verifier's enhanced I/O verification, and the lab with it:
 * 0xC9 DRIVER_VERIFIER_IOMANAGER_VIOLATION, P1 = 0x23D (STATUS_PENDING returned without
 * IoMarkIrpPending; rule MarkIrpPending2), non-fatal, P2 = the read dispatch routine, P3 = the
 * IRP, P4 = 0x103. When the application's thread ends with the read still outstanding, the
 * verifier reports it too: 0xC4 / 0x135 [IRP, 300000 ms, 0], also non-fatal. The driver logs the
 * IRP and its read routine.
 */
#include <ntddk.h>

#define PENDING_NOT_MARKED_DEVICE_NAME L"\\Device\\PendingNotMarked"
#define PENDING_NOT_MARKED_LINK_NAME L"\\??\\PendingNotMarked"

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD PendingNotMarkedUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH PendingNotMarkedCreateClose;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH PendingNotMarkedRead;
_Dispatch_type_(IRP_MJ_WRITE) DRIVER_DISPATCH PendingNotMarkedWrite;

typedef struct _PENDING_NOT_MARKED_EXTENSION {
  KSPIN_LOCK Lock;  /* protects WaitingRead */
  PIRP WaitingRead; /* the read waiting for a write */
} PENDING_NOT_MARKED_EXTENSION, *PPENDING_NOT_MARKED_EXTENSION;

static NTSTATUS PendingNotMarkedComplete(_In_ PIRP Irp, _In_ NTSTATUS Status, _In_ ULONG_PTR Information) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS PendingNotMarkedCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return PendingNotMarkedComplete(Irp, STATUS_SUCCESS, 0);
}

_Use_decl_annotations_ NTSTATUS PendingNotMarkedRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PPENDING_NOT_MARKED_EXTENSION extension = (PPENDING_NOT_MARKED_EXTENSION)DeviceObject->DeviceExtension;
  KIRQL irql;

  KeAcquireSpinLock(&extension->Lock, &irql);
  if (extension->WaitingRead != NULL) {
    KeReleaseSpinLock(&extension->Lock, irql);
    return PendingNotMarkedComplete(Irp, STATUS_DEVICE_BUSY, 0);
  }
  extension->WaitingRead = Irp;
  KeReleaseSpinLock(&extension->Lock, irql);
  DbgPrint("pending_not_marked: read %p routine %p\n", Irp, (PVOID)PendingNotMarkedRead);
  return STATUS_PENDING; /* BUG: IoMarkIrpPending(Irp) must come first */
}

_Use_decl_annotations_ NTSTATUS PendingNotMarkedWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PPENDING_NOT_MARKED_EXTENSION extension = (PPENDING_NOT_MARKED_EXTENSION)DeviceObject->DeviceExtension;
  ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Write.Length;
  PIRP read;
  ULONG copied;
  KIRQL irql;

  KeAcquireSpinLock(&extension->Lock, &irql);
  read = extension->WaitingRead;
  extension->WaitingRead = NULL;
  KeReleaseSpinLock(&extension->Lock, irql);
  if (read != NULL) {
    copied = IoGetCurrentIrpStackLocation(read)->Parameters.Read.Length;
    if (copied > length) {
      copied = length;
    }
    RtlCopyMemory(read->AssociatedIrp.SystemBuffer, Irp->AssociatedIrp.SystemBuffer, copied);
    DbgPrint("pending_not_marked: write completes read %p\n", read);
    PendingNotMarkedComplete(read, STATUS_SUCCESS, copied);
  }
  return PendingNotMarkedComplete(Irp, STATUS_SUCCESS, length);
}

_Use_decl_annotations_ VOID PendingNotMarkedUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(PENDING_NOT_MARKED_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(PENDING_NOT_MARKED_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(PENDING_NOT_MARKED_LINK_NAME);
  PPENDING_NOT_MARKED_EXTENSION extension;
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(PENDING_NOT_MARKED_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = (PPENDING_NOT_MARKED_EXTENSION)device->DeviceExtension;
  KeInitializeSpinLock(&extension->Lock);
  extension->WaitingRead = NULL;
  DriverObject->MajorFunction[IRP_MJ_CREATE] = PendingNotMarkedCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = PendingNotMarkedCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = PendingNotMarkedCreateClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = PendingNotMarkedRead;
  DriverObject->MajorFunction[IRP_MJ_WRITE] = PendingNotMarkedWrite;
  DriverObject->DriverUnload = PendingNotMarkedUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
