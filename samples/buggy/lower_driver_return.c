/*
 * lower_driver_return - BUGGY ON PURPOSE: a filter returns STATUS_SUCCESS for a read that the
 * driver below it pended.
 *
 * The driver has two devices: \Device\LowerDriverReturn, whose reads wait (pending, one at a time)
 * until the file is cleaned up, and an unnamed filter attached above it. The filter passes creates,
 * cleanups and closes down with IoSkipCurrentIrpStackLocation, and reads with
 * IoCopyCurrentIrpStackLocationToNext.
 *
 * The bug: the filter's read path ignores what IoCallDriver returned and returns STATUS_SUCCESS.
 * The lower driver pended the read; the I/O manager, told the request succeeded at once, finishes
 * it while the lower driver still holds it. A routine that passes an IRP down returns the lower
 * driver's status (DDI compliance rule LowerDriverReturn).
 *
 * The interleaving that exposes it: none. One overlapped read.
 *
 * What Windows reports: with DDI compliance checking, the LowerDriverReturn rule; then, with I/O
 * Verification, 0xC9 DRIVER_VERIFIER_IOMANAGER_VIOLATION, P1 = 0x226 (the dispatch routine did not
 * return STATUS_PENDING for a request still in a driver's hands), P2 = the read dispatch routine,
 * P3 = the IRP, P4 = 0. The lab reports the rule as WDMLAB_DDI_RULE_VIOLATION (non-fatal) [0, the
 * IRP, the read dispatch routine, 0], then 0x226. The driver logs the IRP and its read routine.
 */
#include <ntddk.h>

#define LDR_DEVICE_NAME L"\\Device\\LowerDriverReturn"
#define LDR_LINK_NAME L"\\??\\LowerDriverReturn"

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD LowerDriverReturnUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH LowerDriverReturnPassOrComplete;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH LowerDriverReturnRead;

typedef struct _LDR_EXTENSION {
  PDEVICE_OBJECT Lower; /* the filter's lower device; NULL for the device itself */
  PIRP WaitingRead;     /* the device's waiting read, taken with an interlocked exchange */
} LDR_EXTENSION, *PLDR_EXTENSION;

static PLDR_EXTENSION LowerDriverReturnExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PLDR_EXTENSION)DeviceObject->DeviceExtension;
}

static VOID LowerDriverReturnComplete(_In_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

/* The filter skips; the device completes, ending its waiting read at cleanup. */
_Use_decl_annotations_ NTSTATUS LowerDriverReturnPassOrComplete(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PLDR_EXTENSION extension = LowerDriverReturnExtension(DeviceObject);
  PIRP waiting;

  if (extension->Lower != NULL) {
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(extension->Lower, Irp);
  }
  if (IoGetCurrentIrpStackLocation(Irp)->MajorFunction == IRP_MJ_CLEANUP) {
    waiting = (PIRP)InterlockedExchangePointer((PVOID volatile *)&extension->WaitingRead, NULL);
    if (waiting != NULL) {
      LowerDriverReturnComplete(waiting, STATUS_CANCELLED);
    }
  }
  LowerDriverReturnComplete(Irp, STATUS_SUCCESS);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS LowerDriverReturnRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PLDR_EXTENSION extension = LowerDriverReturnExtension(DeviceObject);

  if (extension->Lower != NULL) {
    DbgPrint("lower_driver_return: read %p routine %p\n", Irp, (PVOID)LowerDriverReturnRead);
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoCallDriver(extension->Lower, Irp);
    return STATUS_SUCCESS; /* BUG: return what IoCallDriver returned */
  }
  IoMarkIrpPending(Irp);
  if (InterlockedCompareExchangePointer((PVOID volatile *)&extension->WaitingRead, Irp, NULL) != NULL) {
    LowerDriverReturnComplete(Irp, STATUS_DEVICE_BUSY);
  }
  return STATUS_PENDING;
}

_Use_decl_annotations_ VOID LowerDriverReturnUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(LDR_LINK_NAME);
  PDEVICE_OBJECT device = DriverObject->DeviceObject;
  PDEVICE_OBJECT next;

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  while (device != NULL) {
    next = device->NextDevice;
    if (LowerDriverReturnExtension(device)->Lower != NULL) {
      IoDetachDevice(LowerDriverReturnExtension(device)->Lower);
    }
    IoDeleteDevice(device);
    device = next;
  }
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(LDR_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(LDR_LINK_NAME);
  PDEVICE_OBJECT devices[2];
  NTSTATUS status;
  ULONG i;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  for (i = 0; i < 2; ++i) {
    status = IoCreateDevice(DriverObject, sizeof(LDR_EXTENSION), i == 0 ? &name : NULL, FILE_DEVICE_UNKNOWN,
                            FILE_DEVICE_SECURE_OPEN, FALSE, &devices[i]);
    if (!NT_SUCCESS(status)) {
      if (i == 1) {
        IoDeleteDevice(devices[0]);
      }
      return status;
    }
    RtlZeroMemory(devices[i]->DeviceExtension, sizeof(LDR_EXTENSION));
    devices[i]->Flags |= DO_BUFFERED_IO;
    devices[i]->Flags &= ~DO_DEVICE_INITIALIZING;
  }
  LowerDriverReturnExtension(devices[1])->Lower = IoAttachDeviceToDeviceStack(devices[1], devices[0]);
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDetachDevice(devices[0]);
    IoDeleteDevice(devices[1]);
    IoDeleteDevice(devices[0]);
    return status;
  }
  DriverObject->MajorFunction[IRP_MJ_CREATE] = LowerDriverReturnPassOrComplete;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = LowerDriverReturnPassOrComplete;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = LowerDriverReturnPassOrComplete;
  DriverObject->MajorFunction[IRP_MJ_READ] = LowerDriverReturnRead;
  DriverObject->DriverUnload = LowerDriverReturnUnload;
  return STATUS_SUCCESS;
}
