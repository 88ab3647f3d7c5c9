/*
 * io_allocate_complete - BUGGY ON PURPOSE: an IRP the driver allocated with IoAllocateIrp is
 * disposed of with IoCompleteRequest instead of IoFreeIrp.
 *
 * The driver answers IOCTL_IOAC_QUERY (METHOD_BUFFERED, a 4-byte input naming a register) by
 * sending an internal device control to an unnamed worker device standing for the hardware, in an
 * IRP it allocates. The worker answers at once.
 *
 * The bug: the routine allocates the IRP before it checks the input, and on a bad input it gets
 * rid of the IRP by completing it. An IRP from IoAllocateIrp was issued by no thread and has no
 * completion routine of the driver's: completing it hands it to the I/O manager's final stage,
 * which has nobody to finish it for. It must be freed with IoFreeIrp (DDI compliance rule
 * IoAllocateComplete).
 *
 * The interleaving that exposes it: none. A query with no input.
 *
 * What Windows reports: with I/O Verification, 0xC9 DRIVER_VERIFIER_IOMANAGER_VIOLATION,
 * P1 = 0x239 (an IRP completed that was never forwarded; a warning), P2 = the address in the driver
 * that called IoCompleteRequest, P3 = the IRP; with DDI compliance checking, the rule
 * IoAllocateComplete; then the kernel faults finishing an IRP no thread issued. The lab reports
 * the warning, the rule (WDMLAB_DDI_RULE_VIOLATION [0, the IRP, the caller, 0], non-fatal) and
 * stops with 0x1E KMODE_EXCEPTION_NOT_HANDLED (access violation), all three in
 * IoAllocateCompleteDeviceControl. The driver logs the IRP.
 */
#include <ntddk.h>

#define IOAC_DEVICE_NAME L"\\Device\\IoAllocateComplete"
#define IOAC_LINK_NAME L"\\??\\IoAllocateComplete"
#define IOCTL_IOAC_QUERY CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD IoAllocateCompleteUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH IoAllocateCompleteCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH IoAllocateCompleteDeviceControl;
_Dispatch_type_(IRP_MJ_INTERNAL_DEVICE_CONTROL) DRIVER_DISPATCH IoAllocateCompleteWorker;
IO_COMPLETION_ROUTINE IoAllocateCompleteDone;

static PDEVICE_OBJECT IoAllocateCompleteWorkerDevice;

static NTSTATUS IoAllocateCompleteFinish(_In_ PIRP Irp, _In_ NTSTATUS Status, _In_ ULONG_PTR Information) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS IoAllocateCompleteCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return IoAllocateCompleteFinish(Irp, STATUS_SUCCESS, 0);
}

_Use_decl_annotations_ NTSTATUS IoAllocateCompleteWorker(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return IoAllocateCompleteFinish(Irp, STATUS_SUCCESS, 0x1234);
}

_Use_decl_annotations_ NTSTATUS IoAllocateCompleteDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  UNREFERENCED_PARAMETER(DeviceObject);
  UNREFERENCED_PARAMETER(Irp);
  KeSetEvent((PKEVENT)Context, IO_NO_INCREMENT, FALSE);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

_Use_decl_annotations_ NTSTATUS IoAllocateCompleteDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  KEVENT done;
  ULONG_PTR value;
  PIRP own;
  UNREFERENCED_PARAMETER(DeviceObject);

  if (stack->Parameters.DeviceIoControl.IoControlCode != IOCTL_IOAC_QUERY) {
    return IoAllocateCompleteFinish(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
  }
  own = IoAllocateIrp(IoAllocateCompleteWorkerDevice->StackSize, FALSE);
  if (own == NULL) {
    return IoAllocateCompleteFinish(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
  }
  DbgPrint("io_allocate_complete: query allocates %p\n", own);
  if (stack->Parameters.DeviceIoControl.InputBufferLength < sizeof(ULONG)) {
    IoAllocateCompleteFinish(own, STATUS_INVALID_PARAMETER, 0); /* BUG: IoFreeIrp(own) */
    return IoAllocateCompleteFinish(Irp, STATUS_INVALID_PARAMETER, 0);
  }
  KeInitializeEvent(&done, NotificationEvent, FALSE);
  IoGetNextIrpStackLocation(own)->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
  IoSetCompletionRoutine(own, IoAllocateCompleteDone, &done, TRUE, TRUE, TRUE);
  IoCallDriver(IoAllocateCompleteWorkerDevice, own);
  KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, NULL);
  value = own->IoStatus.Information;
  IoFreeIrp(own);
  if (stack->Parameters.DeviceIoControl.OutputBufferLength >= sizeof(ULONG)) {
    *(PULONG)Irp->AssociatedIrp.SystemBuffer = (ULONG)value;
    return IoAllocateCompleteFinish(Irp, STATUS_SUCCESS, sizeof(ULONG));
  }
  return IoAllocateCompleteFinish(Irp, STATUS_SUCCESS, 0);
}

_Use_decl_annotations_ VOID IoAllocateCompleteUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(IOAC_LINK_NAME);
  PDEVICE_OBJECT device = DriverObject->DeviceObject;
  PDEVICE_OBJECT next;

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  while (device != NULL) {
    next = device->NextDevice;
    IoDeleteDevice(device);
    device = next;
  }
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(IOAC_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(IOAC_LINK_NAME);
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &IoAllocateCompleteWorkerDevice);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  IoAllocateCompleteWorkerDevice->Flags &= ~DO_DEVICE_INITIALIZING;
  status = IoCreateDevice(DriverObject, 0, &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(IoAllocateCompleteWorkerDevice);
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    IoDeleteDevice(IoAllocateCompleteWorkerDevice);
    return status;
  }
  DriverObject->MajorFunction[IRP_MJ_CREATE] = IoAllocateCompleteCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = IoAllocateCompleteCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = IoAllocateCompleteDeviceControl;
  DriverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = IoAllocateCompleteWorker;
  DriverObject->DriverUnload = IoAllocateCompleteUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
