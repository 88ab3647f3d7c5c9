/*
 * keeps_initializing.c - a driver that leaves DO_DEVICE_INITIALIZING set on the device it creates
 * in DriverEntry (the I/O manager clears it when DriverEntry returns) and creates a second device
 * on request, after DriverEntry, without clearing it (that one stays closed to opens).
 */
#include <ntddk.h>

#define IOCTL_KEEPS_CREATE_LATE CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS)

static UNICODE_STRING DeviceName = RTL_CONSTANT_STRING(L"\\Device\\KeepsInitializing");
static UNICODE_STRING LinkName = RTL_CONSTANT_STRING(L"\\DosDevices\\KeepsInitializing");
static UNICODE_STRING LateName = RTL_CONSTANT_STRING(L"\\Device\\KeepsInitializingLate");
static UNICODE_STRING LateLinkName = RTL_CONSTANT_STRING(L"\\DosDevices\\KeepsInitializingLate");

static DRIVER_DISPATCH KeepsDispatch;
static NTSTATUS KeepsDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  NTSTATUS status = STATUS_SUCCESS;
  PDEVICE_OBJECT late;
  if (stack->MajorFunction == IRP_MJ_DEVICE_CONTROL) {
    status = IoCreateDevice(DeviceObject->DriverObject, 0, &LateName, FILE_DEVICE_UNKNOWN, 0, FALSE, &late);
    if (NT_SUCCESS(status)) status = IoCreateSymbolicLink(&LateLinkName, &LateName);
  }
  Irp->IoStatus.Status = status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

static DRIVER_UNLOAD KeepsUnload;
static VOID KeepsUnload(PDRIVER_OBJECT DriverObject) {
  IoDeleteSymbolicLink(&LinkName);
  IoDeleteSymbolicLink(&LateLinkName);
  while (DriverObject->DeviceObject != NULL) IoDeleteDevice(DriverObject->DeviceObject);
}

DRIVER_INITIALIZE DriverEntry;
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);
  status = IoCreateDevice(DriverObject, 0, &DeviceName, FILE_DEVICE_UNKNOWN, 0, FALSE, &device);
  if (!NT_SUCCESS(status)) return status;
  status = IoCreateSymbolicLink(&LinkName, &DeviceName);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  DriverObject->MajorFunction[IRP_MJ_CREATE] = KeepsDispatch;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = KeepsDispatch;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = KeepsDispatch;
  DriverObject->DriverUnload = KeepsUnload;
  return STATUS_SUCCESS;
}
