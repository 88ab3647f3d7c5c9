/*
 * free_irp_in_use - BUGGY ON PURPOSE: an IRP the driver allocated is freed while the driver it was
 * sent to still holds it.
 *
 * The driver has two devices: \Device\FreeIrpInUse, which answers IOCTL_FIIU_REFRESH, and an
 * unnamed worker device standing for the hardware, which answers an internal device control
 * FIIU_WORKER_LATENCY_MS later from a timer DPC. A refresh allocates an IRP, sends it to the
 * worker with a completion routine that signals an event and returns
 * STATUS_MORE_PROCESSING_REQUIRED, and waits FIIU_TIMEOUT_MS for the event.
 *
 * The bug: when the wait times out, the routine frees the IRP with IoFreeIrp, although the worker
 * still holds it and will complete it. It must cancel it (IoCancelIrp) and wait for the completion
 * routine before it frees it.
 *
 * The interleaving that exposes it: none. The worker takes 10 ms and the refresh waits 1 ms.
 *
 * What Windows reports with Driver Verifier's I/O Verification, and the lab with it: 0xC9
 * DRIVER_VERIFIER_IOMANAGER_VIOLATION, P1 = 0x20A (IoFreeIrp on an IRP still in use), P2 = the
 * address in the driver that called IoFreeIrp, P3 = the IRP, in FreeIrpInUseDeviceControl. The
 * driver logs the IRP.
 */
#include <ntddk.h>

#define FIIU_DEVICE_NAME L"\\Device\\FreeIrpInUse"
#define FIIU_LINK_NAME L"\\??\\FreeIrpInUse"
#define IOCTL_FIIU_REFRESH CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FIIU_WORKER_LATENCY_MS 10
#define FIIU_TIMEOUT_MS 1

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD FreeIrpInUseUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH FreeIrpInUseCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH FreeIrpInUseDeviceControl;
_Dispatch_type_(IRP_MJ_INTERNAL_DEVICE_CONTROL) DRIVER_DISPATCH FreeIrpInUseWorker;
IO_COMPLETION_ROUTINE FreeIrpInUseDone;
KDEFERRED_ROUTINE FreeIrpInUseWorkerDpc;

typedef struct _FIIU_EXTENSION {
  PDEVICE_OBJECT Worker; /* the main device's worker; NULL for the worker itself */
  KTIMER Timer;          /* the worker's latency */
  KDPC Dpc;
  PIRP Busy;             /* the worker's current request */
} FIIU_EXTENSION, *PFIIU_EXTENSION;

static PFIIU_EXTENSION FreeIrpInUseExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PFIIU_EXTENSION)DeviceObject->DeviceExtension;
}

static NTSTATUS FreeIrpInUseComplete(_In_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS FreeIrpInUseCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return FreeIrpInUseComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ NTSTATUS FreeIrpInUseDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  UNREFERENCED_PARAMETER(DeviceObject);
  UNREFERENCED_PARAMETER(Irp);
  KeSetEvent((PKEVENT)Context, IO_NO_INCREMENT, FALSE);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

_Use_decl_annotations_ NTSTATUS FreeIrpInUseDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PDEVICE_OBJECT worker = FreeIrpInUseExtension(DeviceObject)->Worker;
  LARGE_INTEGER timeout;
  KEVENT done;
  NTSTATUS status;
  PIRP own;

  if (IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode != IOCTL_FIIU_REFRESH) {
    return FreeIrpInUseComplete(Irp, STATUS_INVALID_DEVICE_REQUEST);
  }
  own = IoAllocateIrp(worker->StackSize, FALSE);
  if (own == NULL) {
    return FreeIrpInUseComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
  }
  DbgPrint("free_irp_in_use: refresh sends %p\n", own);
  KeInitializeEvent(&done, NotificationEvent, FALSE);
  IoGetNextIrpStackLocation(own)->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
  IoSetCompletionRoutine(own, FreeIrpInUseDone, &done, TRUE, TRUE, TRUE);
  IoCallDriver(worker, own);
  timeout.QuadPart = -10LL * 1000 * FIIU_TIMEOUT_MS;
  status = KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, &timeout);
  if (status == STATUS_TIMEOUT) {
    IoFreeIrp(own); /* BUG: the worker still holds it; IoCancelIrp and wait for FreeIrpInUseDone first */
    return FreeIrpInUseComplete(Irp, STATUS_IO_TIMEOUT);
  }
  status = own->IoStatus.Status;
  IoFreeIrp(own);
  return FreeIrpInUseComplete(Irp, status);
}

_Use_decl_annotations_ NTSTATUS FreeIrpInUseWorker(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PFIIU_EXTENSION extension = FreeIrpInUseExtension(DeviceObject);
  LARGE_INTEGER due;

  if (InterlockedCompareExchangePointer((PVOID volatile *)&extension->Busy, Irp, NULL) != NULL) {
    return FreeIrpInUseComplete(Irp, STATUS_DEVICE_BUSY);
  }
  IoMarkIrpPending(Irp);
  due.QuadPart = -10LL * 1000 * FIIU_WORKER_LATENCY_MS;
  KeSetTimer(&extension->Timer, due, &extension->Dpc);
  return STATUS_PENDING;
}

_Use_decl_annotations_ VOID FreeIrpInUseWorkerDpc(PKDPC Dpc, PVOID Context, PVOID SystemArgument1,
                                                  PVOID SystemArgument2) {
  PIRP irp = (PIRP)InterlockedExchangePointer(
      (PVOID volatile *)&FreeIrpInUseExtension((PDEVICE_OBJECT)Context)->Busy, NULL);
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(SystemArgument1);
  UNREFERENCED_PARAMETER(SystemArgument2);

  if (irp != NULL) {
    FreeIrpInUseComplete(irp, STATUS_SUCCESS);
  }
}

_Use_decl_annotations_ VOID FreeIrpInUseUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(FIIU_LINK_NAME);
  PDEVICE_OBJECT device = DriverObject->DeviceObject;
  PDEVICE_OBJECT next;

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  while (device != NULL) {
    next = device->NextDevice;
    if (FreeIrpInUseExtension(device)->Worker == NULL) {
      KeCancelTimer(&FreeIrpInUseExtension(device)->Timer);
    }
    IoDeleteDevice(device);
    device = next;
  }
  KeFlushQueuedDpcs();
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(FIIU_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(FIIU_LINK_NAME);
  PDEVICE_OBJECT device;
  PDEVICE_OBJECT worker;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(FIIU_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &worker);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  RtlZeroMemory(worker->DeviceExtension, sizeof(FIIU_EXTENSION));
  KeInitializeTimer(&FreeIrpInUseExtension(worker)->Timer);
  KeInitializeDpc(&FreeIrpInUseExtension(worker)->Dpc, FreeIrpInUseWorkerDpc, worker);
  worker->Flags &= ~DO_DEVICE_INITIALIZING;
  status = IoCreateDevice(DriverObject, sizeof(FIIU_EXTENSION), &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN,
                          FALSE, &device);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(worker);
    return status;
  }
  RtlZeroMemory(device->DeviceExtension, sizeof(FIIU_EXTENSION));
  FreeIrpInUseExtension(device)->Worker = worker;
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    IoDeleteDevice(worker);
    return status;
  }
  DriverObject->MajorFunction[IRP_MJ_CREATE] = FreeIrpInUseCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = FreeIrpInUseCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = FreeIrpInUseDeviceControl;
  DriverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = FreeIrpInUseWorker;
  DriverObject->DriverUnload = FreeIrpInUseUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
