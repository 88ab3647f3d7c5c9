/*
 * double_complete - BUGGY ON PURPOSE: a read is completed twice, once by its cancel routine and
 * once by the timer DPC that ignores what IoSetCancelRoutine returned.
 *
 * The device serves one read at a time and completes it DOUBLE_COMPLETE_LATENCY_MS after it
 * arrives, from a timer DPC, with bytes counting up from 'a'. A waiting read is cancelable: its
 * cancel routine tells the device to abort the transfer, waits DOUBLE_COMPLETE_ABORT_US for the
 * device to acknowledge (KeStallExecutionProcessor), stops the timer and completes the read with
 * STATUS_CANCELLED.
 *
 * The bug: the DPC takes the read and calls IoSetCancelRoutine(Irp, NULL) to claim it, but ignores
 * the result. NULL means IoCancelIrp has already taken the cancel routine and called (or is about
 * to call) it: the cancel routine owns the IRP and completes it, and the DPC must leave it alone.
 * Completing it anyway completes the IRP twice.
 *
 * The interleaving that exposes it: the timer expires after IoCancelIrp took the cancel routine and
 * before the cancel routine stopped the timer. An application that cancels a read a little before
 * the device would have completed it opens that window, and the cancel routine's wait for the
 * device widens it to DOUBLE_COMPLETE_ABORT_US: the DPC runs on the processor while the cancel
 * routine stalls (a stall does not mask DPCs below DISPATCH_LEVEL), claims the read, gets NULL and
 * completes it; then the cancel routine completes it again.
 *
 * What Windows reports, and the lab with it: bug check 0x44 MULTIPLE_IRP_COMPLETE_REQUESTS,
 * P1 = the IRP, raised by the second IoCompleteRequest, here in DoubleCompleteCancel. The cancel
 * routine is innocent; the fault is DoubleCompleteTimerDpc's ignored return value (either order
 * of the two completions is the same bug). Had the IRP's final stage freed it in between, the
 * second completion would touch freed memory instead.
 */
#include <ntddk.h>

#define DOUBLE_COMPLETE_DEVICE_NAME L"\\Device\\DoubleComplete"
#define DOUBLE_COMPLETE_LINK_NAME L"\\??\\DoubleComplete"
#define DOUBLE_COMPLETE_LATENCY_MS 10
#define DOUBLE_COMPLETE_ABORT_US 50

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD DoubleCompleteUnload;
DRIVER_CANCEL DoubleCompleteCancel;
KDEFERRED_ROUTINE DoubleCompleteTimerDpc;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH DoubleCompleteCreateClose;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH DoubleCompleteRead;

typedef struct _DOUBLE_COMPLETE_EXTENSION {
  KTIMER Timer;  /* the waiting read's latency */
  KDPC Dpc;      /* DoubleCompleteTimerDpc, context: the device object */
  PIRP Read;     /* the waiting read; taken with an interlocked exchange */
} DOUBLE_COMPLETE_EXTENSION, *PDOUBLE_COMPLETE_EXTENSION;

static PDOUBLE_COMPLETE_EXTENSION DoubleCompleteExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PDOUBLE_COMPLETE_EXTENSION)DeviceObject->DeviceExtension;
}

_Use_decl_annotations_ NTSTATUS DoubleCompleteCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS DoubleCompleteRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PDOUBLE_COMPLETE_EXTENSION extension = DoubleCompleteExtension(DeviceObject);
  LARGE_INTEGER due;

  if (InterlockedCompareExchangePointer((PVOID volatile *)&extension->Read, Irp, NULL) != NULL) {
    Irp->IoStatus.Status = STATUS_DEVICE_BUSY;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_DEVICE_BUSY;
  }
  IoMarkIrpPending(Irp);
  IoSetCancelRoutine(Irp, DoubleCompleteCancel);
  if (Irp->Cancel && IoSetCancelRoutine(Irp, NULL) != NULL) {
    InterlockedExchangePointer((PVOID volatile *)&extension->Read, NULL);
    Irp->IoStatus.Status = STATUS_CANCELLED;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_PENDING;
  }
  DbgPrint("double_complete: read %p waits %d ms\n", Irp, DOUBLE_COMPLETE_LATENCY_MS);
  due.QuadPart = -10LL * 1000 * DOUBLE_COMPLETE_LATENCY_MS;
  KeSetTimer(&extension->Timer, due, &extension->Dpc);
  return STATUS_PENDING;
}

/* Called with the cancel spin lock held. */
_Use_decl_annotations_ VOID DoubleCompleteCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PDOUBLE_COMPLETE_EXTENSION extension = DoubleCompleteExtension(DeviceObject);

  IoReleaseCancelSpinLock(Irp->CancelIrql);
  DbgPrint("double_complete: cancel read %p\n", Irp);
  KeStallExecutionProcessor(DOUBLE_COMPLETE_ABORT_US); /* the device acknowledges the abort */
  KeCancelTimer(&extension->Timer);
  InterlockedCompareExchangePointer((PVOID volatile *)&extension->Read, NULL, Irp);
  Irp->IoStatus.Status = STATUS_CANCELLED;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

/* The device finished the waiting read. */
_Use_decl_annotations_ VOID DoubleCompleteTimerDpc(PKDPC Dpc, PVOID Context, PVOID SystemArgument1,
                                                   PVOID SystemArgument2) {
  PDEVICE_OBJECT device = (PDEVICE_OBJECT)Context;
  PIRP irp = (PIRP)InterlockedExchangePointer((PVOID volatile *)&DoubleCompleteExtension(device)->Read, NULL);
  PUCHAR buffer;
  ULONG length;
  ULONG i;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(SystemArgument1);
  UNREFERENCED_PARAMETER(SystemArgument2);

  if (irp == NULL) {
    return;
  }
  /* BUG: NULL here means the cancel routine owns the IRP; the DPC must return without touching it. */
  IoSetCancelRoutine(irp, NULL);
  buffer = (PUCHAR)irp->AssociatedIrp.SystemBuffer;
  length = IoGetCurrentIrpStackLocation(irp)->Parameters.Read.Length;
  for (i = 0; i < length; ++i) {
    buffer[i] = (UCHAR)('a' + i % 26);
  }
  DbgPrint("double_complete: timer completes read %p\n", irp);
  irp->IoStatus.Status = STATUS_SUCCESS;
  irp->IoStatus.Information = length;
  IoCompleteRequest(irp, IO_NO_INCREMENT);
}

_Use_decl_annotations_ VOID DoubleCompleteUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(DOUBLE_COMPLETE_LINK_NAME);

  PAGED_CODE();
  KeCancelTimer(&DoubleCompleteExtension(DriverObject->DeviceObject)->Timer);
  KeFlushQueuedDpcs();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(DOUBLE_COMPLETE_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(DOUBLE_COMPLETE_LINK_NAME);
  PDOUBLE_COMPLETE_EXTENSION extension;
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(DOUBLE_COMPLETE_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = DoubleCompleteExtension(device);
  RtlZeroMemory(extension, sizeof(*extension));
  KeInitializeTimer(&extension->Timer);
  KeInitializeDpc(&extension->Dpc, DoubleCompleteTimerDpc, device);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = DoubleCompleteCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = DoubleCompleteCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = DoubleCompleteCreateClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = DoubleCompleteRead;
  DriverObject->DriverUnload = DoubleCompleteUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
