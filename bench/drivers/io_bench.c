/*
 * io_bench.c - a device stack for the I/O benchmarks (see io_bench.h).
 */
#include <ntddk.h>

#include "io_bench.h"

typedef struct _IO_BENCH_EXTENSION {
  PDEVICE_OBJECT Lower; /* the device this one is attached to; NULL at the bottom */
} IO_BENCH_EXTENSION, *PIO_BENCH_EXTENSION;

static PDEVICE_OBJECT Devices[IO_BENCH_MAX_DEPTH]; /* Devices[0] is the bottom of the stack */
static PDEVICE_OBJECT NamedDevice;                  /* \Device\IoBench, a stack of its own */

static UNICODE_STRING DeviceName = RTL_CONSTANT_STRING(L"\\Device\\IoBench");
static UNICODE_STRING LinkName = RTL_CONSTANT_STRING(L"\\DosDevices\\IoBench");

/* Guards the bottom device's work for IOCTL_IO_BENCH_POOL. */
static KSPIN_LOCK WorkLock;

/* Signalled by RequestDone when the stack returned STATUS_PENDING; one request at a time. */
static KEVENT RequestEvent;

static NTSTATUS Complete(PIRP Irp, NTSTATUS Status, ULONG_PTR Information) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

static DRIVER_DISPATCH IoBenchOpenClose;
static NTSTATUS IoBenchOpenClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return Complete(Irp, STATUS_SUCCESS, 0);
}

static IO_COMPLETION_ROUTINE ForwardDone;
static NTSTATUS ForwardDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  UNREFERENCED_PARAMETER(DeviceObject);
  UNREFERENCED_PARAMETER(Context);
  if (Irp->PendingReturned) IoMarkIrpPending(Irp);
  return STATUS_CONTINUE_COMPLETION;
}

static NTSTATUS IoBenchPoolWork(PIRP Irp) {
  KIRQL irql;
  PVOID block = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'hcnB');
  if (block == NULL) return Complete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
  KeAcquireSpinLock(&WorkLock, &irql);
  RtlFillMemory(block, 64, 0x5A);
  KeReleaseSpinLock(&WorkLock, irql);
  ExFreePoolWithTag(block, 'hcnB');
  return Complete(Irp, STATUS_SUCCESS, 0);
}

static DRIVER_DISPATCH IoBenchControl;
static NTSTATUS IoBenchControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_BENCH_EXTENSION extension = (PIO_BENCH_EXTENSION)DeviceObject->DeviceExtension;
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  ULONG in = stack->Parameters.DeviceIoControl.InputBufferLength;
  switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_IO_BENCH_SKIP:
      if (extension->Lower == NULL) return Complete(Irp, STATUS_SUCCESS, 0);
      IoSkipCurrentIrpStackLocation(Irp);
      return IoCallDriver(extension->Lower, Irp);
    case IOCTL_IO_BENCH_POOL:
    case IOCTL_IO_BENCH_COPY:
      if (extension->Lower == NULL) {
        return stack->Parameters.DeviceIoControl.IoControlCode == IOCTL_IO_BENCH_POOL ? IoBenchPoolWork(Irp)
                                                                                      : Complete(Irp, STATUS_SUCCESS, 0);
      }
      IoCopyCurrentIrpStackLocationToNext(Irp);
      IoSetCompletionRoutine(Irp, ForwardDone, NULL, TRUE, TRUE, TRUE);
      return IoCallDriver(extension->Lower, Irp);
    case IOCTL_IO_BENCH_ECHO:
      /* METHOD_BUFFERED: input and output share the system buffer, so the echo is in place. */
      if (stack->Parameters.DeviceIoControl.OutputBufferLength < in) {
        return Complete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
      }
      return Complete(Irp, STATUS_SUCCESS, in);
    default:
      return Complete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
  }
}

static IO_COMPLETION_ROUTINE RequestDone;
static NTSTATUS RequestDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  UNREFERENCED_PARAMETER(DeviceObject);
  /* Only a caller that saw STATUS_PENDING waits; the IRP stays the caller's either way. */
  if (Irp->PendingReturned) KeSetEvent((PKEVENT)Context, IO_NO_INCREMENT, FALSE);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

