/*
 * irp_freed_with_exfreepool - BUGGY ON PURPOSE: frees an IRP from IoAllocateIrp with ExFreePool.
 *
 * Each open of \Device\IrpFreedWithExFreePool prepares a request for the device below it: it
 * allocates an IRP with IoAllocateIrp, and as there is no device below it gives the request up
 * and frees the IRP.
 *
 * The bug: the IRP is freed with ExFreePool instead of IoFreeIrp. IRPs come from the I/O
 * manager's own lookaside lists, not from the pool the caller sees, so the free corrupts the pool
 * or the I/O manager's books.
 *
 * What exposes it: any open. What Windows reports with Driver Verifier's I/O verification: bug
 * check 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION, P1 = 0x105, P2 = the IRP. The lab reports the
 * same; without the verifier the lab stops with 0xC2 BAD_POOL_CALLER (P1 = 0x42: the address was
 * never allocated from pool).
 */
#include <ntddk.h>

#define IRP_FREED_WITH_EXFREEPOOL_DEVICE_NAME L"\\Device\\IrpFreedWithExFreePool"
#define IRP_FREED_WITH_EXFREEPOOL_LINK_NAME L"\\??\\IrpFreedWithExFreePool"

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD IrpFreedWithExFreePoolUnload;
_Dispatch_type_(IRP_MJ_CREATE) DRIVER_DISPATCH IrpFreedWithExFreePoolCreate;
_Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP) DRIVER_DISPATCH IrpFreedWithExFreePoolClose;

static NTSTATUS IrpFreedWithExFreePoolComplete(_Inout_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS IrpFreedWithExFreePoolCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIRP request;
  UNREFERENCED_PARAMETER(DeviceObject);

  request = IoAllocateIrp(1, FALSE);
  if (request == NULL) {
    return IrpFreedWithExFreePoolComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
  }
  DbgPrint("irp_freed_with_exfreepool: request %p\n", request);
  /* No device below this one: give the request up. BUG: IoFreeIrp frees an IRP, not ExFreePool. */
  ExFreePool(request);
  return IrpFreedWithExFreePoolComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ NTSTATUS IrpFreedWithExFreePoolClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return IrpFreedWithExFreePoolComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ VOID IrpFreedWithExFreePoolUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(IRP_FREED_WITH_EXFREEPOOL_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(IRP_FREED_WITH_EXFREEPOOL_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(IRP_FREED_WITH_EXFREEPOOL_LINK_NAME);
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
  DriverObject->MajorFunction[IRP_MJ_CREATE] = IrpFreedWithExFreePoolCreate;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = IrpFreedWithExFreePoolClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = IrpFreedWithExFreePoolClose;
  DriverObject->DriverUnload = IrpFreedWithExFreePoolUnload;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
