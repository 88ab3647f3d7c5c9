/*
 * remove_lock_tag_mismatch - BUGGY ON PURPOSE: a remove lock is released with a tag no acquisition
 * used.
 *
 * The device protects its requests with a remove lock, acquired with the IRP as the tag, as the
 * documentation suggests. IOCTL_RLTM_PING (METHOD_BUFFERED) is answered at once.
 *
 * The bug: the routine releases the lock with the device object as the tag instead of the IRP.
 * The count still balances, but the tags that tell which request holds the lock (and that a
 * checked build asserts on) no longer match, so a leaked acquisition cannot be traced.
 *
 * The interleaving that exposes it: none. One ping.
 *
 * What Windows reports with Driver Verifier's I/O Verification, and the lab with it: bug check
 * 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION, P1 = 0xD5 (IoReleaseRemoveLock tag does not match an
 * acquisition), P2 = the remove lock, P3 = the tag released (the device object), P4 = the tag of
 * the acquisition still held (the IRP), in RemoveLockTagMismatchDeviceControl. The driver logs the
 * three addresses.
 */
#include <ntddk.h>

#define RLTM_DEVICE_NAME L"\\Device\\RemoveLockTagMismatch"
#define RLTM_LINK_NAME L"\\??\\RemoveLockTagMismatch"
#define IOCTL_RLTM_PING CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD RemoveLockTagMismatchUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH RemoveLockTagMismatchCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH RemoveLockTagMismatchDeviceControl;

typedef struct _RLTM_EXTENSION {
  IO_REMOVE_LOCK RemoveLock;
} RLTM_EXTENSION, *PRLTM_EXTENSION;

static NTSTATUS RemoveLockTagMismatchComplete(_In_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS RemoveLockTagMismatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return RemoveLockTagMismatchComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ NTSTATUS RemoveLockTagMismatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PRLTM_EXTENSION extension = (PRLTM_EXTENSION)DeviceObject->DeviceExtension;
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  NTSTATUS status;

  status = IoAcquireRemoveLock(&extension->RemoveLock, Irp);
  if (!NT_SUCCESS(status)) {
    return RemoveLockTagMismatchComplete(Irp, status);
  }
  DbgPrint("remove_lock_tag_mismatch: ping %p lock %p device %p\n", Irp, &extension->RemoveLock, DeviceObject);
  status = stack->Parameters.DeviceIoControl.IoControlCode == IOCTL_RLTM_PING ? STATUS_SUCCESS
                                                                              : STATUS_INVALID_DEVICE_REQUEST;
  IoReleaseRemoveLock(&extension->RemoveLock, DeviceObject); /* BUG: the tag is the IRP */
  return RemoveLockTagMismatchComplete(Irp, status);
}

_Use_decl_annotations_ VOID RemoveLockTagMismatchUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(RLTM_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(RLTM_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(RLTM_LINK_NAME);
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(RLTM_EXTENSION), &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN,
                          FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  IoInitializeRemoveLock(&((PRLTM_EXTENSION)device->DeviceExtension)->RemoveLock, 'mtlR', 0, 0);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = RemoveLockTagMismatchCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = RemoveLockTagMismatchCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = RemoveLockTagMismatchDeviceControl;
  DriverObject->DriverUnload = RemoveLockTagMismatchUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
