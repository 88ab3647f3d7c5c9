/*
 * cancel_race - BUGGY ON PURPOSE: an IRP is completed twice, by its cancel routine and by the DPC
 * that ignores what IoSetCancelRoutine returned, in some interleavings only.
 *
 * The driver runs on its own: DriverEntry creates an unnamed device and starts two system threads.
 * The sender allocates an IRP (IoAllocateIrp), publishes it and sends it to the driver's own
 * device, where the dispatch routine pends it with a cancel routine and queues a DPC to complete
 * it. The canceller waits until the IRP is published and cancels it (IoCancelIrp). The IRP's
 * completion routine keeps it (STATUS_MORE_PROCESSING_REQUIRED); DriverUnload waits for both
 * threads, flushes the DPC and frees it.
 *
 * The bug: the DPC claims the IRP with IoSetCancelRoutine(Irp, NULL) and ignores the result. NULL
 * means IoCancelIrp took the cancel routine first: the cancel routine owns the IRP and completes
 * it, and the DPC must leave it alone. When the cancellation comes after the dispatch routine set
 * the cancel routine and before the DPC took it back, both complete the IRP. Cancelled earlier,
 * the dispatch routine sees Irp->Cancel and completes it once; later, the DPC has completed it and
 * the cancellation finds no routine to call.
 *
 * What is reported depends on when the second completion comes, as on Windows: while the first is
 * still completing, 0x44 MULTIPLE_IRP_COMPLETE_REQUESTS [IRP]; after the completion routine kept
 * the IRP, the I/O manager is handed back an IRP no thread issued and the system stops with 0x1E,
 * which DDI compliance checking reports first as the IoAllocateComplete rule. Either way the
 * culprit is CancelRaceDpc's ignored return value.
 */
#include <ntddk.h>

#define IOCTL_CANCEL_RACE_WAIT CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_NEITHER, FILE_ANY_ACCESS)

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD CancelRaceUnload;
_Dispatch_type_(IRP_MJ_INTERNAL_DEVICE_CONTROL) DRIVER_DISPATCH CancelRaceDispatch;
DRIVER_CANCEL CancelRaceCancel;
KDEFERRED_ROUTINE CancelRaceDpc;
IO_COMPLETION_ROUTINE CancelRaceCompleted;
KSTART_ROUTINE CancelRaceSender;
KSTART_ROUTINE CancelRaceCanceller;

typedef struct _CANCEL_RACE {
  PDEVICE_OBJECT Device;
  KDPC CompleteDpc;    /* CancelRaceDpc; SystemArgument1: the IRP */
  PIRP Irp;            /* allocated by the sender, freed by DriverUnload */
  KEVENT Sent;         /* notification: Irp is set and about to be sent */
  KEVENT Completed;    /* notification: the IRP's completion routine ran */
  PETHREAD Threads[2]; /* the sender and the canceller, referenced while the driver is loaded */
} CANCEL_RACE;

static CANCEL_RACE g_race;

_Use_decl_annotations_ NTSTATUS CancelRaceDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);

  IoMarkIrpPending(Irp);
  IoSetCancelRoutine(Irp, CancelRaceCancel);
  if (Irp->Cancel) {
    /* Cancelled before the routine was set: complete it here, unless the cancel routine already
     * took it (NULL), in which case that routine completes it. */
    if (IoSetCancelRoutine(Irp, NULL) != NULL) {
      Irp->IoStatus.Status = STATUS_CANCELLED;
      Irp->IoStatus.Information = 0;
      IoCompleteRequest(Irp, IO_NO_INCREMENT);
    }
    return STATUS_PENDING;
  }
  KeInsertQueueDpc(&g_race.CompleteDpc, Irp, NULL);
  return STATUS_PENDING;
}

_Use_decl_annotations_ VOID CancelRaceCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);

  IoReleaseCancelSpinLock(Irp->CancelIrql);
  Irp->IoStatus.Status = STATUS_CANCELLED;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

_Use_decl_annotations_ VOID CancelRaceDpc(PKDPC Dpc, PVOID Context, PVOID SystemArgument1, PVOID SystemArgument2) {
  PIRP irp = (PIRP)SystemArgument1;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(Context);
  UNREFERENCED_PARAMETER(SystemArgument2);

  /* THE BUG: a NULL result means the cancel routine owns the IRP; the DPC completes it anyway. */
  IoSetCancelRoutine(irp, NULL);
  irp->IoStatus.Status = STATUS_SUCCESS;
  irp->IoStatus.Information = 0;
  IoCompleteRequest(irp, IO_NO_INCREMENT);
}

