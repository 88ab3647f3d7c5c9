/*
 * race_double_release - BUGGY ON PURPOSE: the last-reference test of a transfer object reads the
 * shared reference count again instead of using what InterlockedDecrement returned, so two
 * processors can both see zero and both free it.
 *
 * The device runs one transfer at a time. IOCTL_RACE_DOUBLE_RELEASE_START allocates the transfer's
 * context from nonpaged pool with two references: one for the completion path
 * (IOCTL_RACE_DOUBLE_RELEASE_COMPLETE, the device reporting the transfer done) and one for the
 * cancel path (IOCTL_RACE_DOUBLE_RELEASE_CANCEL, the application giving up). Each path drops its
 * reference; whoever drops the last frees the context. Each path completes its own request first,
 * so the caller is not held up by the teardown, and then looks at the count.
 *
 * The bug: the count is decremented atomically, but the test for zero reads it again after the
 * request is completed. If the other path decrements in between, both see zero and both free the
 * context. The test must use InterlockedDecrement's return value.
 *
 * The interleaving that exposes it: the completion and the cancel, on two processors, both
 * decrement before either looks at the count again. One path running its drop entirely before the
 * other is clean, and so is a completion or cancel before the start (it finds no transfer).
 *
 * What Windows reports with Driver Verifier's pool checks, and the lab: the second
 * ExFreePoolWithTag frees a block that is already free: bug check 0xC4
 * DRIVER_VERIFIER_DETECTED_VIOLATION, P1 = 0x13 (double free), in RaceDoubleReleaseDrop; without
 * the verifier 0xC2 BAD_POOL_CALLER (0x07). The driver logs the context.
 */
#include <ntddk.h>

#define RACE_DOUBLE_RELEASE_DEVICE_NAME L"\\Device\\RaceDoubleRelease"
#define RACE_DOUBLE_RELEASE_LINK_NAME L"\\??\\RaceDoubleRelease"
#define RACE_DOUBLE_RELEASE_TAG 'lRbD'

#define IOCTL_RACE_DOUBLE_RELEASE_START CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_RACE_DOUBLE_RELEASE_COMPLETE CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_RACE_DOUBLE_RELEASE_CANCEL CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_BUFFERED, FILE_ANY_ACCESS)

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD RaceDoubleReleaseUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH RaceDoubleReleaseCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH RaceDoubleReleaseDeviceControl;

typedef struct _RACE_DOUBLE_RELEASE_TRANSFER {
  ULONG Id;
  ULONG BytesDone;
} RACE_DOUBLE_RELEASE_TRANSFER, *PRACE_DOUBLE_RELEASE_TRANSFER;

typedef struct _RACE_DOUBLE_RELEASE_EXTENSION {
  PRACE_DOUBLE_RELEASE_TRANSFER Transfer; /* the transfer in progress, or NULL */
  volatile LONG TransferReferences;       /* references to Transfer */
  ULONG NextId;
} RACE_DOUBLE_RELEASE_EXTENSION, *PRACE_DOUBLE_RELEASE_EXTENSION;

static NTSTATUS RaceDoubleReleaseComplete(_In_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS RaceDoubleReleaseCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return RaceDoubleReleaseComplete(Irp, STATUS_SUCCESS);
}

static NTSTATUS RaceDoubleReleaseStart(_In_ PRACE_DOUBLE_RELEASE_EXTENSION Extension, _In_ PIRP Irp) {
  PRACE_DOUBLE_RELEASE_TRANSFER transfer;

  if (Extension->Transfer != NULL) {
    return RaceDoubleReleaseComplete(Irp, STATUS_DEVICE_BUSY);
  }
  transfer =
      (PRACE_DOUBLE_RELEASE_TRANSFER)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*transfer), RACE_DOUBLE_RELEASE_TAG);
  if (transfer == NULL) {
    return RaceDoubleReleaseComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
  }
  transfer->Id = ++Extension->NextId;
  DbgPrint("race_double_release: transfer %p\n", transfer);
  Extension->TransferReferences = 2; /* the completion path's and the cancel path's */
  Extension->Transfer = transfer;
  return RaceDoubleReleaseComplete(Irp, STATUS_SUCCESS);
}

/* Drops the caller's reference to the transfer (the completion path's or the cancel path's). */
static NTSTATUS RaceDoubleReleaseDrop(_In_ PRACE_DOUBLE_RELEASE_EXTENSION Extension, _In_ PIRP Irp) {
  PRACE_DOUBLE_RELEASE_TRANSFER transfer = Extension->Transfer;

  if (transfer == NULL) {
    return RaceDoubleReleaseComplete(Irp, STATUS_INVALID_DEVICE_STATE);
  }
  InterlockedDecrement(&Extension->TransferReferences);
  RaceDoubleReleaseComplete(Irp, STATUS_SUCCESS);
  /* BUG: reads the count again; the other path may have decremented it since. */
  if (Extension->TransferReferences == 0) {
    Extension->Transfer = NULL;
    ExFreePoolWithTag(transfer, RACE_DOUBLE_RELEASE_TAG);
  }
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS RaceDoubleReleaseDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PRACE_DOUBLE_RELEASE_EXTENSION extension = (PRACE_DOUBLE_RELEASE_EXTENSION)DeviceObject->DeviceExtension;

  switch (IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_RACE_DOUBLE_RELEASE_START:
      return RaceDoubleReleaseStart(extension, Irp);
    case IOCTL_RACE_DOUBLE_RELEASE_COMPLETE:
    case IOCTL_RACE_DOUBLE_RELEASE_CANCEL:
      return RaceDoubleReleaseDrop(extension, Irp);
    default:
      return RaceDoubleReleaseComplete(Irp, STATUS_INVALID_DEVICE_REQUEST);
  }
}

_Use_decl_annotations_ VOID RaceDoubleReleaseUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(RACE_DOUBLE_RELEASE_LINK_NAME);
  PRACE_DOUBLE_RELEASE_EXTENSION extension =
      (PRACE_DOUBLE_RELEASE_EXTENSION)DriverObject->DeviceObject->DeviceExtension;

  PAGED_CODE();
  if (extension->Transfer != NULL) {
    ExFreePoolWithTag(extension->Transfer, RACE_DOUBLE_RELEASE_TAG);
  }
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(RACE_DOUBLE_RELEASE_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(RACE_DOUBLE_RELEASE_LINK_NAME);
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(RACE_DOUBLE_RELEASE_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  RtlZeroMemory(device->DeviceExtension, sizeof(RACE_DOUBLE_RELEASE_EXTENSION));
  DriverObject->MajorFunction[IRP_MJ_CREATE] = RaceDoubleReleaseCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = RaceDoubleReleaseCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = RaceDoubleReleaseCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = RaceDoubleReleaseDeviceControl;
  DriverObject->DriverUnload = RaceDoubleReleaseUnload;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
