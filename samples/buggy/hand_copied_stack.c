/*
 * hand_copied_stack - BUGGY ON PURPOSE: a filter passes reads down after copying its stack
 * location by hand.
 *
 * The driver has two devices: \Device\HandCopiedStack, which answers a read with bytes counting up
 * from 'a', and an unnamed filter attached above it that passes every request down. Creates and
 * closes are skipped down (IoSkipCurrentIrpStackLocation); reads are marked pending and forwarded,
 * the filter returning STATUS_PENDING.
 *
 * The bug: the filter fills the lower driver's stack location with a structure assignment,
 * `*IoGetNextIrpStackLocation(Irp) = *IoGetCurrentIrpStackLocation(Irp)`, after IoMarkIrpPending.
 * The copy carries the filter's Control field, SL_PENDING_RETURNED included, and its completion
 * routine and context, into the lower location. IoCopyCurrentIrpStackLocationToNext copies the
 * parameters only and clears Control.
 *
 * The interleaving that exposes it: none. One read.
 *
 * What Windows reports with Driver Verifier's I/O Verification, and the lab with it: 0xC9
 * DRIVER_VERIFIER_IOMANAGER_VIOLATION, P1 = 0x206 (IRP forwarded without a proper stack copy: the
 * Control field was not zeroed), P2 = the address in the filter that called IoCallDriver, P3 = the
 * IRP, in HandCopiedStackFilterRead. Had an upper driver set a completion routine, the copy would
 * have carried it down too: 0xC9 / 0x207. The driver logs the IRP.
 */
#include <ntddk.h>

#define HAND_COPIED_STACK_DEVICE_NAME L"\\Device\\HandCopiedStack"
#define HAND_COPIED_STACK_LINK_NAME L"\\??\\HandCopiedStack"

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD HandCopiedStackUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH HandCopiedStackCreateClose;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH HandCopiedStackRead;

typedef struct _HAND_COPIED_STACK_EXTENSION {
  PDEVICE_OBJECT Lower; /* the filter's lower device; NULL for the device itself */
} HAND_COPIED_STACK_EXTENSION, *PHAND_COPIED_STACK_EXTENSION;

static PDEVICE_OBJECT HandCopiedStackLower(_In_ PDEVICE_OBJECT DeviceObject) {
  return ((PHAND_COPIED_STACK_EXTENSION)DeviceObject->DeviceExtension)->Lower;
}

static NTSTATUS HandCopiedStackFilterRead(_In_ PDEVICE_OBJECT Lower, _In_ PIRP Irp) {
  DbgPrint("hand_copied_stack: filter read %p\n", Irp);
  IoMarkIrpPending(Irp);
  *IoGetNextIrpStackLocation(Irp) = *IoGetCurrentIrpStackLocation(Irp); /* BUG: IoCopyCurrentIrpStackLocationToNext */
  IoCallDriver(Lower, Irp);
  return STATUS_PENDING;
}

_Use_decl_annotations_ NTSTATUS HandCopiedStackCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PDEVICE_OBJECT lower = HandCopiedStackLower(DeviceObject);

  if (lower != NULL) {
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(lower, Irp);
  }
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS HandCopiedStackRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PDEVICE_OBJECT lower = HandCopiedStackLower(DeviceObject);
  ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Read.Length;
  PUCHAR buffer = (PUCHAR)Irp->AssociatedIrp.SystemBuffer;
  ULONG i;

  if (lower != NULL) {
    return HandCopiedStackFilterRead(lower, Irp);
  }
  for (i = 0; i < length; ++i) {
    buffer[i] = (UCHAR)('a' + i % 26);
  }
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = length;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ VOID HandCopiedStackUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(HAND_COPIED_STACK_LINK_NAME);
  PDEVICE_OBJECT device = DriverObject->DeviceObject;
  PDEVICE_OBJECT next;

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  while (device != NULL) {
    next = device->NextDevice;
    if (HandCopiedStackLower(device) != NULL) {
      IoDetachDevice(HandCopiedStackLower(device));
    }
    IoDeleteDevice(device);
    device = next;
  }
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(HAND_COPIED_STACK_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(HAND_COPIED_STACK_LINK_NAME);
  PDEVICE_OBJECT device;
  PDEVICE_OBJECT filter;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(HAND_COPIED_STACK_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  ((PHAND_COPIED_STACK_EXTENSION)device->DeviceExtension)->Lower = NULL;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  status = IoCreateDevice(DriverObject, sizeof(HAND_COPIED_STACK_EXTENSION), NULL, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &filter);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  ((PHAND_COPIED_STACK_EXTENSION)filter->DeviceExtension)->Lower = IoAttachDeviceToDeviceStack(filter, device);
  filter->Flags |= DO_BUFFERED_IO;
  filter->Flags &= ~DO_DEVICE_INITIALIZING;
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDetachDevice(device);
    IoDeleteDevice(filter);
    IoDeleteDevice(device);
    return status;
  }
  DriverObject->MajorFunction[IRP_MJ_CREATE] = HandCopiedStackCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = HandCopiedStackCreateClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = HandCopiedStackRead;
  DriverObject->DriverUnload = HandCopiedStackUnload;
  return STATUS_SUCCESS;
}