_Use_decl_annotations_ NTSTATUS CancelRaceCompleted(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  UNREFERENCED_PARAMETER(DeviceObject);
  UNREFERENCED_PARAMETER(Irp);

  KeSetEvent(&((CANCEL_RACE *)Context)->Completed, IO_NO_INCREMENT, FALSE);
  /* The IRP is the driver's own: it stays allocated until DriverUnload frees it. */
  return STATUS_MORE_PROCESSING_REQUIRED;
}

_Use_decl_annotations_ VOID CancelRaceSender(PVOID Context) {
  CANCEL_RACE *race = (CANCEL_RACE *)Context;
  PIO_STACK_LOCATION stack;
  PIRP irp;

  irp = IoAllocateIrp(race->Device->StackSize, FALSE);
  if (irp == NULL) {
    /* Nothing to send or to cancel. */
    KeSetEvent(&race->Sent, IO_NO_INCREMENT, FALSE);
    PsTerminateSystemThread(STATUS_INSUFFICIENT_RESOURCES);
  }
  irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
  stack = IoGetNextIrpStackLocation(irp);
  stack->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
  stack->Parameters.DeviceIoControl.IoControlCode = IOCTL_CANCEL_RACE_WAIT;
  IoSetCompletionRoutine(irp, CancelRaceCompleted, race, TRUE, TRUE, TRUE);
  race->Irp = irp;
  KeSetEvent(&race->Sent, IO_NO_INCREMENT, FALSE);
  (void)IoCallDriver(race->Device, irp);
  KeWaitForSingleObject(&race->Completed, Executive, KernelMode, FALSE, NULL);
  PsTerminateSystemThread(STATUS_SUCCESS);
}

_Use_decl_annotations_ VOID CancelRaceCanceller(PVOID Context) {
  CANCEL_RACE *race = (CANCEL_RACE *)Context;

  KeWaitForSingleObject(&race->Sent, Executive, KernelMode, FALSE, NULL);
  if (race->Irp != NULL) {
    (void)IoCancelIrp(race->Irp);
  }
  PsTerminateSystemThread(STATUS_SUCCESS);
}

_Use_decl_annotations_ VOID CancelRaceUnload(PDRIVER_OBJECT DriverObject) {
  ULONG i;
  UNREFERENCED_PARAMETER(DriverObject);

  for (i = 0; i < ARRAYSIZE(g_race.Threads); ++i) {
    if (g_race.Threads[i] != NULL) {
      KeWaitForSingleObject(g_race.Threads[i], Executive, KernelMode, FALSE, NULL);
      ObDereferenceObject(g_race.Threads[i]);
    }
  }
  /* The DPC may still be on its way out of the IRP. */
  KeFlushQueuedDpcs();
  if (g_race.Irp != NULL) {
    IoFreeIrp(g_race.Irp);
  }
  IoDeleteDevice(g_race.Device);
}

/* Starts Routine in a system thread and keeps a reference to it in *Thread. */
static NTSTATUS CancelRaceStartThread(PKSTART_ROUTINE Routine, PETHREAD *Thread) {
  OBJECT_ATTRIBUTES attributes;
  HANDLE handle;
  NTSTATUS status;

  InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
  status = PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, &attributes, NULL, NULL, Routine, &g_race);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = ObReferenceObjectByHandle(handle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, (PVOID *)Thread, NULL);
  ZwClose(handle);
  return status;
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  RtlZeroMemory(&g_race, sizeof(g_race));
  KeInitializeDpc(&g_race.CompleteDpc, CancelRaceDpc, &g_race);
  KeInitializeEvent(&g_race.Sent, NotificationEvent, FALSE);
  KeInitializeEvent(&g_race.Completed, NotificationEvent, FALSE);
  status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &g_race.Device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  DriverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = CancelRaceDispatch;
  DriverObject->DriverUnload = CancelRaceUnload;

  status = CancelRaceStartThread(CancelRaceSender, &g_race.Threads[0]);
  if (NT_SUCCESS(status)) {
    status = CancelRaceStartThread(CancelRaceCanceller, &g_race.Threads[1]);
  }
  if (!NT_SUCCESS(status)) {
    /* A thread that started runs to its end: let the canceller's wait end too, then unwind. */
    KeSetEvent(&g_race.Sent, IO_NO_INCREMENT, FALSE);
    CancelRaceUnload(DriverObject);
    return status;
  }
  return STATUS_SUCCESS;
}
