/*
 * irql_ddi_rule - BUGGY ON PURPOSE: ZwClose called while holding a spin lock.
 *
 * The device runs a worker thread and keeps its handle in the device extension, under a spin lock
 * that also protects the worker's state. IOCTL_IRQL_DDI_RULE_RETIRE retires the worker: under the
 * lock it takes the handle out of the extension and closes it.
 *
 * The bug: ZwClose must be called at PASSIVE_LEVEL; under the spin lock the caller is at
 * DISPATCH_LEVEL. (Take the handle out under the lock, close it after the release.)
 *
 * The interleaving that exposes it: none is needed. One IOCTL_IRQL_DDI_RULE_RETIRE.
 *
 * What Windows reports: with Driver Verifier's DDI compliance checking (standard settings), 0xC4
 * with P1 = 0x2001F (rule IrqlZwPassive), P2 = the rule's message ("ZwClose should only be called
 * at IRQL = PASSIVE_LEVEL."), P3 = 0, P4 = the caller, in IrqlDdiRuleDeviceControl (its address
 * is logged at load). Without it, 0xA IRQL_NOT_LESS_OR_EQUAL once the close touches paged memory.
 *
 * What the lab reports: the same 0xC4/0x2001F (tests/corpus asserts it); an unverified lab stops
 * with 0xA at once.
 */
#include <ntddk.h>

#define IRQL_DDI_RULE_DEVICE_NAME L"\\Device\\IrqlDdiRule"
#define IRQL_DDI_RULE_LINK_NAME L"\\??\\IrqlDdiRule"
#define IOCTL_IRQL_DDI_RULE_RETIRE CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD IrqlDdiRuleUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH IrqlDdiRuleCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH IrqlDdiRuleDeviceControl;
KSTART_ROUTINE IrqlDdiRuleWorker;

typedef struct _IRQL_DDI_RULE_EXTENSION {
  KSPIN_LOCK Lock; /* protects Worker */
  HANDLE Worker;
} IRQL_DDI_RULE_EXTENSION, *PIRQL_DDI_RULE_EXTENSION;

static PIRQL_DDI_RULE_EXTENSION IrqlDdiRuleExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PIRQL_DDI_RULE_EXTENSION)DeviceObject->DeviceExtension;
}

static NTSTATUS IrqlDdiRuleComplete(_In_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS IrqlDdiRuleCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return IrqlDdiRuleComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ VOID IrqlDdiRuleWorker(PVOID Context) {
  UNREFERENCED_PARAMETER(Context);
}

_Use_decl_annotations_ NTSTATUS IrqlDdiRuleDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIRQL_DDI_RULE_EXTENSION extension = IrqlDdiRuleExtension(DeviceObject);
  NTSTATUS status;

  switch (IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_IRQL_DDI_RULE_RETIRE: {
      KIRQL irql;
      HANDLE worker;
      KeAcquireSpinLock(&extension->Lock, &irql);
      worker = extension->Worker;
      extension->Worker = NULL;
      if (worker != NULL) {
        ZwClose(worker); /* BUG: at DISPATCH_LEVEL, under the spin lock. */
      }
      KeReleaseSpinLock(&extension->Lock, irql);
      status = STATUS_SUCCESS;
      break;
    }
    default:
      status = STATUS_INVALID_DEVICE_REQUEST;
      break;
  }
  return IrqlDdiRuleComplete(Irp, status);
}

_Use_decl_annotations_ VOID IrqlDdiRuleUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(IRQL_DDI_RULE_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(IRQL_DDI_RULE_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(IRQL_DDI_RULE_LINK_NAME);
  PDEVICE_OBJECT device;
  PIRQL_DDI_RULE_EXTENSION extension;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(IRQL_DDI_RULE_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = IrqlDdiRuleExtension(device);
  {
    OBJECT_ATTRIBUTES attributes;
    KeInitializeSpinLock(&extension->Lock);
    InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    status = PsCreateSystemThread(&extension->Worker, THREAD_ALL_ACCESS, &attributes, NULL, NULL, IrqlDdiRuleWorker,
                                  NULL);
    if (!NT_SUCCESS(status)) {
      IoDeleteSymbolicLink(&link);
      IoDeleteDevice(device);
      return status;
    }
  }
  DbgPrint("irql_ddi_rule: device control %p\n", (PVOID)(ULONG_PTR)IrqlDdiRuleDeviceControl);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = IrqlDdiRuleCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = IrqlDdiRuleCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = IrqlDdiRuleDeviceControl;
  DriverObject->DriverUnload = IrqlDdiRuleUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
