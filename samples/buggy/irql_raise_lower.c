/*
 * irql_raise_lower - BUGGY ON PURPOSE: KeRaiseIrql used where the IRQL may already be higher.
 *
 * The device counts requests. The counter helper raises to APC_LEVEL around its update so that no
 * APC interrupts it, assuming its callers run at PASSIVE_LEVEL. But the request path calls it
 * while holding the device's spin lock, at DISPATCH_LEVEL.
 *
 * The bug: KeRaiseIrql(APC_LEVEL) at DISPATCH_LEVEL asks to "raise" to a lower IRQL. (The helper
 * should raise only if needed, or not raise at all under the lock.)
 *
 * The interleaving that exposes it: none is needed. One IOCTL_IRQL_RAISE_LOWER_HIT.
 *
 * What Windows reports: with Driver Verifier, 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION with
 * P1 = 0x30 (KeRaiseIrql to a lower IRQL), P2 = the current IRQL (2), P3 = the requested IRQL
 * (1). Without it, bug check 0x9 IRQL_NOT_GREATER_OR_EQUAL.
 *
 * What the lab reports: the same 0xC4/0x30 in IrqlRaiseLowerCount (tests/corpus asserts it).
 */
#include <ntddk.h>

#define IRQL_RAISE_LOWER_DEVICE_NAME L"\\Device\\IrqlRaiseLower"
#define IRQL_RAISE_LOWER_LINK_NAME L"\\??\\IrqlRaiseLower"
#define IOCTL_IRQL_RAISE_LOWER_HIT CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD IrqlRaiseLowerUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH IrqlRaiseLowerCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH IrqlRaiseLowerDeviceControl;

typedef struct _IRQL_RAISE_LOWER_EXTENSION {
  KSPIN_LOCK Lock; /* protects Hits */
  ULONG Hits;
} IRQL_RAISE_LOWER_EXTENSION, *PIRQL_RAISE_LOWER_EXTENSION;

static PIRQL_RAISE_LOWER_EXTENSION IrqlRaiseLowerExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PIRQL_RAISE_LOWER_EXTENSION)DeviceObject->DeviceExtension;
}

static NTSTATUS IrqlRaiseLowerComplete(_In_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS IrqlRaiseLowerCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return IrqlRaiseLowerComplete(Irp, STATUS_SUCCESS);
}

/* Adds one hit. Meant to run at PASSIVE_LEVEL: raises to APC_LEVEL for the update. */
static VOID IrqlRaiseLowerCount(_Inout_ PIRQL_RAISE_LOWER_EXTENSION Extension) {
  KIRQL old_irql;

  /* BUG: the caller holds a spin lock (DISPATCH_LEVEL); this "raise" would lower the IRQL. */
  KeRaiseIrql(APC_LEVEL, &old_irql);
  Extension->Hits++;
  KeLowerIrql(old_irql);
}

_Use_decl_annotations_ NTSTATUS IrqlRaiseLowerDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIRQL_RAISE_LOWER_EXTENSION extension = IrqlRaiseLowerExtension(DeviceObject);
  NTSTATUS status;

  switch (IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_IRQL_RAISE_LOWER_HIT: {
      KIRQL irql;
      KeAcquireSpinLock(&extension->Lock, &irql);
      IrqlRaiseLowerCount(extension);
      KeReleaseSpinLock(&extension->Lock, irql);
      status = STATUS_SUCCESS;
      break;
    }
    default:
      status = STATUS_INVALID_DEVICE_REQUEST;
      break;
  }
  return IrqlRaiseLowerComplete(Irp, status);
}

_Use_decl_annotations_ VOID IrqlRaiseLowerUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(IRQL_RAISE_LOWER_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(IRQL_RAISE_LOWER_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(IRQL_RAISE_LOWER_LINK_NAME);
  PDEVICE_OBJECT device;
  PIRQL_RAISE_LOWER_EXTENSION extension;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(IRQL_RAISE_LOWER_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = IrqlRaiseLowerExtension(device);
  KeInitializeSpinLock(&extension->Lock);
  extension->Hits = 0;
  DriverObject->MajorFunction[IRP_MJ_CREATE] = IrqlRaiseLowerCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = IrqlRaiseLowerCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = IrqlRaiseLowerDeviceControl;
  DriverObject->DriverUnload = IrqlRaiseLowerUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
