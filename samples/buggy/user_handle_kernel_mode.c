/*
 * user_handle_kernel_mode - BUGGY ON PURPOSE: the driver references a handle its caller passed in an
 * IOCTL with AccessMode KernelMode.
 *
 * IOCTL_USER_HANDLE_KERNEL_MODE_REGISTER carries an event handle from the application; the driver
 * references the event to signal it later. A handle from user mode must be referenced with
 * UserMode (Irp->RequestorMode), so that the handle's granted access is checked against what the
 * driver asks for; with KernelMode the check is skipped, and the application can make the driver
 * act on any object it has a handle to, whatever access the handle grants.
 *
 * What exposes it: any call of the IOCTL from an application, with any event handle.
 *
 * What Windows reports with Driver Verifier's Miscellaneous Checks (part of the standard set):
 * bug check 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION, P1 = 0xF6 (a user-mode handle referenced as
 * KernelMode), P2 = the handle, P3 = the process whose handle it is, P4 = the address of the call in
 * UserHandleKernelModeIoctl. Without Driver Verifier the reference succeeds.
 */
#include <ntddk.h>

#define USER_HANDLE_KERNEL_MODE_DEVICE_NAME L"\\Device\\UserHandleKernelMode"
#define USER_HANDLE_KERNEL_MODE_LINK_NAME L"\\??\\UserHandleKernelMode"
#define IOCTL_USER_HANDLE_KERNEL_MODE_REGISTER CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD UserHandleKernelModeUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH UserHandleKernelModeCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH UserHandleKernelModeIoctl;

static PKEVENT UserHandleKernelModeEvent;

_Use_decl_annotations_ NTSTATUS UserHandleKernelModeCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS UserHandleKernelModeIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  NTSTATUS status = STATUS_INVALID_DEVICE_REQUEST;
  HANDLE handle;
  PVOID event;
  UNREFERENCED_PARAMETER(DeviceObject);

  if (stack->Parameters.DeviceIoControl.IoControlCode == IOCTL_USER_HANDLE_KERNEL_MODE_REGISTER) {
    status = STATUS_INVALID_PARAMETER;
    if (stack->Parameters.DeviceIoControl.InputBufferLength >= sizeof(HANDLE)) {
      handle = *(PHANDLE)Irp->AssociatedIrp.SystemBuffer;
      DbgPrint("user_handle_kernel_mode: handle %p process %p\n", handle, PsGetCurrentProcess());
      /* BUG: a handle from user mode, referenced with KernelMode instead of Irp->RequestorMode. */
      status = ObReferenceObjectByHandle(handle, EVENT_MODIFY_STATE, *ExEventObjectType, KernelMode, &event, NULL);
      if (NT_SUCCESS(status)) {
        if (InterlockedCompareExchangePointer((PVOID volatile *)&UserHandleKernelModeEvent, event, NULL) != NULL) {
          ObDereferenceObject(event);
        }
      }
    }
  }
  Irp->IoStatus.Status = status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

_Use_decl_annotations_ VOID UserHandleKernelModeUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(USER_HANDLE_KERNEL_MODE_LINK_NAME);

  PAGED_CODE();
  if (UserHandleKernelModeEvent != NULL) {
    ObDereferenceObject(UserHandleKernelModeEvent);
  }
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(USER_HANDLE_KERNEL_MODE_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(USER_HANDLE_KERNEL_MODE_LINK_NAME);
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
  DriverObject->MajorFunction[IRP_MJ_CREATE] = UserHandleKernelModeCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = UserHandleKernelModeCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = UserHandleKernelModeCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = UserHandleKernelModeIoctl;
  DriverObject->DriverUnload = UserHandleKernelModeUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
