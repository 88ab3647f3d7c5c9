/*
 * spinlock_double_release - BUGGY ON PURPOSE: a spin lock released twice on an error path.
 *
 * The device accepts up to two outstanding "jobs"; IOCTL_SPINLOCK_DOUBLE_RELEASE_PUSH adds one
 * under the device's spin lock and fails with STATUS_DEVICE_BUSY when the device is full.
 *
 * The bug: the "full" branch releases the lock and sets the status, then falls through to the
 * common release at the end, releasing the lock a second time, now at PASSIVE_LEVEL (the first
 * release restored the IRQL).
 *
 * The interleaving that exposes it: none is needed. Three pushes; the third finds the device full.
 *
 * What Windows reports: with Driver Verifier's standard settings (DDI compliance checking on),
 * 0xC4 with P1 = 0x20015 (rule IrqlKeReleaseSpinLock: KeReleaseSpinLock must be called at
 * DISPATCH_LEVEL), P2 = the rule's message, P3 = 0, P4 = the caller. With DDI compliance checking
 * off, Driver Verifier's own check: 0xC4 with P1 = 0x32 (KeReleaseSpinLock at IRQL other than
 * DISPATCH_LEVEL, "often a double release"), P2 = the IRQL (0), P3 = the lock (logged at load).
 *
 * What the lab reports: the same, in SpinlockDoubleReleaseDeviceControl (tests/corpus asserts
 * both); an unverified lab stops with 0x9 IRQL_NOT_GREATER_OR_EQUAL.
 */
#include <ntddk.h>

#define SPINLOCK_DOUBLE_RELEASE_DEVICE_NAME L"\\Device\\SpinlockDoubleRelease"
#define SPINLOCK_DOUBLE_RELEASE_LINK_NAME L"\\??\\SpinlockDoubleRelease"
#define IOCTL_SPINLOCK_DOUBLE_RELEASE_PUSH CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define SPINLOCK_DOUBLE_RELEASE_MAX_JOBS 2

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD SpinlockDoubleReleaseUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH SpinlockDoubleReleaseCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH SpinlockDoubleReleaseDeviceControl;

typedef struct _SPINLOCK_DOUBLE_RELEASE_EXTENSION {
  KSPIN_LOCK Lock; /* protects Jobs */
  ULONG Jobs;
} SPINLOCK_DOUBLE_RELEASE_EXTENSION, *PSPINLOCK_DOUBLE_RELEASE_EXTENSION;

static PSPINLOCK_DOUBLE_RELEASE_EXTENSION SpinlockDoubleReleaseExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PSPINLOCK_DOUBLE_RELEASE_EXTENSION)DeviceObject->DeviceExtension;
}

static NTSTATUS SpinlockDoubleReleaseComplete(_In_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS SpinlockDoubleReleaseCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return SpinlockDoubleReleaseComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ NTSTATUS SpinlockDoubleReleaseDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PSPINLOCK_DOUBLE_RELEASE_EXTENSION extension = SpinlockDoubleReleaseExtension(DeviceObject);
  NTSTATUS status;

  switch (IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_SPINLOCK_DOUBLE_RELEASE_PUSH: {
      KIRQL irql;
      KeAcquireSpinLock(&extension->Lock, &irql);
      if (extension->Jobs >= SPINLOCK_DOUBLE_RELEASE_MAX_JOBS) {
        KeReleaseSpinLock(&extension->Lock, irql);
        status = STATUS_DEVICE_BUSY;
        /* BUG: falls through to the release below instead of leaving here. */
      } else {
        extension->Jobs++;
        status = STATUS_SUCCESS;
      }
      KeReleaseSpinLock(&extension->Lock, irql);
      break;
    }
    default:
      status = STATUS_INVALID_DEVICE_REQUEST;
      break;
  }
  return SpinlockDoubleReleaseComplete(Irp, status);
}

_Use_decl_annotations_ VOID SpinlockDoubleReleaseUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(SPINLOCK_DOUBLE_RELEASE_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(SPINLOCK_DOUBLE_RELEASE_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(SPINLOCK_DOUBLE_RELEASE_LINK_NAME);
  PDEVICE_OBJECT device;
  PSPINLOCK_DOUBLE_RELEASE_EXTENSION extension;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(SPINLOCK_DOUBLE_RELEASE_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = SpinlockDoubleReleaseExtension(device);
  KeInitializeSpinLock(&extension->Lock);
  extension->Jobs = 0;
  DbgPrint("spinlock_double_release: lock %p\n", (PVOID)&extension->Lock);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = SpinlockDoubleReleaseCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = SpinlockDoubleReleaseCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = SpinlockDoubleReleaseDeviceControl;
  DriverObject->DriverUnload = SpinlockDoubleReleaseUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
