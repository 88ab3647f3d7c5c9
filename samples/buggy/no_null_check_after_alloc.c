/*
 * no_null_check_after_alloc - BUGGY ON PURPOSE: the driver uses a pool allocation without testing
 * it for NULL.
 *
 * Each IOCTL_NO_NULL_CHECK_AFTER_ALLOC_RECORD call appends a record to the driver's history: the
 * driver allocates it with ExAllocatePoolWithTag and fills it in at once. Allocations from
 * nonpaged pool "never fail" on a test machine with plenty of memory, so the missing test goes
 * unnoticed until the machine runs low.
 *
 * What exposes it: Driver Verifier's Systematic Low Resources Simulation (/flags 0x40000) fails
 * the allocation the first time its call stack is seen, that is on the first call of the IOCTL
 * (Low Resources Simulation, 0x4, fails it at random). Every verifier run logs the failure it
 * injected ("!verifier 4" lists them).
 *
 * What Windows reports: the store through the NULL pointer faults in the dispatch routine, which
 * runs in the application's DeviceIoControl system service, and nothing handles the access
 * violation: bug check 0x3B SYSTEM_SERVICE_EXCEPTION, P1 = 0xC0000005 (STATUS_ACCESS_VIOLATION),
 * P2 = the faulting instruction in NoNullCheckAfterAllocIoctl. Without the stress both records
 * are kept.
 */
#include <ntddk.h>

#define NO_NULL_CHECK_AFTER_ALLOC_DEVICE_NAME L"\\Device\\NoNullCheckAfterAlloc"
#define NO_NULL_CHECK_AFTER_ALLOC_LINK_NAME L"\\??\\NoNullCheckAfterAlloc"
#define NO_NULL_CHECK_AFTER_ALLOC_TAG 'lluN'
#define IOCTL_NO_NULL_CHECK_AFTER_ALLOC_RECORD \
  CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD NoNullCheckAfterAllocUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH NoNullCheckAfterAllocCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH NoNullCheckAfterAllocIoctl;

typedef struct _NO_NULL_CHECK_AFTER_ALLOC_RECORD {
  SINGLE_LIST_ENTRY Link;
  ULONG Value;
} NO_NULL_CHECK_AFTER_ALLOC_RECORD, *PNO_NULL_CHECK_AFTER_ALLOC_RECORD;

static SINGLE_LIST_ENTRY NoNullCheckAfterAllocHistory;
static KSPIN_LOCK NoNullCheckAfterAllocLock;

_Use_decl_annotations_ NTSTATUS NoNullCheckAfterAllocCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS NoNullCheckAfterAllocIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  PNO_NULL_CHECK_AFTER_ALLOC_RECORD record;
  NTSTATUS status = STATUS_INVALID_DEVICE_REQUEST;
  KIRQL irql;
  UNREFERENCED_PARAMETER(DeviceObject);

  if (stack->Parameters.DeviceIoControl.IoControlCode == IOCTL_NO_NULL_CHECK_AFTER_ALLOC_RECORD &&
      stack->Parameters.DeviceIoControl.InputBufferLength >= sizeof(ULONG)) {
    record = (PNO_NULL_CHECK_AFTER_ALLOC_RECORD)ExAllocatePoolWithTag(
        NonPagedPoolNx, sizeof(NO_NULL_CHECK_AFTER_ALLOC_RECORD), NO_NULL_CHECK_AFTER_ALLOC_TAG);
    DbgPrint("no_null_check_after_alloc: record %p\n", record);
    /* BUG: no test for NULL. */
    record->Value = *(PULONG)Irp->AssociatedIrp.SystemBuffer;
    KeAcquireSpinLock(&NoNullCheckAfterAllocLock, &irql);
    PushEntryList(&NoNullCheckAfterAllocHistory, &record->Link);
    KeReleaseSpinLock(&NoNullCheckAfterAllocLock, irql);
    status = STATUS_SUCCESS;
  }
  Irp->IoStatus.Status = status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

_Use_decl_annotations_ VOID NoNullCheckAfterAllocUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(NO_NULL_CHECK_AFTER_ALLOC_LINK_NAME);
  PSINGLE_LIST_ENTRY entry;

  PAGED_CODE();
  while ((entry = PopEntryList(&NoNullCheckAfterAllocHistory)) != NULL) {
    ExFreePoolWithTag(CONTAINING_RECORD(entry, NO_NULL_CHECK_AFTER_ALLOC_RECORD, Link), NO_NULL_CHECK_AFTER_ALLOC_TAG);
  }
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(NO_NULL_CHECK_AFTER_ALLOC_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(NO_NULL_CHECK_AFTER_ALLOC_LINK_NAME);
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  KeInitializeSpinLock(&NoNullCheckAfterAllocLock);
  NoNullCheckAfterAllocHistory.Next = NULL;
  status = IoCreateDevice(DriverObject, 0, &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  DriverObject->MajorFunction[IRP_MJ_CREATE] = NoNullCheckAfterAllocCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = NoNullCheckAfterAllocCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = NoNullCheckAfterAllocCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = NoNullCheckAfterAllocIoctl;
  DriverObject->DriverUnload = NoNullCheckAfterAllocUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
