/*
 * cancel_bench.c - a read pended with a cancel routine and completed by a DPC (see cancel_bench.h).
 */
#include <ntddk.h>

#include "cancel_bench.h"

static PDEVICE_OBJECT Device;
static KSPIN_LOCK QueueLock; /* guards Pending */
static PIRP Pending;         /* the read waiting for the DPC; NULL when none */
static KDPC CompletionDpc;

/* The read CancelBenchRead issues and CancelBenchCancel cancels. */
static PIRP ReadIrp;
static KEVENT ReadSent;      /* ReadIrp is set */
static KEVENT ReadCompleted; /* its completion routine ran */
static KEVENT CancelDone;    /* CancelBenchCancel no longer touches ReadIrp */

static VOID CompleteRead(PIRP Irp, NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

static DRIVER_CANCEL CancelRead;
static VOID CancelRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  KIRQL irql;
  UNREFERENCED_PARAMETER(DeviceObject);
  IoReleaseCancelSpinLock(Irp->CancelIrql);
  KeAcquireSpinLock(&QueueLock, &irql);
  if (Pending == Irp) Pending = NULL;
  KeReleaseSpinLock(&QueueLock, irql);
  CompleteRead(Irp, STATUS_CANCELLED);
}

static KDEFERRED_ROUTINE CompleteReadDpc;
static VOID CompleteReadDpc(PKDPC Dpc, PVOID Context, PVOID SystemArgument1, PVOID SystemArgument2) {
  PIRP irp;
  BOOLEAN owned;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(Context);
  UNREFERENCED_PARAMETER(SystemArgument1);
  UNREFERENCED_PARAMETER(SystemArgument2);
  KeAcquireSpinLockAtDpcLevel(&QueueLock);
  irp = Pending;
  /* Taking the cancel routine back is what makes the IRP ours; if it is gone, the cancel routine
   * owns the IRP and completes it. */
  owned = irp != NULL && IoSetCancelRoutine(irp, NULL) != NULL;
#ifdef CANCEL_BENCH_RACE
  owned = irp != NULL; /* the bug: completes even when the cancel routine already took the IRP */
#endif
  if (owned) Pending = NULL;
  KeReleaseSpinLockFromDpcLevel(&QueueLock);
  if (owned) CompleteRead(irp, STATUS_SUCCESS);
}

static DRIVER_DISPATCH DispatchRead;
static NTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  KIRQL irql;
  UNREFERENCED_PARAMETER(DeviceObject);
  KeAcquireSpinLock(&QueueLock, &irql);
  IoSetCancelRoutine(Irp, CancelRead);
  if (Irp->Cancel && IoSetCancelRoutine(Irp, NULL) != NULL) {
    KeReleaseSpinLock(&QueueLock, irql);
    CompleteRead(Irp, STATUS_CANCELLED);
    return STATUS_CANCELLED;
  }
  IoMarkIrpPending(Irp);
  Pending = Irp;
  KeReleaseSpinLock(&QueueLock, irql);
  KeInsertQueueDpc(&CompletionDpc, NULL, NULL);
  return STATUS_PENDING;
}

static DRIVER_DISPATCH DispatchCreateClose;
static NTSTATUS DispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

static IO_COMPLETION_ROUTINE ReadDone;
static NTSTATUS ReadDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  UNREFERENCED_PARAMETER(DeviceObject);
  UNREFERENCED_PARAMETER(Irp);
  UNREFERENCED_PARAMETER(Context);
  KeSetEvent(&ReadCompleted, IO_NO_INCREMENT, FALSE);
  return STATUS_MORE_PROCESSING_REQUIRED; /* the IRP is CancelBenchRead's to free */
}

NTSTATUS CancelBenchRead(void) {
  NTSTATUS status;
  PIO_STACK_LOCATION next;
  PIRP irp = IoAllocateIrp(Device->StackSize, FALSE);
  if (irp == NULL) return STATUS_INSUFFICIENT_RESOURCES;
  next = IoGetNextIrpStackLocation(irp);
  next->MajorFunction = IRP_MJ_READ;
  next->Parameters.Read.Length = 0;
  IoSetCompletionRoutine(irp, ReadDone, NULL, TRUE, TRUE, TRUE);
  ReadIrp = irp;
  KeSetEvent(&ReadSent, IO_NO_INCREMENT, FALSE);
  (void)IoCallDriver(Device, irp);
  KeWaitForSingleObject(&ReadCompleted, Executive, KernelMode, FALSE, NULL);
  KeWaitForSingleObject(&CancelDone, Executive, KernelMode, FALSE, NULL);
  status = irp->IoStatus.Status;
  ReadIrp = NULL;
  IoFreeIrp(irp);
  return status;
}

BOOLEAN CancelBenchCancel(ULONG DelayMicroseconds) {
  BOOLEAN cancelled;
  KeWaitForSingleObject(&ReadSent, Executive, KernelMode, FALSE, NULL);
  if (DelayMicroseconds != 0) {
    LARGE_INTEGER interval;
    interval.QuadPart = -10 * (LONGLONG)DelayMicroseconds;
    KeDelayExecutionThread(KernelMode, FALSE, &interval);
  }
  cancelled = IoCancelIrp(ReadIrp);
  KeSetEvent(&CancelDone, IO_NO_INCREMENT, FALSE);
  return cancelled;
}

static DRIVER_UNLOAD CancelBenchUnload;
static VOID CancelBenchUnload(PDRIVER_OBJECT DriverObject) {
  UNREFERENCED_PARAMETER(DriverObject);
  IoDeleteDevice(Device);
  Device = NULL;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);
  status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &Device);
  if (!NT_SUCCESS(status)) return status;
  KeInitializeSpinLock(&QueueLock);
  KeInitializeDpc(&CompletionDpc, CompleteReadDpc, NULL);
  KeInitializeEvent(&ReadSent, NotificationEvent, FALSE);
  KeInitializeEvent(&ReadCompleted, NotificationEvent, FALSE);
  KeInitializeEvent(&CancelDone, NotificationEvent, FALSE);
  Pending = NULL;
  ReadIrp = NULL;
  DriverObject->MajorFunction[IRP_MJ_CREATE] = DispatchCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = DispatchCreateClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = DispatchRead;
  DriverObject->DriverUnload = CancelBenchUnload;
  return STATUS_SUCCESS;
}
