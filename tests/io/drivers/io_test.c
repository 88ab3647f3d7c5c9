/*
 * io_test.c - a small WDM driver for the I/O manager's tests (see io_test.h).
 */
#include <ntddk.h>

#include "io_test.h"

typedef struct _IOTEST_EXTENSION {
  PIRP Kept;
  PIRP Cancelable;  /* guarded by the cancel spin lock */
} IOTEST_EXTENSION, *PIOTEST_EXTENSION;

static UNICODE_STRING DeviceName = RTL_CONSTANT_STRING(L"\\Device\\IoTest");
static UNICODE_STRING LinkName = RTL_CONSTANT_STRING(L"\\DosDevices\\IoTest");

static NTSTATUS Complete(PIRP Irp, NTSTATUS Status, ULONG_PTR Information) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

static DRIVER_DISPATCH IoTestCreate;
static NTSTATUS IoTestCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  UNREFERENCED_PARAMETER(DeviceObject);
  DbgPrint("io_test: create '%wZ'\n", &stack->FileObject->FileName);
  return Complete(Irp, STATUS_SUCCESS, FILE_OPENED);
}

static DRIVER_DISPATCH IoTestCleanup;
static NTSTATUS IoTestCleanup(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  DbgPrint("io_test: cleanup\n");
  return Complete(Irp, STATUS_SUCCESS, 0);
}

static DRIVER_DISPATCH IoTestClose;
static NTSTATUS IoTestClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  DbgPrint("io_test: close\n");
  return Complete(Irp, STATUS_SUCCESS, 0);
}

static DRIVER_DISPATCH IoTestRead;
static NTSTATUS IoTestRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Read.Length;
  UNREFERENCED_PARAMETER(DeviceObject);
  if (length != 0) RtlFillMemory(Irp->AssociatedIrp.SystemBuffer, length, 'R');
  return Complete(Irp, STATUS_SUCCESS, length);
}

static DRIVER_DISPATCH IoTestWrite;
static NTSTATUS IoTestWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return Complete(Irp, STATUS_SUCCESS, IoGetCurrentIrpStackLocation(Irp)->Parameters.Write.Length);
}

static DRIVER_CANCEL IoTestCancel;
static VOID IoTestCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIOTEST_EXTENSION extension = (PIOTEST_EXTENSION)DeviceObject->DeviceExtension;
  if (extension->Cancelable == Irp) extension->Cancelable = NULL;
  IoReleaseCancelSpinLock(Irp->CancelIrql);
  DbgPrint("io_test: cancel\n");
  Complete(Irp, STATUS_CANCELLED, 0);
}

static NTSTATUS PendCancelable(PIOTEST_EXTENSION extension, PIRP Irp) {
  KIRQL irql;
  IoAcquireCancelSpinLock(&irql);
  IoMarkIrpPending(Irp);
  IoSetCancelRoutine(Irp, IoTestCancel);
  if (Irp->Cancel && IoSetCancelRoutine(Irp, NULL) != NULL) {
    IoReleaseCancelSpinLock(irql);
    DbgPrint("io_test: cancel\n");
    Complete(Irp, STATUS_CANCELLED, 0);
    return STATUS_PENDING;
  }
  extension->Cancelable = Irp;
  IoReleaseCancelSpinLock(irql);
  DbgPrint("io_test: pend cancelable\n");
  return STATUS_PENDING;
}

static DRIVER_DISPATCH IoTestDeviceControl;
static NTSTATUS IoTestDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  PIOTEST_EXTENSION extension = (PIOTEST_EXTENSION)DeviceObject->DeviceExtension;
  ULONG in = stack->Parameters.DeviceIoControl.InputBufferLength;
  ULONG out = stack->Parameters.DeviceIoControl.OutputBufferLength;
  PIRP kept;
  switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_IOTEST_ECHO:
      if (out < in) return Complete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
      return Complete(Irp, STATUS_SUCCESS, in);
    case IOCTL_IOTEST_PEND:
      DbgPrint("io_test: pend\n");
      IoMarkIrpPending(Irp);
      extension->Kept = Irp;
      return STATUS_PENDING;
    case IOCTL_IOTEST_RELEASE:
      kept = extension->Kept;
      extension->Kept = NULL;
      if (kept != NULL) {
        DbgPrint("io_test: release\n");
        Complete(kept, STATUS_SUCCESS, 7);
      }
      return Complete(Irp, STATUS_SUCCESS, 0);
    case IOCTL_IOTEST_PEND_CANCELABLE:
      return PendCancelable(extension, Irp);
    case IOCTL_IOTEST_WRITE_ONLY:
      DbgPrint("io_test: write-only control\n");
      return Complete(Irp, STATUS_SUCCESS, 0);
    default:
      return Complete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
  }
}

static DRIVER_UNLOAD IoTestUnload;
static VOID IoTestUnload(PDRIVER_OBJECT DriverObject) {
  DbgPrint("io_test: unload\n");
  IoDeleteSymbolicLink(&LinkName);
  IoDeleteDevice(DriverObject->DeviceObject);
}

DRIVER_INITIALIZE DriverEntry;
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);
  status = IoCreateDevice(DriverObject, sizeof(IOTEST_EXTENSION), &DeviceName, FILE_DEVICE_UNKNOWN, 0, FALSE,
                          &device);
  if (!NT_SUCCESS(status)) return status;
  status = IoCreateSymbolicLink(&LinkName, &DeviceName);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  device->Flags |= DO_BUFFERED_IO;
  DriverObject->MajorFunction[IRP_MJ_CREATE] = IoTestCreate;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = IoTestCleanup;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = IoTestClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = IoTestRead;
  DriverObject->MajorFunction[IRP_MJ_WRITE] = IoTestWrite;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = IoTestDeviceControl;
  DriverObject->DriverUnload = IoTestUnload;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
