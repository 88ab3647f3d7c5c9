/*
 * kernel_irp_user_buffer - BUGGY ON PURPOSE: the driver hands an application's buffer to a
 * KernelMode request.
 *
 * IOCTL_KERNEL_IRP_USER_BUFFER_FILL (METHOD_NEITHER) asks the driver to fill the caller's output
 * buffer. The driver does the work in its internal request handler: it allocates an IRP, points
 * its UserBuffer at Irp->UserBuffer (the application's address, never probed) and sends it to its
 * own device. A new IRP's RequestorMode is KernelMode, so whoever handles it trusts the buffer and
 * writes wherever the application said, kernel addresses included.
 *
 * What exposes it: any call of the IOCTL.
 *
 * What Windows reports with Driver Verifier's Security Checks (part of the standard set): bug
 * check 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION, P1 = 0xE2 (an IRP with RequestorMode KernelMode
 * carries a user-mode address), P2 = the IRP, P3 = the address. Without Driver Verifier the fill
 * goes through.
 */
#include <ntddk.h>

#define KERNEL_IRP_USER_BUFFER_DEVICE_NAME L"\\Device\\KernelIrpUserBuffer"
#define KERNEL_IRP_USER_BUFFER_LINK_NAME L"\\??\\KernelIrpUserBuffer"
#define IOCTL_KERNEL_IRP_USER_BUFFER_FILL CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_NEITHER, FILE_ANY_ACCESS)
#define IOCTL_KERNEL_IRP_USER_BUFFER_INTERNAL_FILL \
  CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_NEITHER, FILE_ANY_ACCESS)

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD KernelIrpUserBufferUnload;
IO_COMPLETION_ROUTINE KernelIrpUserBufferFilled;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH KernelIrpUserBufferCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH KernelIrpUserBufferIoctl;
_Dispatch_type_(IRP_MJ_INTERNAL_DEVICE_CONTROL) DRIVER_DISPATCH KernelIrpUserBufferInternal;

_Use_decl_annotations_ NTSTATUS KernelIrpUserBufferCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

/* The internal request: fill UserBuffer with Length bytes (trusted: it is a KernelMode request). */
_Use_decl_annotations_ NTSTATUS KernelIrpUserBufferInternal(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  ULONG length = stack->Parameters.DeviceIoControl.OutputBufferLength;
  UNREFERENCED_PARAMETER(DeviceObject);

  RtlFillMemory(Irp->UserBuffer, length, 'k');
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = length;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS KernelIrpUserBufferFilled(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  UNREFERENCED_PARAMETER(DeviceObject);
  UNREFERENCED_PARAMETER(Irp);
  KeSetEvent((PKEVENT)Context, IO_NO_INCREMENT, FALSE);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

_Use_decl_annotations_ NTSTATUS KernelIrpUserBufferIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  ULONG length = stack->Parameters.DeviceIoControl.OutputBufferLength;
  NTSTATUS status = STATUS_INVALID_DEVICE_REQUEST;
  ULONG_PTR information = 0;
  PIO_STACK_LOCATION next;
  KEVENT filled;
  PIRP fill;

  if (stack->Parameters.DeviceIoControl.IoControlCode == IOCTL_KERNEL_IRP_USER_BUFFER_FILL) {
    status = STATUS_INSUFFICIENT_RESOURCES;
    fill = IoAllocateIrp(DeviceObject->StackSize, FALSE);
    if (fill != NULL) {
      KeInitializeEvent(&filled, NotificationEvent, FALSE);
      /* BUG: the application's address in a KernelMode request. */
      fill->UserBuffer = Irp->UserBuffer;
      next = IoGetNextIrpStackLocation(fill);
      next->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
      next->Parameters.DeviceIoControl.IoControlCode = IOCTL_KERNEL_IRP_USER_BUFFER_INTERNAL_FILL;
      next->Parameters.DeviceIoControl.OutputBufferLength = length;
      IoSetCompletionRoutine(fill, KernelIrpUserBufferFilled, &filled, TRUE, TRUE, TRUE);
      DbgPrint("kernel_irp_user_buffer: irp %p buffer %p\n", fill, Irp->UserBuffer);
      if (IoCallDriver(DeviceObject, fill) == STATUS_PENDING) {
        KeWaitForSingleObject(&filled, Executive, KernelMode, FALSE, NULL);
      }
      status = fill->IoStatus.Status;
      information = fill->IoStatus.Information;
      IoFreeIrp(fill);
    }
  }
  Irp->IoStatus.Status = status;
  Irp->IoStatus.Information = information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

_Use_decl_annotations_ VOID KernelIrpUserBufferUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(KERNEL_IRP_USER_BUFFER_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(KERNEL_IRP_USER_BUFFER_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(KERNEL_IRP_USER_BUFFER_LINK_NAME);
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
  DriverObject->MajorFunction[IRP_MJ_CREATE] = KernelIrpUserBufferCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = KernelIrpUserBufferCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = KernelIrpUserBufferCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = KernelIrpUserBufferIoctl;
  DriverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = KernelIrpUserBufferInternal;
  DriverObject->DriverUnload = KernelIrpUserBufferUnload;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
