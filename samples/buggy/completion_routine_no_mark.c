/*
 * completion_routine_no_mark - BUGGY ON PURPOSE: a filter's completion routine lets completion go
 * on without IoMarkIrpPending although the lower driver returned STATUS_PENDING.
 *
 * The driver has two devices: \Device\CompletionRoutineNoMark, which answers a read after
 * CRNM_LATENCY_MS from a timer DPC (bytes counting up from 'a'; one read at a time), and an
 * unnamed filter attached above it that counts the bytes read: it copies its stack location to the
 * next one, sets a completion routine and returns what IoCallDriver returned.
 *
 * The bug: the completion routine adds Information to the count and returns STATUS_SUCCESS
 * without `if (Irp->PendingReturned) IoMarkIrpPending(Irp);`. The filter returned STATUS_PENDING
 * (the lower driver's answer), so its own stack location must be marked pending once the lower
 * one was; without the mark the I/O manager above does not know the request was pending.
 *
 * The interleaving that exposes it: none. One overlapped read (the device answers later).
 *
 * What Windows reports with Driver Verifier's I/O Verification, and the lab with it: 0xC9
 * DRIVER_VERIFIER_IOMANAGER_VIOLATION, P1 = 0x228 (completion routine did not call
 * IoMarkIrpPending although PendingReturned was set), non-fatal, P2 = the completion routine,
 * P3 = the IRP. The lab then marks the location itself, so the read still finishes. The driver
 * logs the IRP and its completion routine.
 */
#include <ntddk.h>

#define CRNM_DEVICE_NAME L"\\Device\\CompletionRoutineNoMark"
#define CRNM_LINK_NAME L"\\??\\CompletionRoutineNoMark"
#define CRNM_LATENCY_MS 1

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD CompletionRoutineNoMarkUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH CompletionRoutineNoMarkCreateClose;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH CompletionRoutineNoMarkRead;
IO_COMPLETION_ROUTINE CompletionRoutineNoMarkCounted;
KDEFERRED_ROUTINE CompletionRoutineNoMarkTimerDpc;

typedef struct _CRNM_EXTENSION {
  PDEVICE_OBJECT Lower; /* the filter's lower device; NULL for the device itself */
  LONG BytesRead;       /* the filter's count */
  KTIMER Timer;         /* the device's latency */
  KDPC Dpc;
  PIRP Read;            /* the read the device is answering */
} CRNM_EXTENSION, *PCRNM_EXTENSION;

static PCRNM_EXTENSION CompletionRoutineNoMarkExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PCRNM_EXTENSION)DeviceObject->DeviceExtension;
}

_Use_decl_annotations_ NTSTATUS CompletionRoutineNoMarkCounted(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  UNREFERENCED_PARAMETER(Context);
  InterlockedExchangeAdd(&CompletionRoutineNoMarkExtension(DeviceObject)->BytesRead, (LONG)Irp->IoStatus.Information);
  return STATUS_SUCCESS; /* BUG: if (Irp->PendingReturned) IoMarkIrpPending(Irp); must come first */
}

_Use_decl_annotations_ NTSTATUS CompletionRoutineNoMarkCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PDEVICE_OBJECT lower = CompletionRoutineNoMarkExtension(DeviceObject)->Lower;

  if (lower != NULL) {
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(lower, Irp);
  }
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS CompletionRoutineNoMarkRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PCRNM_EXTENSION extension = CompletionRoutineNoMarkExtension(DeviceObject);
  LARGE_INTEGER due;

  if (extension->Lower != NULL) {
    DbgPrint("completion_routine_no_mark: read %p routine %p\n", Irp, (PVOID)CompletionRoutineNoMarkCounted);
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, CompletionRoutineNoMarkCounted, NULL, TRUE, TRUE, TRUE);
    return IoCallDriver(extension->Lower, Irp);
  }
  if (InterlockedCompareExchangePointer((PVOID volatile *)&extension->Read, Irp, NULL) != NULL) {
    Irp->IoStatus.Status = STATUS_DEVICE_BUSY;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_DEVICE_BUSY;
  }
  IoMarkIrpPending(Irp);
  due.QuadPart = -10LL * 1000 * CRNM_LATENCY_MS;
  KeSetTimer(&extension->Timer, due, &extension->Dpc);
  return STATUS_PENDING;
}

_Use_decl_annotations_ VOID CompletionRoutineNoMarkTimerDpc(PKDPC Dpc, PVOID Context, PVOID SystemArgument1,
                                                            PVOID SystemArgument2) {
  PCRNM_EXTENSION extension = CompletionRoutineNoMarkExtension((PDEVICE_OBJECT)Context);
  PIRP irp = (PIRP)InterlockedExchangePointer((PVOID volatile *)&extension->Read, NULL);
  PUCHAR buffer;
  ULONG length;
  ULONG i;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(SystemArgument1);
  UNREFERENCED_PARAMETER(SystemArgument2);

  if (irp == NULL) {
    return;
  }
  buffer = (PUCHAR)irp->AssociatedIrp.SystemBuffer;
  length = IoGetCurrentIrpStackLocation(irp)->Parameters.Read.Length;
  for (i = 0; i < length; ++i) {
    buffer[i] = (UCHAR)('a' + i % 26);
  }
  irp->IoStatus.Status = STATUS_SUCCESS;
  irp->IoStatus.Information = length;
  IoCompleteRequest(irp, IO_NO_INCREMENT);
}

_Use_decl_annotations_ VOID CompletionRoutineNoMarkUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(CRNM_LINK_NAME);
  PDEVICE_OBJECT device = DriverObject->DeviceObject;
  PDEVICE_OBJECT next;

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  while (device != NULL) {
    next = device->NextDevice;
    if (CompletionRoutineNoMarkExtension(device)->Lower != NULL) {
      IoDetachDevice(CompletionRoutineNoMarkExtension(device)->Lower);
    } else {
      KeCancelTimer(&CompletionRoutineNoMarkExtension(device)->Timer);
      KeFlushQueuedDpcs();
    }
    IoDeleteDevice(device);
    device = next;
  }
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(CRNM_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(CRNM_LINK_NAME);
  PCRNM_EXTENSION extension;
  PDEVICE_OBJECT device;
  PDEVICE_OBJECT filter;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(CRNM_EXTENSION), &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN,
                          FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  extension = CompletionRoutineNoMarkExtension(device);
  RtlZeroMemory(extension, sizeof(*extension));
  KeInitializeTimer(&extension->Timer);
  KeInitializeDpc(&extension->Dpc, CompletionRoutineNoMarkTimerDpc, device);
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  status = IoCreateDevice(DriverObject, sizeof(CRNM_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN,
                          FALSE, &filter);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  RtlZeroMemory(filter->DeviceExtension, sizeof(CRNM_EXTENSION));
  CompletionRoutineNoMarkExtension(filter)->Lower = IoAttachDeviceToDeviceStack(filter, device);
  filter->Flags |= DO_BUFFERED_IO;
  filter->Flags &= ~DO_DEVICE_INITIALIZING;
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDetachDevice(device);
    IoDeleteDevice(filter);
    IoDeleteDevice(device);
    return status;
  }
  DriverObject->MajorFunction[IRP_MJ_CREATE] = CompletionRoutineNoMarkCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = CompletionRoutineNoMarkCreateClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = CompletionRoutineNoMarkRead;
  DriverObject->DriverUnload = CompletionRoutineNoMarkUnload;
  return STATUS_SUCCESS;
}
