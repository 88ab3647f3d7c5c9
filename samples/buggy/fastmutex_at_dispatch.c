/*
 * fastmutex_at_dispatch - BUGGY ON PURPOSE: a fast mutex acquired while holding a spin lock.
 *
 * The device keeps a configuration value under a fast mutex and a request counter under a spin
 * lock. IOCTL_FASTMUTEX_AT_DISPATCH_APPLY counts the request and, still holding the spin lock,
 * takes the configuration mutex to read the value.
 *
 * The bug: ExAcquireFastMutex needs IRQL <= APC_LEVEL (it may wait); under the spin lock the
 * caller is at DISPATCH_LEVEL.
 *
 * The interleaving that exposes it: none is needed. One IOCTL_FASTMUTEX_AT_DISPATCH_APPLY.
 *
 * What Windows reports: with Driver Verifier's standard settings, DDI compliance checking stops
 * first: 0xC4 with P1 = 0x20005 (rule IrqlExApcLte1), P2 = the rule's message, P3 = 0, P4 = the
 * caller. With DDI compliance checking off, the automatic check: 0xC4 with P1 = 0x33 (fast mutex
 * acquired at IRQL > APC_LEVEL), P2 = the IRQL (2), P3 = the fast mutex (logged at load).
 *
 * What the lab reports: the same (tests/corpus asserts both). An unverified lab carries on, as
 * Windows does until the acquire has to wait.
 */
#include <ntddk.h>

#define FASTMUTEX_AT_DISPATCH_DEVICE_NAME L"\\Device\\FastMutexAtDispatch"
#define FASTMUTEX_AT_DISPATCH_LINK_NAME L"\\??\\FastMutexAtDispatch"
#define IOCTL_FASTMUTEX_AT_DISPATCH_APPLY CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD FastMutexAtDispatchUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH FastMutexAtDispatchCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH FastMutexAtDispatchDeviceControl;

typedef struct _FASTMUTEX_AT_DISPATCH_EXTENSION {
  KSPIN_LOCK CountLock; /* protects Requests */
  ULONG Requests;
  FAST_MUTEX ConfigMutex; /* protects Config */
  ULONG Config;
} FASTMUTEX_AT_DISPATCH_EXTENSION, *PFASTMUTEX_AT_DISPATCH_EXTENSION;

static PFASTMUTEX_AT_DISPATCH_EXTENSION FastMutexAtDispatchExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PFASTMUTEX_AT_DISPATCH_EXTENSION)DeviceObject->DeviceExtension;
}

static NTSTATUS FastMutexAtDispatchComplete(_In_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS FastMutexAtDispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return FastMutexAtDispatchComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ NTSTATUS FastMutexAtDispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PFASTMUTEX_AT_DISPATCH_EXTENSION extension = FastMutexAtDispatchExtension(DeviceObject);
  NTSTATUS status;

  switch (IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_FASTMUTEX_AT_DISPATCH_APPLY: {
      KIRQL irql;
      ULONG config;
      KeAcquireSpinLock(&extension->CountLock, &irql);
      extension->Requests++;
      /* BUG: a fast mutex at DISPATCH_LEVEL. */
      ExAcquireFastMutex(&extension->ConfigMutex);
      config = extension->Config;
      ExReleaseFastMutex(&extension->ConfigMutex);
      KeReleaseSpinLock(&extension->CountLock, irql);
      status = config != 0 ? STATUS_SUCCESS : STATUS_DEVICE_NOT_READY;
      break;
    }
    default:
      status = STATUS_INVALID_DEVICE_REQUEST;
      break;
  }
  return FastMutexAtDispatchComplete(Irp, status);
}

_Use_decl_annotations_ VOID FastMutexAtDispatchUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(FASTMUTEX_AT_DISPATCH_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(FASTMUTEX_AT_DISPATCH_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(FASTMUTEX_AT_DISPATCH_LINK_NAME);
  PDEVICE_OBJECT device;
  PFASTMUTEX_AT_DISPATCH_EXTENSION extension;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(FASTMUTEX_AT_DISPATCH_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = FastMutexAtDispatchExtension(device);
  KeInitializeSpinLock(&extension->CountLock);
  ExInitializeFastMutex(&extension->ConfigMutex);
  extension->Requests = 0;
  extension->Config = 1;
  DbgPrint("fastmutex_at_dispatch: mutex %p\n", (PVOID)&extension->ConfigMutex);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = FastMutexAtDispatchCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = FastMutexAtDispatchCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = FastMutexAtDispatchDeviceControl;
  DriverObject->DriverUnload = FastMutexAtDispatchUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
