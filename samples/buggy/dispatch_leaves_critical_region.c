/*
 * dispatch_leaves_critical_region - BUGGY ON PURPOSE: a dispatch routine returns inside the
 * critical region it entered.
 *
 * The device keeps a configuration word guarded by an ERESOURCE. IOCTL_DLCR_SET (METHOD_BUFFERED,
 * a 4-byte input) enters a critical region, takes the resource exclusively, stores the word and
 * leaves both.
 *
 * The bug: an input shorter than 4 bytes is rejected after KeEnterCriticalRegion, on a path that
 * returns without KeLeaveCriticalRegion. The thread goes back to user mode with normal kernel APCs
 * disabled (its I/O completions and suspends never run).
 *
 * The interleaving that exposes it: none. A set with an empty input buffer.
 *
 * What Windows reports with Driver Verifier's I/O Verification, and the lab with it: bug check
 * 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION, P1 = 0xC5 (the dispatch routine changed the thread's
 * APC-disable count), P2 = the dispatch routine, P3 = the count now (0xFFFF: the kernel count,
 * -1, in the low 16 bits), P4 = the count before (0). Without Driver Verifier Windows stops later,
 * at the return to user mode (0x1 APC_INDEX_MISMATCH). The driver logs its dispatch routine.
 */
#include <ntddk.h>

#define DLCR_DEVICE_NAME L"\\Device\\DispatchLeavesCriticalRegion"
#define DLCR_LINK_NAME L"\\??\\DispatchLeavesCriticalRegion"
#define IOCTL_DLCR_SET CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD DispatchLeavesCriticalRegionUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH DispatchLeavesCriticalRegionCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH DispatchLeavesCriticalRegionDeviceControl;

typedef struct _DLCR_EXTENSION {
  ERESOURCE Resource; /* guards Word */
  ULONG Word;
} DLCR_EXTENSION, *PDLCR_EXTENSION;

static NTSTATUS DispatchLeavesCriticalRegionComplete(_In_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS DispatchLeavesCriticalRegionCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return DispatchLeavesCriticalRegionComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ NTSTATUS DispatchLeavesCriticalRegionDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PDLCR_EXTENSION extension = (PDLCR_EXTENSION)DeviceObject->DeviceExtension;
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);

  DbgPrint("dispatch_leaves_critical_region: set %p routine %p\n", Irp,
           (PVOID)DispatchLeavesCriticalRegionDeviceControl);
  if (stack->Parameters.DeviceIoControl.IoControlCode != IOCTL_DLCR_SET) {
    return DispatchLeavesCriticalRegionComplete(Irp, STATUS_INVALID_DEVICE_REQUEST);
  }
  KeEnterCriticalRegion();
  if (stack->Parameters.DeviceIoControl.InputBufferLength < sizeof(ULONG)) {
    return DispatchLeavesCriticalRegionComplete(Irp, STATUS_INVALID_PARAMETER); /* BUG: KeLeaveCriticalRegion */
  }
  ExAcquireResourceExclusiveLite(&extension->Resource, TRUE);
  extension->Word = *(PULONG)Irp->AssociatedIrp.SystemBuffer;
  ExReleaseResourceLite(&extension->Resource);
  KeLeaveCriticalRegion();
  return DispatchLeavesCriticalRegionComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ VOID DispatchLeavesCriticalRegionUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(DLCR_LINK_NAME);
  PDLCR_EXTENSION extension = (PDLCR_EXTENSION)DriverObject->DeviceObject->DeviceExtension;

  PAGED_CODE();
  ExDeleteResourceLite(&extension->Resource);
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(DLCR_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(DLCR_LINK_NAME);
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(DLCR_EXTENSION), &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN,
                          FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  ExInitializeResourceLite(&((PDLCR_EXTENSION)device->DeviceExtension)->Resource);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = DispatchLeavesCriticalRegionCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = DispatchLeavesCriticalRegionCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchLeavesCriticalRegionDeviceControl;
  DriverObject->DriverUnload = DispatchLeavesCriticalRegionUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
