/*
 * force_pending_no_wait - BUGGY ON PURPOSE: the driver reads the IRP it passed down as soon as
 * IoCallDriver returns, without waiting for its completion.
 *
 * The driver has two devices: \Device\ForcePendingNoWait, which applications open, and a lower
 * device that does the work. The upper device passes each IOCTL down (IoSkipCurrentIrpStackLocation,
 * IoCallDriver) and then returns Irp->IoStatus.Status, "since the lower device always completes at
 * once". After IoCallDriver the IRP belongs to the drivers below and to the I/O manager: if the
 * request is pending it may complete, and be freed, at any moment; the driver must return what
 * IoCallDriver returned (or set a completion routine and wait for it).
 *
 * What exposes it: Driver Verifier's Force Pending I/O Requests (/flags 0x200) makes IoCallDriver
 * return STATUS_PENDING for the IOCTL the lower device completed at once; completion, held back
 * until just before IoCallDriver returns, then runs as for a pending request, and the I/O manager
 * finishes the request and frees the IRP before the driver reads it.
 *
 * What Windows reports, with the IRP in special pool: the read of the freed IRP faults, bug check
 * 0xD5 DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL, P1 = &Irp->IoStatus.Status, P2 = 0 (a read),
 * P3 = the instruction in ForcePendingNoWaitIoctl. Without the stress the IOCTL succeeds.
 */
#include <ntddk.h>

#define FORCE_PENDING_NO_WAIT_DEVICE_NAME L"\\Device\\ForcePendingNoWait"
#define FORCE_PENDING_NO_WAIT_LOWER_NAME L"\\Device\\ForcePendingNoWaitLower"
#define FORCE_PENDING_NO_WAIT_LINK_NAME L"\\??\\ForcePendingNoWait"

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD ForcePendingNoWaitUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH ForcePendingNoWaitCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH ForcePendingNoWaitIoctl;

typedef struct _FORCE_PENDING_NO_WAIT_EXTENSION {
  PDEVICE_OBJECT Lower; /* upper device: where requests go; lower device: NULL */
} FORCE_PENDING_NO_WAIT_EXTENSION, *PFORCE_PENDING_NO_WAIT_EXTENSION;

static PFORCE_PENDING_NO_WAIT_EXTENSION ForcePendingNoWaitExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PFORCE_PENDING_NO_WAIT_EXTENSION)DeviceObject->DeviceExtension;
}

_Use_decl_annotations_ NTSTATUS ForcePendingNoWaitCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS ForcePendingNoWaitIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PDEVICE_OBJECT lower = ForcePendingNoWaitExtension(DeviceObject)->Lower;

  if (lower == NULL) {
    /* The lower device: every request succeeds at once. */
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
  }
  DbgPrint("force_pending_no_wait: irp %p\n", Irp);
  IoSkipCurrentIrpStackLocation(Irp);
  (void)IoCallDriver(lower, Irp);
  /* BUG: the IRP is not ours any more; IoCallDriver's result is the only answer. */
  return Irp->IoStatus.Status;
}

_Use_decl_annotations_ VOID ForcePendingNoWaitUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(FORCE_PENDING_NO_WAIT_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  while (DriverObject->DeviceObject != NULL) {
    IoDeleteDevice(DriverObject->DeviceObject);
  }
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(FORCE_PENDING_NO_WAIT_DEVICE_NAME);
  UNICODE_STRING lower_name = RTL_CONSTANT_STRING(FORCE_PENDING_NO_WAIT_LOWER_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(FORCE_PENDING_NO_WAIT_LINK_NAME);
  PDEVICE_OBJECT lower;
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(FORCE_PENDING_NO_WAIT_EXTENSION), &lower_name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &lower);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  ForcePendingNoWaitExtension(lower)->Lower = NULL;
  status = IoCreateDevice(DriverObject, sizeof(FORCE_PENDING_NO_WAIT_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(lower);
    return status;
  }
  ForcePendingNoWaitExtension(device)->Lower = lower;
  device->StackSize = (CCHAR)(lower->StackSize + 1);
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    IoDeleteDevice(lower);
    return status;
  }
  DriverObject->MajorFunction[IRP_MJ_CREATE] = ForcePendingNoWaitCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = ForcePendingNoWaitCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = ForcePendingNoWaitCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = ForcePendingNoWaitIoctl;
  DriverObject->DriverUnload = ForcePendingNoWaitUnload;
  lower->Flags &= ~DO_DEVICE_INITIALIZING;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
