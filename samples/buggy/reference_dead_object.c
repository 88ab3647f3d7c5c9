/*
 * reference_dead_object - BUGGY ON PURPOSE: the driver takes a reference to a file object in its
 * IRP_MJ_CLOSE dispatch routine.
 *
 * The driver keeps the most recently closed file object for a later audit, and takes a reference
 * so that it stays valid. But IRP_MJ_CLOSE is sent from the file object's delete procedure: the
 * last reference is gone and the object is being freed, so the new reference cannot keep it
 * alive; the driver keeps a pointer to freed memory.
 *
 * What exposes it: opening and closing the device once.
 *
 * What Windows reports with Driver Verifier (an automatic check): bug check 0xC4
 * DRIVER_VERIFIER_DETECTED_VIOLATION, P1 = 0x3F (a reference count went from 0 to 1), P2 = the
 * file object, P3 = 1 (the new count), P4 = 1 (a reference). Without Driver Verifier the kernel
 * notices the same count in ObReferenceObject: bug check 0x18 REFERENCE_BY_POINTER.
 */
#include <ntddk.h>

#define REFERENCE_DEAD_OBJECT_DEVICE_NAME L"\\Device\\ReferenceDeadObject"
#define REFERENCE_DEAD_OBJECT_LINK_NAME L"\\??\\ReferenceDeadObject"

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD ReferenceDeadObjectUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLEANUP) DRIVER_DISPATCH ReferenceDeadObjectCreate;
_Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH ReferenceDeadObjectClose;

static PFILE_OBJECT ReferenceDeadObjectLastClosed;

_Use_decl_annotations_ NTSTATUS ReferenceDeadObjectCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS ReferenceDeadObjectClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PFILE_OBJECT file = IoGetCurrentIrpStackLocation(Irp)->FileObject;
  PFILE_OBJECT previous;
  UNREFERENCED_PARAMETER(DeviceObject);

  DbgPrint("reference_dead_object: file %p\n", file);
  /* BUG: the file object is being deleted; a reference cannot bring it back. */
  ObReferenceObject(file);
  previous = (PFILE_OBJECT)InterlockedExchangePointer((PVOID volatile *)&ReferenceDeadObjectLastClosed, file);
  if (previous != NULL) {
    ObDereferenceObject(previous);
  }
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ VOID ReferenceDeadObjectUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(REFERENCE_DEAD_OBJECT_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(REFERENCE_DEAD_OBJECT_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(REFERENCE_DEAD_OBJECT_LINK_NAME);
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
  DriverObject->MajorFunction[IRP_MJ_CREATE] = ReferenceDeadObjectCreate;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = ReferenceDeadObjectCreate;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = ReferenceDeadObjectClose;
  DriverObject->DriverUnload = ReferenceDeadObjectUnload;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
