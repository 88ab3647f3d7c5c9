/*
 * null_handle - BUGGY ON PURPOSE: the driver passes the handle from an IOCTL to
 * ObReferenceObjectByHandle without looking at it, and the application may leave it NULL.
 *
 * IOCTL_NULL_HANDLE_REGISTER carries an optional event handle ("NULL: no notification"); the driver
 * references it with the caller's mode, as it should, but never tests for the NULL the interface
 * allows.
 *
 * What exposes it: the application calls the IOCTL with a NULL handle.
 *
 * What Windows reports with Driver Verifier's Miscellaneous Checks (part of the standard set):
 * bug check 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION, P1 = 0xF5 (a NULL handle passed to
 * ObReferenceObjectByHandle). Without Driver Verifier the reference fails with
 * STATUS_INVALID_HANDLE and the IOCTL fails.
 */
#include <ntddk.h>

#define NULL_HANDLE_DEVICE_NAME L"\\Device\\NullHandle"
#define NULL_HANDLE_LINK_NAME L"\\??\\NullHandle"
#define IOCTL_NULL_HANDLE_REGISTER CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD NullHandleUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH NullHandleCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH NullHandleIoctl;

static PKEVENT NullHandleEvent;

_Use_decl_annotations_ NTSTATUS NullHandleCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS NullHandleIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  NTSTATUS status = STATUS_INVALID_DEVICE_REQUEST;
  HANDLE handle;
  PVOID event;
  UNREFERENCED_PARAMETER(DeviceObject);

  if (stack->Parameters.DeviceIoControl.IoControlCode == IOCTL_NULL_HANDLE_REGISTER) {
    status = STATUS_INVALID_PARAMETER;
    if (stack->Parameters.DeviceIoControl.InputBufferLength >= sizeof(HANDLE)) {
      handle = *(PHANDLE)Irp->AssociatedIrp.SystemBuffer;
      DbgPrint("null_handle: handle %p type %p\n", handle, *ExEventObjectType);
      /* BUG: NULL means "no notification", but the handle goes to ObReferenceObjectByHandle untested. */
      status = ObReferenceObjectByHandle(handle, EVENT_MODIFY_STATE, *ExEventObjectType, Irp->RequestorMode, &event,
                                         NULL);
      if (NT_SUCCESS(status)) {
        if (InterlockedCompareExchangePointer((PVOID volatile *)&NullHandleEvent, event, NULL) != NULL) {
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

_Use_decl_annotations_ VOID NullHandleUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(NULL_HANDLE_LINK_NAME);

  PAGED_CODE();
  if (NullHandleEvent != NULL) {
    ObDereferenceObject(NullHandleEvent);
  }
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(NULL_HANDLE_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(NULL_HANDLE_LINK_NAME);
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
  DriverObject->MajorFunction[IRP_MJ_CREATE] = NullHandleCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = NullHandleCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = NullHandleCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = NullHandleIoctl;
  DriverObject->DriverUnload = NullHandleUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
