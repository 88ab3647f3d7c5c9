/*
 * status_mismatch - BUGGY ON PURPOSE: a device control is completed with one status and its
 * dispatch routine returns another.
 *
 * The device answers IOCTL_STATUS_MISMATCH_QUERY (METHOD_BUFFERED) with a 4-byte version number.
 * A caller whose output buffer is too small gets STATUS_BUFFER_TOO_SMALL.
 *
 * The bug: on the too-small path the routine sets its local status but completes the IRP with
 * STATUS_SUCCESS, then returns the local status. The I/O manager and the caller see two different
 * answers for one request: the caller's I/O status block says success while the service returned
 * a failure.
 *
 * The interleaving that exposes it: none. A query with a 2-byte output buffer.
 *
 * What Windows reports with Driver Verifier's I/O Verification, and the lab with it: bug check
 * 0xC9 DRIVER_VERIFIER_IOMANAGER_VIOLATION, P1 = 0x224 (the dispatch routine returned a status
 * other than Irp->IoStatus.Status), P2 = the dispatch routine, P3 = the IRP, P4 = the status the
 * IRP was completed with (0). The driver logs the IRP and its dispatch routine.
 */
#include <ntddk.h>

#define STATUS_MISMATCH_DEVICE_NAME L"\\Device\\StatusMismatch"
#define STATUS_MISMATCH_LINK_NAME L"\\??\\StatusMismatch"
#define IOCTL_STATUS_MISMATCH_QUERY CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define STATUS_MISMATCH_VERSION 0x00010002UL

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD StatusMismatchUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH StatusMismatchCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH StatusMismatchDeviceControl;

_Use_decl_annotations_ NTSTATUS StatusMismatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS StatusMismatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  NTSTATUS status = STATUS_SUCCESS;
  ULONG_PTR information = 0;
  UNREFERENCED_PARAMETER(DeviceObject);

  DbgPrint("status_mismatch: query %p routine %p\n", Irp, (PVOID)StatusMismatchDeviceControl);
  if (stack->Parameters.DeviceIoControl.IoControlCode != IOCTL_STATUS_MISMATCH_QUERY) {
    status = STATUS_INVALID_DEVICE_REQUEST;
  } else if (stack->Parameters.DeviceIoControl.OutputBufferLength < sizeof(ULONG)) {
    status = STATUS_BUFFER_TOO_SMALL;
  } else {
    *(PULONG)Irp->AssociatedIrp.SystemBuffer = STATUS_MISMATCH_VERSION;
    information = sizeof(ULONG);
  }
  Irp->IoStatus.Status = STATUS_SUCCESS; /* BUG: the IRP must carry `status`, the value returned */
  Irp->IoStatus.Information = information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

_Use_decl_annotations_ VOID StatusMismatchUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(STATUS_MISMATCH_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(STATUS_MISMATCH_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(STATUS_MISMATCH_LINK_NAME);
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
  DriverObject->MajorFunction[IRP_MJ_CREATE] = StatusMismatchCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = StatusMismatchCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = StatusMismatchDeviceControl;
  DriverObject->DriverUnload = StatusMismatchUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
