/*
 * startio_rw - a legacy driver whose reads and writes go through the I/O manager's StartIo queue,
 * over a small first-in, first-out byte store (see startio_rw_public.h for what callers see).
 *
 * The dispatch routine completes zero-length requests at once; every other request is marked
 * pending and handed to IoStartPacket, which calls StartIo at once if the device is idle and
 * queues the request otherwise, so requests are served one at a time in arrival order. StartIo
 * (DISPATCH_LEVEL) only "starts the device": it sets a timer for the request's simulated
 * latency. The timer's DPC does the transfer, starts the next queued request with
 * IoStartNextPacket and completes this one: completion is truly asynchronous, on whatever
 * processor the DPC runs on, after the dispatch routine returned STATUS_PENDING.
 *
 * The device uses direct I/O (DO_DIRECT_IO): a request's buffer is described by Irp->MdlAddress,
 * locked by the I/O manager, and mapped into system space with MmGetSystemAddressForMdlSafe in
 * the DPC. Only the request in progress touches the store, so it needs no lock of its own.
 *
 * Queued requests are not cancelable: each one is done within STARTIO_RW_LATENCY_MS of device
 * time after it starts, and the queue drains on its own. The driver can be unloaded once every
 * handle is closed and the requests on them have completed.
 */
#include <ntddk.h>

#include "startio_rw_public.h"

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD StartIoRwUnload;
DRIVER_STARTIO StartIoRwStartIo;
KDEFERRED_ROUTINE StartIoRwTransferDpc;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH StartIoRwCreateClose;
_Dispatch_type_(IRP_MJ_READ) _Dispatch_type_(IRP_MJ_WRITE) DRIVER_DISPATCH StartIoRwReadWrite;

typedef struct _STARTIO_RW_EXTENSION {
  KTIMER Timer; /* the current request's latency */
  KDPC Dpc;     /* StartIoRwTransferDpc, context: the device object */
  ULONG Used;   /* bytes in Store; Store and Used belong to the request in progress */
  UCHAR Store[STARTIO_RW_CAPACITY];
} STARTIO_RW_EXTENSION, *PSTARTIO_RW_EXTENSION;

#ifdef ALLOC_PRAGMA
#pragma alloc_text(INIT, DriverEntry)
#pragma alloc_text(PAGE, StartIoRwUnload)
#pragma alloc_text(PAGE, StartIoRwCreateClose)
#endif

static const char *StartIoRwOperation(_In_ PIO_STACK_LOCATION Stack) {
  return Stack->MajorFunction == IRP_MJ_WRITE ? "write" : "read";
}

_Use_decl_annotations_ NTSTATUS StartIoRwCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);

  PAGED_CODE();
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

/* Read and write: Parameters.Read and Parameters.Write have the same layout. */
_Use_decl_annotations_ NTSTATUS StartIoRwReadWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  ULONG length = stack->Parameters.Read.Length;

  DbgPrint("startio_rw: %s of %lu bytes arrives\n", StartIoRwOperation(stack), length);
  if (length == 0) {
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
  }
  IoMarkIrpPending(Irp);
  IoStartPacket(DeviceObject, Irp, NULL, NULL);
  return STATUS_PENDING;
}

/* DISPATCH_LEVEL, with Irp as the device's CurrentIrp: starts the device on the request. */
_Use_decl_annotations_ VOID StartIoRwStartIo(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PSTARTIO_RW_EXTENSION extension = (PSTARTIO_RW_EXTENSION)DeviceObject->DeviceExtension;
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  LARGE_INTEGER due;

  DbgPrint("startio_rw: start %s of %lu bytes\n", StartIoRwOperation(stack), stack->Parameters.Read.Length);
  due.QuadPart = -10LL * 1000 * STARTIO_RW_LATENCY_MS;
  KeSetTimer(&extension->Timer, due, &extension->Dpc);
}

/* The device finished: move the bytes, start the next request, complete this one. */
_Use_decl_annotations_ VOID StartIoRwTransferDpc(PKDPC Dpc, PVOID Context, PVOID SystemArgument1,
                                                 PVOID SystemArgument2) {
  PDEVICE_OBJECT device = (PDEVICE_OBJECT)Context;
  PSTARTIO_RW_EXTENSION extension = (PSTARTIO_RW_EXTENSION)device->DeviceExtension;
  PIRP irp = device->CurrentIrp;
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(irp);
  ULONG length = stack->Parameters.Read.Length;
  ULONG moved = 0;
  NTSTATUS status = STATUS_SUCCESS;
  PUCHAR buffer;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(SystemArgument1);
  UNREFERENCED_PARAMETER(SystemArgument2);

  buffer = (PUCHAR)MmGetSystemAddressForMdlSafe(irp->MdlAddress, NormalPagePriority | MdlMappingNoExecute);
  if (buffer == NULL) {
    status = STATUS_INSUFFICIENT_RESOURCES;
  } else if (stack->MajorFunction == IRP_MJ_WRITE) {
    if (length > STARTIO_RW_CAPACITY - extension->Used) {
      status = STATUS_DISK_FULL;
    } else {
      RtlCopyMemory(extension->Store + extension->Used, buffer, length);
      extension->Used += length;
      moved = length;
    }
  } else {
    moved = min(length, extension->Used);
    RtlCopyMemory(buffer, extension->Store, moved);
    RtlMoveMemory(extension->Store, extension->Store + moved, extension->Used - moved);
    extension->Used -= moved;
  }
  DbgPrint("startio_rw: done %s of %lu bytes: %lu moved, status %08lx, %lu stored\n", StartIoRwOperation(stack),
           length, moved, (ULONG)status, extension->Used);

  irp->IoStatus.Status = status;
  irp->IoStatus.Information = moved;
  IoStartNextPacket(device, FALSE);
  IoCompleteRequest(irp, IO_NO_INCREMENT);
}

_Use_decl_annotations_ VOID StartIoRwUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(STARTIO_RW_LINK_NAME);
  PDEVICE_OBJECT device = DriverObject->DeviceObject;
  PSTARTIO_RW_EXTENSION extension = (PSTARTIO_RW_EXTENSION)device->DeviceExtension;

  PAGED_CODE();
  KeCancelTimer(&extension->Timer);
  KeFlushQueuedDpcs();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(device);
  DbgPrint("startio_rw: unloaded\n");
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(STARTIO_RW_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(STARTIO_RW_LINK_NAME);
  PSTARTIO_RW_EXTENSION extension;
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(STARTIO_RW_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = (PSTARTIO_RW_EXTENSION)device->DeviceExtension;
  RtlZeroMemory(extension, sizeof(*extension));
  KeInitializeTimer(&extension->Timer);
  KeInitializeDpc(&extension->Dpc, StartIoRwTransferDpc, device);

  DriverObject->MajorFunction[IRP_MJ_CREATE] = StartIoRwCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = StartIoRwCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = StartIoRwCreateClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = StartIoRwReadWrite;
  DriverObject->MajorFunction[IRP_MJ_WRITE] = StartIoRwReadWrite;
  DriverObject->DriverStartIo = StartIoRwStartIo;
  DriverObject->DriverUnload = StartIoRwUnload;
  device->Flags |= DO_DIRECT_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  DbgPrint("startio_rw: loaded\n");
  return STATUS_SUCCESS;
}
