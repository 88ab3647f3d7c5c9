/*
 * touch_after_complete - BUGGY ON PURPOSE: the read dispatch routine touches the IRP after handing
 * it to the code that completes it.
 *
 * A read starts a transfer on the device, which finishes TOUCH_AFTER_COMPLETE_LATENCY_US later: a
 * timer DPC fills the buffer and completes the read. The dispatch routine marks the read pending,
 * starts the transfer, then waits TOUCH_AFTER_COMPLETE_SETTLE_MS (KeDelayExecutionThread) for the
 * device to report that it accepted the command, and finally stores STATUS_PENDING in
 * Irp->IoStatus.Status before returning STATUS_PENDING.
 *
 * The bug: once the transfer is started, the IRP belongs to the DPC, which may complete it at any
 * time; after completion the I/O manager's final stage frees it. The dispatch routine must not
 * touch the IRP after handing it over (it must not even read it: it returns STATUS_PENDING, which
 * it knows without looking).
 *
 * The interleaving that exposes it: the device finishes while the dispatch routine waits. Here
 * that is every read: the transfer takes 100 us and the wait 1 ms, so the DPC completes the read
 * and the final stage (a kernel APC to the reading thread, which runs as soon as the thread waits
 * at PASSIVE_LEVEL) frees it before the wait ends.
 *
 * What Windows reports with Driver Verifier's special pool for IRPs, and the lab with it: the freed
 * IRP's memory stays inaccessible, so the store faults: bug check 0xD5
 * DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL, P1 = the address written (&Irp->IoStatus.Status),
 * P2 = 1 (a write), P3 = the faulting instruction, in TouchAfterCompleteRead. Without special pool
 * the store lands in a freed (or already reused) IRP and corrupts it silently.
 */
#include <ntddk.h>

#define TOUCH_AFTER_COMPLETE_DEVICE_NAME L"\\Device\\TouchAfterComplete"
#define TOUCH_AFTER_COMPLETE_LINK_NAME L"\\??\\TouchAfterComplete"
#define TOUCH_AFTER_COMPLETE_LATENCY_US 100
#define TOUCH_AFTER_COMPLETE_SETTLE_MS 1

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD TouchAfterCompleteUnload;
KDEFERRED_ROUTINE TouchAfterCompleteTransferDpc;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH TouchAfterCompleteCreateClose;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH TouchAfterCompleteRead;

typedef struct _TOUCH_AFTER_COMPLETE_EXTENSION {
  KTIMER Timer; /* the transfer in progress */
  KDPC Dpc;     /* TouchAfterCompleteTransferDpc, context: the device object */
  PIRP Read;    /* the read being transferred; one at a time */
} TOUCH_AFTER_COMPLETE_EXTENSION, *PTOUCH_AFTER_COMPLETE_EXTENSION;

static PTOUCH_AFTER_COMPLETE_EXTENSION TouchAfterCompleteExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PTOUCH_AFTER_COMPLETE_EXTENSION)DeviceObject->DeviceExtension;
}

_Use_decl_annotations_ NTSTATUS TouchAfterCompleteCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS TouchAfterCompleteRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PTOUCH_AFTER_COMPLETE_EXTENSION extension = TouchAfterCompleteExtension(DeviceObject);
  LARGE_INTEGER due;

  if (InterlockedCompareExchangePointer((PVOID volatile *)&extension->Read, Irp, NULL) != NULL) {
    Irp->IoStatus.Status = STATUS_DEVICE_BUSY;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_DEVICE_BUSY;
  }
  IoMarkIrpPending(Irp);
  DbgPrint("touch_after_complete: read %p starts\n", Irp);
  due.QuadPart = -10LL * TOUCH_AFTER_COMPLETE_LATENCY_US;
  KeSetTimer(&extension->Timer, due, &extension->Dpc);
  due.QuadPart = -10LL * 1000 * TOUCH_AFTER_COMPLETE_SETTLE_MS;
  KeDelayExecutionThread(KernelMode, FALSE, &due);
  /* BUG: the DPC owns the IRP since KeSetTimer, and has completed it by now. */
  Irp->IoStatus.Status = STATUS_PENDING;
  return STATUS_PENDING;
}

/* The transfer finished: fill the buffer and complete the read. */
_Use_decl_annotations_ VOID TouchAfterCompleteTransferDpc(PKDPC Dpc, PVOID Context, PVOID SystemArgument1,
                                                          PVOID SystemArgument2) {
  PDEVICE_OBJECT device = (PDEVICE_OBJECT)Context;
  PIRP irp = (PIRP)InterlockedExchangePointer((PVOID volatile *)&TouchAfterCompleteExtension(device)->Read, NULL);
  ULONG length = IoGetCurrentIrpStackLocation(irp)->Parameters.Read.Length;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(SystemArgument1);
  UNREFERENCED_PARAMETER(SystemArgument2);

  RtlFillMemory(irp->AssociatedIrp.SystemBuffer, length, 't');
  DbgPrint("touch_after_complete: read %p done\n", irp);
  irp->IoStatus.Status = STATUS_SUCCESS;
  irp->IoStatus.Information = length;
  IoCompleteRequest(irp, IO_NO_INCREMENT);
}

_Use_decl_annotations_ VOID TouchAfterCompleteUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(TOUCH_AFTER_COMPLETE_LINK_NAME);

  PAGED_CODE();
  KeCancelTimer(&TouchAfterCompleteExtension(DriverObject->DeviceObject)->Timer);
  KeFlushQueuedDpcs();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(TOUCH_AFTER_COMPLETE_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(TOUCH_AFTER_COMPLETE_LINK_NAME);
  PTOUCH_AFTER_COMPLETE_EXTENSION extension;
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(TOUCH_AFTER_COMPLETE_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = TouchAfterCompleteExtension(device);
  RtlZeroMemory(extension, sizeof(*extension));
  KeInitializeTimer(&extension->Timer);
  KeInitializeDpc(&extension->Dpc, TouchAfterCompleteTransferDpc, device);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = TouchAfterCompleteCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = TouchAfterCompleteCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = TouchAfterCompleteCreateClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = TouchAfterCompleteRead;
  DriverObject->DriverUnload = TouchAfterCompleteUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
