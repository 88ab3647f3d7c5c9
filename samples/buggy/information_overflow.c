/*
 * information_overflow - BUGGY ON PURPOSE: a buffered device control reports more output bytes
 * than the caller's output buffer holds.
 *
 * The device answers IOCTL_INFORMATION_OVERFLOW_GET_ID (METHOD_BUFFERED) with a 16-byte
 * identifier. It copies no more than the caller's output buffer holds.
 *
 * The bug: it sets IoStatus.Information to the size of the identifier, not to the bytes it copied.
 * The I/O manager copies Information bytes from the system buffer back to the caller: past the end
 * of the caller's buffer, from past the end of the system buffer.
 *
 * The interleaving that exposes it: none. A query with an 8-byte output buffer.
 *
 * What Windows reports with Driver Verifier's I/O Verification, and the lab with it: 0xC9
 * DRIVER_VERIFIER_IOMANAGER_VIOLATION, P1 = 0x312 (IoStatus.Information larger than the output
 * part of the system buffer), non-fatal, P2 = the address in the driver that called
 * IoCompleteRequest, P3 = the IRP, P4 = the Information value (16). The run goes on; the lab copies
 * only the bytes of the system buffer. The driver logs the IRP.
 */
#include <ntddk.h>

#define INFORMATION_OVERFLOW_DEVICE_NAME L"\\Device\\InformationOverflow"
#define INFORMATION_OVERFLOW_LINK_NAME L"\\??\\InformationOverflow"
#define IOCTL_INFORMATION_OVERFLOW_GET_ID CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD InformationOverflowUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH InformationOverflowCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH InformationOverflowDeviceControl;

static const UCHAR InformationOverflowId[16] = {'w', 'd', 'm', 'l', 'a', 'b', '-', 'i',
                                                'n', 'f', 'o', '-', '0', '0', '0', '1'};

_Use_decl_annotations_ NTSTATUS InformationOverflowCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS InformationOverflowDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  NTSTATUS status = STATUS_SUCCESS;
  ULONG length = stack->Parameters.DeviceIoControl.OutputBufferLength;
  UNREFERENCED_PARAMETER(DeviceObject);

  DbgPrint("information_overflow: get id %p\n", Irp);
  Irp->IoStatus.Information = 0;
  if (stack->Parameters.DeviceIoControl.IoControlCode != IOCTL_INFORMATION_OVERFLOW_GET_ID) {
    status = STATUS_INVALID_DEVICE_REQUEST;
  } else {
    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, InformationOverflowId,
                  length < sizeof(InformationOverflowId) ? length : sizeof(InformationOverflowId));
    Irp->IoStatus.Information = sizeof(InformationOverflowId); /* BUG: the bytes copied, at most `length` */
  }
  Irp->IoStatus.Status = status;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

_Use_decl_annotations_ VOID InformationOverflowUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(INFORMATION_OVERFLOW_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(INFORMATION_OVERFLOW_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(INFORMATION_OVERFLOW_LINK_NAME);
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
  DriverObject->MajorFunction[IRP_MJ_CREATE] = InformationOverflowCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = InformationOverflowCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = InformationOverflowDeviceControl;
  DriverObject->DriverUnload = InformationOverflowUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
