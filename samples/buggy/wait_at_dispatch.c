/*
 * wait_at_dispatch - BUGGY ON PURPOSE: a wait with no timeout while holding a spin lock.
 *
 * The device's "ready" event is signaled by its (simulated) hardware. IOCTL_WAIT_AT_DISPATCH_SEND
 * takes the device's spin lock to claim the transmit slot, then waits for the device to be ready
 * before it writes.
 *
 * The bug: KeWaitForSingleObject with no timeout at DISPATCH_LEVEL. A thread at DISPATCH_LEVEL
 * cannot wait: only a zero timeout (a poll) is allowed there.
 *
 * The interleaving that exposes it: none is needed. One IOCTL_WAIT_AT_DISPATCH_SEND.
 *
 * What Windows reports: with Driver Verifier, 0xC4 with P1 = 0x121 (wait at DISPATCH_LEVEL with
 * no timeout; Windows 10 split the older 0x3B three ways), P2 = the IRQL (2), P3 = the event
 * (logged at load), P4 = the timeout pointer (NULL). Without it, 0xA IRQL_NOT_LESS_OR_EQUAL.
 *
 * What the lab reports: the same 0xC4/0x121 (tests/corpus asserts it).
 */
#include <ntddk.h>

#define WAIT_AT_DISPATCH_DEVICE_NAME L"\\Device\\WaitAtDispatch"
#define WAIT_AT_DISPATCH_LINK_NAME L"\\??\\WaitAtDispatch"
#define IOCTL_WAIT_AT_DISPATCH_SEND CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD WaitAtDispatchUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH WaitAtDispatchCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH WaitAtDispatchDeviceControl;

typedef struct _WAIT_AT_DISPATCH_EXTENSION {
  KSPIN_LOCK SlotLock; /* protects Sent */
  ULONG Sent;
  KEVENT Ready; /* signaled by the device when it can take a frame */
} WAIT_AT_DISPATCH_EXTENSION, *PWAIT_AT_DISPATCH_EXTENSION;

static PWAIT_AT_DISPATCH_EXTENSION WaitAtDispatchExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PWAIT_AT_DISPATCH_EXTENSION)DeviceObject->DeviceExtension;
}

static NTSTATUS WaitAtDispatchComplete(_In_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS WaitAtDispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return WaitAtDispatchComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ NTSTATUS WaitAtDispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PWAIT_AT_DISPATCH_EXTENSION extension = WaitAtDispatchExtension(DeviceObject);
  NTSTATUS status;

  switch (IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_WAIT_AT_DISPATCH_SEND: {
      KIRQL irql;
      KeAcquireSpinLock(&extension->SlotLock, &irql);
      /* BUG: waits at DISPATCH_LEVEL, with no timeout. */
      KeWaitForSingleObject(&extension->Ready, Executive, KernelMode, FALSE, NULL);
      extension->Sent++;
      KeReleaseSpinLock(&extension->SlotLock, irql);
      status = STATUS_SUCCESS;
      break;
    }
    default:
      status = STATUS_INVALID_DEVICE_REQUEST;
      break;
  }
  return WaitAtDispatchComplete(Irp, status);
}

_Use_decl_annotations_ VOID WaitAtDispatchUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(WAIT_AT_DISPATCH_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(WAIT_AT_DISPATCH_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(WAIT_AT_DISPATCH_LINK_NAME);
  PDEVICE_OBJECT device;
  PWAIT_AT_DISPATCH_EXTENSION extension;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(WAIT_AT_DISPATCH_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = WaitAtDispatchExtension(device);
  KeInitializeSpinLock(&extension->SlotLock);
  KeInitializeEvent(&extension->Ready, SynchronizationEvent, FALSE);
  extension->Sent = 0;
  DbgPrint("wait_at_dispatch: event %p\n", (PVOID)&extension->Ready);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = WaitAtDispatchCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = WaitAtDispatchCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = WaitAtDispatchDeviceControl;
  DriverObject->DriverUnload = WaitAtDispatchUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