PDEVICE_OBJECT IoBenchDevice(ULONG Depth) {
  if (Depth < 1 || Depth > IO_BENCH_MAX_DEPTH) return NULL;
  return Devices[Depth - 1];
}

NTSTATUS IoBenchRoundTrip(PDEVICE_OBJECT Target, UCHAR MajorFunction, ULONG IoControlCode) {
  PIO_STACK_LOCATION next;
  NTSTATUS status;
  PIRP irp = IoAllocateIrp(Target->StackSize, FALSE);
  if (irp == NULL) return STATUS_INSUFFICIENT_RESOURCES;
  next = IoGetNextIrpStackLocation(irp);
  next->MajorFunction = MajorFunction;
  next->Parameters.DeviceIoControl.IoControlCode = IoControlCode;
  IoSetCompletionRoutine(irp, RequestDone, &RequestEvent, TRUE, TRUE, TRUE);
  status = IoCallDriver(Target, irp);
  if (status == STATUS_PENDING) {
    KeWaitForSingleObject(&RequestEvent, Executive, KernelMode, FALSE, NULL);
  }
  status = irp->IoStatus.Status;
  IoFreeIrp(irp);
  return status;
}

static DRIVER_UNLOAD IoBenchUnload;
static VOID IoBenchUnload(PDRIVER_OBJECT DriverObject) {
  ULONG depth;
  UNREFERENCED_PARAMETER(DriverObject);
  if (NamedDevice != NULL) {
    IoDeleteSymbolicLink(&LinkName);
    IoDeleteDevice(NamedDevice);
    NamedDevice = NULL;
  }
  for (depth = IO_BENCH_MAX_DEPTH; depth > 0; --depth) {
    PDEVICE_OBJECT device = Devices[depth - 1];
    PIO_BENCH_EXTENSION extension;
    if (device == NULL) continue;
    extension = (PIO_BENCH_EXTENSION)device->DeviceExtension;
    if (extension->Lower != NULL) IoDetachDevice(extension->Lower);
    IoDeleteDevice(device);
    Devices[depth - 1] = NULL;
  }
}

DRIVER_INITIALIZE DriverEntry;
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  ULONG depth;
  NTSTATUS status;
  PIO_BENCH_EXTENSION extension;
  UNREFERENCED_PARAMETER(RegistryPath);
  KeInitializeEvent(&RequestEvent, SynchronizationEvent, FALSE);
  KeInitializeSpinLock(&WorkLock);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = IoBenchOpenClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = IoBenchOpenClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = IoBenchOpenClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = IoBenchControl;
  DriverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = IoBenchControl;
  DriverObject->DriverUnload = IoBenchUnload;
  for (depth = 1; depth <= IO_BENCH_MAX_DEPTH; ++depth) {
    PDEVICE_OBJECT device;
    status = IoCreateDevice(DriverObject, sizeof(IO_BENCH_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &device);
    if (!NT_SUCCESS(status)) {
      IoBenchUnload(DriverObject);
      return status;
    }
    extension = (PIO_BENCH_EXTENSION)device->DeviceExtension;
    extension->Lower = NULL;
    if (depth > 1) {
      extension->Lower = IoAttachDeviceToDeviceStack(device, Devices[depth - 2]);
      if (extension->Lower == NULL) {
        IoDeleteDevice(device);
        IoBenchUnload(DriverObject);
        return STATUS_NO_SUCH_DEVICE;
      }
    }
    Devices[depth - 1] = device;
    device->Flags &= ~DO_DEVICE_INITIALIZING;
  }

  status = IoCreateDevice(DriverObject, sizeof(IO_BENCH_EXTENSION), &DeviceName, FILE_DEVICE_UNKNOWN, 0, FALSE,
                          &NamedDevice);
  if (!NT_SUCCESS(status)) {
    NamedDevice = NULL;
    IoBenchUnload(DriverObject);
    return status;
  }
  extension = (PIO_BENCH_EXTENSION)NamedDevice->DeviceExtension;
  extension->Lower = NULL;
  status = IoCreateSymbolicLink(&LinkName, &DeviceName);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(NamedDevice);
    NamedDevice = NULL;
    IoBenchUnload(DriverObject);
    return status;
  }
  NamedDevice->Flags |= DO_BUFFERED_IO;
  NamedDevice->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
