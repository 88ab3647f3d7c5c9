/*
 * pool_use_after_free - BUGGY ON PURPOSE: reads a pool block after freeing it.
 *
 * Each open of \Device\PoolUseAfterFree tracks itself in a small request block from pool (an id
 * and a status), frees the block when the open is done, and then logs the request's status.
 *
 * The bug: the log line reads Request->Status after ExFreePoolWithTag. Without Driver Verifier
 * the read usually returns the old value (or another allocation's bytes), so the bug goes
 * unnoticed until the memory is reused in between.
 *
 * What exposes it: any open. What Windows reports with Driver Verifier's special pool (a freed
 * block's page is made inaccessible): bug check 0xD5 DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL,
 * P1 = the address read (&Request->Status), P2 = 0 (a read), P3 = the faulting instruction, in
 * PoolUseAfterFreeCreate. The lab reports the same, with the freed block's tag, size and
 * allocating stack.
 */
#include <ntddk.h>

#define POOL_USE_AFTER_FREE_DEVICE_NAME L"\\Device\\PoolUseAfterFree"
#define POOL_USE_AFTER_FREE_LINK_NAME L"\\??\\PoolUseAfterFree"
#define POOL_USE_AFTER_FREE_TAG 'fauP'

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD PoolUseAfterFreeUnload;
_Dispatch_type_(IRP_MJ_CREATE) DRIVER_DISPATCH PoolUseAfterFreeCreate;
_Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP) DRIVER_DISPATCH PoolUseAfterFreeClose;

typedef struct _POOL_USE_AFTER_FREE_REQUEST {
  ULONG Id;
  NTSTATUS Status;
} POOL_USE_AFTER_FREE_REQUEST, *PPOOL_USE_AFTER_FREE_REQUEST;

static LONG PoolUseAfterFreeNextId;

static NTSTATUS PoolUseAfterFreeComplete(_Inout_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS PoolUseAfterFreeCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PPOOL_USE_AFTER_FREE_REQUEST request;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(DeviceObject);

  request =
      (PPOOL_USE_AFTER_FREE_REQUEST)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(*request), POOL_USE_AFTER_FREE_TAG);
  if (request == NULL) {
    return PoolUseAfterFreeComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
  }
  DbgPrint("pool_use_after_free: request %p\n", request);
  request->Id = (ULONG)InterlockedIncrement(&PoolUseAfterFreeNextId);
  request->Status = STATUS_SUCCESS;
  status = request->Status;
  ExFreePoolWithTag(request, POOL_USE_AFTER_FREE_TAG);
  /* BUG: the request was freed on the line above. */
  DbgPrint("pool_use_after_free: open done, status %08X\n", request->Status);
  return PoolUseAfterFreeComplete(Irp, status);
}

_Use_decl_annotations_ NTSTATUS PoolUseAfterFreeClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return PoolUseAfterFreeComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ VOID PoolUseAfterFreeUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(POOL_USE_AFTER_FREE_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(POOL_USE_AFTER_FREE_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(POOL_USE_AFTER_FREE_LINK_NAME);
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
  DriverObject->MajorFunction[IRP_MJ_CREATE] = PoolUseAfterFreeCreate;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = PoolUseAfterFreeClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = PoolUseAfterFreeClose;
  DriverObject->DriverUnload = PoolUseAfterFreeUnload;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
