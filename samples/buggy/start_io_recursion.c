/*
 * start_io_recursion - BUGGY ON PURPOSE: StartIo starts the next packet from inside itself
 * without deferred StartIo.
 *
 * The device serves reads through the I/O manager's StartIo queue: the read dispatch routine marks
 * the read pending and calls IoStartPacket. The device answers from a cache, so StartIo fills the
 * buffer, completes the read and calls IoStartNextPacket at once.
 *
 * The bug: IoStartNextPacket called from StartIo runs the next StartIo nested inside the current
 * one unless the driver asked for deferred StartIo (IoSetStartIoAttributes(DeviceObject, TRUE,
 * ...)). With a long queue the nesting grows with every queued read until the kernel stack
 * overflows (DDI compliance rule StartIoRecursion).
 *
 * The interleaving that exposes it: none. One read (the rule is about the call, not the depth).
 *
 * What Windows reports with DDI compliance checking: the rule StartIoRecursion; the lab reports it
 * as WDMLAB_DDI_RULE_VIOLATION (non-fatal) [0, the device object, the address in StartIo that
 * called IoStartNextPacket, 1 (StartIo calls in progress)], in StartIoRecursionStartIo, and the
 * read finishes. The driver logs its device object.
 */
#include <ntddk.h>

#define START_IO_RECURSION_DEVICE_NAME L"\\Device\\StartIoRecursion"
#define START_IO_RECURSION_LINK_NAME L"\\??\\StartIoRecursion"

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD StartIoRecursionUnload;
DRIVER_STARTIO StartIoRecursionStartIo;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH StartIoRecursionCreateClose;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH StartIoRecursionRead;

_Use_decl_annotations_ NTSTATUS StartIoRecursionCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS StartIoRecursionRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  IoMarkIrpPending(Irp);
  IoStartPacket(DeviceObject, Irp, NULL, NULL);
  return STATUS_PENDING;
}

/* Called at DISPATCH_LEVEL. */
_Use_decl_annotations_ VOID StartIoRecursionStartIo(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Read.Length;

  DbgPrint("start_io_recursion: device %p serves read %p\n", DeviceObject, Irp);
  RtlFillMemory(Irp->AssociatedIrp.SystemBuffer, length, 'c');
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = length;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  IoStartNextPacket(DeviceObject, FALSE); /* BUG: nests StartIo; IoSetStartIoAttributes(.., TRUE, ..) first */
}

_Use_decl_annotations_ VOID StartIoRecursionUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(START_IO_RECURSION_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(START_IO_RECURSION_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(START_IO_RECURSION_LINK_NAME);
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
  DriverObject->MajorFunction[IRP_MJ_CREATE] = StartIoRecursionCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = StartIoRecursionCreateClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = StartIoRecursionRead;
  DriverObject->DriverStartIo = StartIoRecursionStartIo;
  DriverObject->DriverUnload = StartIoRecursionUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
