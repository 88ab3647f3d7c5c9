/*
 * paged_pool_at_dispatch - BUGGY ON PURPOSE: touches paged pool while holding a spin lock.
 *
 * \Device\PagedPoolAtDispatch counts its opens in a statistics block that DriverEntry
 * allocates, guarded by a spin lock in the device extension. The block is freed at unload.
 *
 * The bug: the statistics block comes from PagedPool, but it is updated while the spin lock is
 * held, at DISPATCH_LEVEL, where no page fault can be resolved. It works as long as the page
 * happens to be resident, which on a machine with memory to spare is nearly always.
 *
 * What exposes it: any open, with Driver Verifier's Force IRQL checking (flag 0x2), which trims
 * all paged pool whenever a verified driver takes a spin lock or raises to DISPATCH_LEVEL. What
 * Windows reports then: bug check 0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL, P1 = the address touched
 * (&Statistics->LastOpenTime), P2 = 2 (DISPATCH_LEVEL), P3 = 1 (a write), P4 = the faulting
 * instruction, in PagedPoolAtDispatchCreate. The lab reports the same.
 */
#include <ntddk.h>

#define PAGED_POOL_AT_DISPATCH_DEVICE_NAME L"\\Device\\PagedPoolAtDispatch"
#define PAGED_POOL_AT_DISPATCH_LINK_NAME L"\\??\\PagedPoolAtDispatch"
#define PAGED_POOL_AT_DISPATCH_TAG 'dpPP'

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD PagedPoolAtDispatchUnload;
_Dispatch_type_(IRP_MJ_CREATE) DRIVER_DISPATCH PagedPoolAtDispatchCreate;
_Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP) DRIVER_DISPATCH PagedPoolAtDispatchClose;

typedef struct _PAGED_POOL_AT_DISPATCH_STATISTICS {
  ULONGLONG LastOpenTime; /* interrupt time of the last open */
  ULONG Opens;
} PAGED_POOL_AT_DISPATCH_STATISTICS, *PPAGED_POOL_AT_DISPATCH_STATISTICS;

typedef struct _PAGED_POOL_AT_DISPATCH_EXTENSION {
  KSPIN_LOCK Lock;                               /* guards Statistics */
  PPAGED_POOL_AT_DISPATCH_STATISTICS Statistics; /* BUG: allocated from paged pool */
} PAGED_POOL_AT_DISPATCH_EXTENSION, *PPAGED_POOL_AT_DISPATCH_EXTENSION;

static NTSTATUS PagedPoolAtDispatchComplete(_Inout_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS PagedPoolAtDispatchCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PPAGED_POOL_AT_DISPATCH_EXTENSION extension = (PPAGED_POOL_AT_DISPATCH_EXTENSION)DeviceObject->DeviceExtension;
  KIRQL irql;

  KeAcquireSpinLock(&extension->Lock, &irql);
  extension->Statistics->LastOpenTime = KeQueryInterruptTime();
  extension->Statistics->Opens++;
  KeReleaseSpinLock(&extension->Lock, irql);
  return PagedPoolAtDispatchComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ NTSTATUS PagedPoolAtDispatchClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return PagedPoolAtDispatchComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ VOID PagedPoolAtDispatchUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(PAGED_POOL_AT_DISPATCH_LINK_NAME);

  PPAGED_POOL_AT_DISPATCH_EXTENSION extension =
      (PPAGED_POOL_AT_DISPATCH_EXTENSION)DriverObject->DeviceObject->DeviceExtension;

  PAGED_CODE();
  ExFreePoolWithTag(extension->Statistics, PAGED_POOL_AT_DISPATCH_TAG);
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(PAGED_POOL_AT_DISPATCH_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(PAGED_POOL_AT_DISPATCH_LINK_NAME);
  PPAGED_POOL_AT_DISPATCH_EXTENSION extension;
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(PAGED_POOL_AT_DISPATCH_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = (PPAGED_POOL_AT_DISPATCH_EXTENSION)device->DeviceExtension;
  KeInitializeSpinLock(&extension->Lock);
  /* BUG: the statistics are touched under a spin lock (DISPATCH_LEVEL) but live in paged pool. */
  extension->Statistics = (PPAGED_POOL_AT_DISPATCH_STATISTICS)ExAllocatePoolWithTag(
      PagedPool, sizeof(PAGED_POOL_AT_DISPATCH_STATISTICS), PAGED_POOL_AT_DISPATCH_TAG);
  if (extension->Statistics == NULL) {
    IoDeleteSymbolicLink(&link);
    IoDeleteDevice(device);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  RtlZeroMemory(extension->Statistics, sizeof(PAGED_POOL_AT_DISPATCH_STATISTICS));
  DbgPrint("paged_pool_at_dispatch: statistics %p\n", extension->Statistics);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = PagedPoolAtDispatchCreate;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = PagedPoolAtDispatchClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = PagedPoolAtDispatchClose;
  DriverObject->DriverUnload = PagedPoolAtDispatchUnload;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
