/*
 * pool_overrun - BUGGY ON PURPOSE: writes one WCHAR past the end of a pool buffer.
 *
 * Each open of \Device\PoolOverrun gives the file a display name: POOL_OVERRUN_NAME_CHARS
 * characters copied into a pool buffer of exactly that many WCHARs, and the buffer is freed when
 * the handle is closed.
 *
 * The bug: the copy loop runs to <= POOL_OVERRUN_NAME_CHARS to store a terminating NUL that the
 * buffer has no room for, so the last store lands one WCHAR past the end of the allocation.
 * Without Driver Verifier that store silently corrupts whatever follows the block in the pool.
 *
 * What exposes it: any open. What Windows reports with Driver Verifier's special pool (the block
 * ends where its page ends, and the next page is inaccessible): bug check 0xD6
 * DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, P1 = the address written (the buffer's end),
 * P2 = 1 (a write), P3 = the faulting instruction, in PoolOverrunCreate. The lab reports the same,
 * and names the block's tag and size and the stack that allocated it.
 */
#include <ntddk.h>

#define POOL_OVERRUN_DEVICE_NAME L"\\Device\\PoolOverrun"
#define POOL_OVERRUN_LINK_NAME L"\\??\\PoolOverrun"
#define POOL_OVERRUN_TAG 'nrvO'
#define POOL_OVERRUN_NAME_CHARS 16

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD PoolOverrunUnload;
_Dispatch_type_(IRP_MJ_CREATE) DRIVER_DISPATCH PoolOverrunCreate;
_Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP) DRIVER_DISPATCH PoolOverrunClose;

static NTSTATUS PoolOverrunComplete(_Inout_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS PoolOverrunCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PFILE_OBJECT file = IoGetCurrentIrpStackLocation(Irp)->FileObject;
  PWCHAR name;
  ULONG i;
  UNREFERENCED_PARAMETER(DeviceObject);

  name = (PWCHAR)ExAllocatePoolWithTag(NonPagedPoolNx, POOL_OVERRUN_NAME_CHARS * sizeof(WCHAR), POOL_OVERRUN_TAG);
  if (name == NULL) {
    return PoolOverrunComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
  }
  DbgPrint("pool_overrun: name %p\n", name);
  /* BUG: <= stores a terminating NUL one WCHAR past the end of the buffer. */
  for (i = 0; i <= POOL_OVERRUN_NAME_CHARS; i++) {
    name[i] = (i == POOL_OVERRUN_NAME_CHARS) ? L'\0' : (WCHAR)(L'a' + i);
  }
  file->FsContext = name;
  return PoolOverrunComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ NTSTATUS PoolOverrunClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  UNREFERENCED_PARAMETER(DeviceObject);

  if (stack->MajorFunction == IRP_MJ_CLOSE && stack->FileObject->FsContext != NULL) {
    ExFreePoolWithTag(stack->FileObject->FsContext, POOL_OVERRUN_TAG);
    stack->FileObject->FsContext = NULL;
  }
  return PoolOverrunComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ VOID PoolOverrunUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(POOL_OVERRUN_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(POOL_OVERRUN_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(POOL_OVERRUN_LINK_NAME);
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
  DriverObject->MajorFunction[IRP_MJ_CREATE] = PoolOverrunCreate;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = PoolOverrunClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = PoolOverrunClose;
  DriverObject->DriverUnload = PoolOverrunUnload;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
