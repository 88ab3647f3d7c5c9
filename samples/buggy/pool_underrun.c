/*
 * pool_underrun - BUGGY ON PURPOSE: writes the byte before a pool buffer.
 *
 * Each open of \Device\PoolUnderrun formats a greeting into a pool buffer, strips its trailing
 * blanks with PoolUnderrunTrim and frees the buffer. The greeting for an open without a file name
 * is empty.
 *
 * The bug: PoolUnderrunTrim stores its terminator before looking at the length, so for an empty
 * text (Length 0) it writes Text[-1], one byte before the allocation. Without Driver Verifier the
 * byte lands in the pool header of the block, or in the block before it, and something else
 * crashes later.
 *
 * What exposes it: any open of the device itself (no file name). What Windows reports with Driver
 * Verifier's special pool (Verify End: the block ends at its page's end and the bytes before it on
 * the page hold a fill pattern): when the buffer is freed, bug check 0xC1
 * SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION, P1 = the buffer, P2 = the byte that changed (the
 * buffer minus 1), P4 = 0x23 (bytes near the block, on its page, were overwritten). The lab
 * reports the same, charged to the driver, with the block's tag, size and allocating stack.
 */
#include <ntddk.h>

#define POOL_UNDERRUN_DEVICE_NAME L"\\Device\\PoolUnderrun"
#define POOL_UNDERRUN_LINK_NAME L"\\??\\PoolUnderrun"
#define POOL_UNDERRUN_TAG 'rdnU'
#define POOL_UNDERRUN_BYTES 64

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD PoolUnderrunUnload;
_Dispatch_type_(IRP_MJ_CREATE) DRIVER_DISPATCH PoolUnderrunCreate;
_Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP) DRIVER_DISPATCH PoolUnderrunClose;

/* Strips trailing blanks in place; Length is the text's length in characters. */
static VOID PoolUnderrunTrim(_Inout_updates_(Length) PCHAR Text, _In_ LONG Length) {
  /* BUG: with Length == 0 the first store is Text[-1], the byte before the buffer. */
  do {
    Text[Length - 1] = '\0';
    Length--;
  } while (Length > 0 && Text[Length - 1] == ' ');
}

static NTSTATUS PoolUnderrunComplete(_Inout_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS PoolUnderrunCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PFILE_OBJECT file = IoGetCurrentIrpStackLocation(Irp)->FileObject;
  PCHAR text;
  LONG length = 0;
  UNREFERENCED_PARAMETER(DeviceObject);

  text = (PCHAR)ExAllocatePoolWithTag(NonPagedPoolNx, POOL_UNDERRUN_BYTES, POOL_UNDERRUN_TAG);
  if (text == NULL) {
    return PoolUnderrunComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
  }
  DbgPrint("pool_underrun: text %p\n", text);
  RtlZeroMemory(text, POOL_UNDERRUN_BYTES);
  if (file->FileName.Length != 0) {
    RtlCopyMemory(text, "hello ", 6);
    length = 6;
  }
  PoolUnderrunTrim(text, length);
  ExFreePoolWithTag(text, POOL_UNDERRUN_TAG);
  return PoolUnderrunComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ NTSTATUS PoolUnderrunClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return PoolUnderrunComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ VOID PoolUnderrunUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(POOL_UNDERRUN_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(POOL_UNDERRUN_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(POOL_UNDERRUN_LINK_NAME);
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
  DriverObject->MajorFunction[IRP_MJ_CREATE] = PoolUnderrunCreate;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = PoolUnderrunClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = PoolUnderrunClose;
  DriverObject->DriverUnload = PoolUnderrunUnload;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
