/*
 * pool_double_free - BUGGY ON PURPOSE: frees the same pool block twice on an error path.
 *
 * Each open of \Device\PoolDoubleFree allocates a scratch buffer and validates the open; an
 * open that names a file below the device is refused with STATUS_OBJECT_NAME_NOT_FOUND after
 * freeing the buffer, and the common exit frees the buffer too.
 *
 * The bug: the error path frees the buffer and leaves the pointer set, so the common exit frees it
 * a second time. Without Driver Verifier, Windows stops with bug check 0xC2 BAD_POOL_CALLER
 * (P1 = 7) if the block is still free, or corrupts the pool if it was reused in between.
 *
 * What exposes it: opening \\.\PoolDoubleFree\anything. What Windows reports with Driver
 * Verifier: bug check 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION, P1 = 0x13 (the block was already
 * freed), P3 = the block's pool header (16 bytes before the block on x64), P4 = the header's
 * contents. The lab reports the same, with the block's tag, size and allocating stack.
 */
#include <ntddk.h>

#define POOL_DOUBLE_FREE_DEVICE_NAME L"\\Device\\PoolDoubleFree"
#define POOL_DOUBLE_FREE_LINK_NAME L"\\??\\PoolDoubleFree"
#define POOL_DOUBLE_FREE_TAG 'fbdP'
#define POOL_DOUBLE_FREE_BYTES 128

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD PoolDoubleFreeUnload;
_Dispatch_type_(IRP_MJ_CREATE) DRIVER_DISPATCH PoolDoubleFreeCreate;
_Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP) DRIVER_DISPATCH PoolDoubleFreeClose;

static NTSTATUS PoolDoubleFreeComplete(_Inout_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS PoolDoubleFreeCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PFILE_OBJECT file = IoGetCurrentIrpStackLocation(Irp)->FileObject;
  NTSTATUS status = STATUS_SUCCESS;
  PVOID scratch;
  UNREFERENCED_PARAMETER(DeviceObject);

  scratch = ExAllocatePoolWithTag(NonPagedPoolNx, POOL_DOUBLE_FREE_BYTES, POOL_DOUBLE_FREE_TAG);
  if (scratch == NULL) {
    return PoolDoubleFreeComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
  }
  DbgPrint("pool_double_free: scratch %p\n", scratch);
  if (file->FileName.Length != 0) {
    ExFreePoolWithTag(scratch, POOL_DOUBLE_FREE_TAG);
    /* BUG: scratch is not set to NULL, so the exit below frees it again. */
    status = STATUS_OBJECT_NAME_NOT_FOUND;
  }
  if (scratch != NULL) {
    ExFreePoolWithTag(scratch, POOL_DOUBLE_FREE_TAG);
  }
  return PoolDoubleFreeComplete(Irp, status);
}

_Use_decl_annotations_ NTSTATUS PoolDoubleFreeClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return PoolDoubleFreeComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ VOID PoolDoubleFreeUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(POOL_DOUBLE_FREE_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(POOL_DOUBLE_FREE_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(POOL_DOUBLE_FREE_LINK_NAME);
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, 0, &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  DriverObject->MajorFunction[IRP_MJ_CREATE] = PoolDoubleFreeCreate;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = PoolDoubleFreeClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = PoolDoubleFreeClose;
  DriverObject->DriverUnload = PoolDoubleFreeUnload;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
