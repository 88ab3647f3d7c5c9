/*
 * critical_region_leak - BUGGY ON PURPOSE: a worker thread ends inside a critical region.
 *
 * IOCTL_CRITICAL_REGION_LEAK_REFRESH starts a worker thread that refreshes the device's table
 * under an ERESOURCE, entering a critical region first as resources require. When the table is
 * already current, the worker releases the resource and returns early.
 *
 * The bug: the early return skips KeLeaveCriticalRegion. The thread ends with normal kernel APCs
 * still disabled.
 *
 * The interleaving that exposes it: none is needed. One refresh; the table starts current.
 *
 * What Windows reports: with Driver Verifier's DDI compliance checking, 0xC4 with P1 = 0x40003
 * (rule CriticalRegions: KeEnterCriticalRegion and KeLeaveCriticalRegion not paired), P2 = the
 * rule's message, P3 = 0. Without it, the thread's exit finds its APC-disable count nonzero
 * (bug check 0x20 KERNEL_APC_PENDING_DURING_EXIT on older systems).
 *
 * What the lab reports: the same 0xC4/0x40003 as the worker ends (tests/corpus asserts it); an
 * unverified lab does not model the exit check and runs on.
 */
#include <ntddk.h>

#define CRITICAL_REGION_LEAK_DEVICE_NAME L"\\Device\\CriticalRegionLeak"
#define CRITICAL_REGION_LEAK_LINK_NAME L"\\??\\CriticalRegionLeak"
#define IOCTL_CRITICAL_REGION_LEAK_REFRESH CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD CriticalRegionLeakUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH CriticalRegionLeakCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH CriticalRegionLeakDeviceControl;
KSTART_ROUTINE CriticalRegionLeakWorker;

typedef struct _CRITICAL_REGION_LEAK_EXTENSION {
  ERESOURCE TableLock; /* protects Generation */
  ULONG Generation;
  ULONG Wanted;
} CRITICAL_REGION_LEAK_EXTENSION, *PCRITICAL_REGION_LEAK_EXTENSION;

static PCRITICAL_REGION_LEAK_EXTENSION CriticalRegionLeakExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PCRITICAL_REGION_LEAK_EXTENSION)DeviceObject->DeviceExtension;
}

static NTSTATUS CriticalRegionLeakComplete(_In_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS CriticalRegionLeakCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return CriticalRegionLeakComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ VOID CriticalRegionLeakWorker(PVOID Context) {
  PCRITICAL_REGION_LEAK_EXTENSION extension = (PCRITICAL_REGION_LEAK_EXTENSION)Context;

  KeEnterCriticalRegion();
  ExAcquireResourceExclusiveLite(&extension->TableLock, TRUE);
  if (extension->Generation == extension->Wanted) {
    ExReleaseResourceLite(&extension->TableLock);
    DbgPrint("critical_region_leak: table current\n");
    return; /* BUG: KeLeaveCriticalRegion is missing on this path. */
  }
  extension->Generation = extension->Wanted;
  ExReleaseResourceLite(&extension->TableLock);
  KeLeaveCriticalRegion();
}

_Use_decl_annotations_ NTSTATUS CriticalRegionLeakDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PCRITICAL_REGION_LEAK_EXTENSION extension = CriticalRegionLeakExtension(DeviceObject);
  NTSTATUS status;

  switch (IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_CRITICAL_REGION_LEAK_REFRESH: {
      HANDLE thread;
      OBJECT_ATTRIBUTES attributes;
      InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
      status = PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, &attributes, NULL, NULL, CriticalRegionLeakWorker,
                                    extension);
      if (NT_SUCCESS(status)) {
        ZwClose(thread);
      }
      break;
    }
    default:
      status = STATUS_INVALID_DEVICE_REQUEST;
      break;
  }
  return CriticalRegionLeakComplete(Irp, status);
}

_Use_decl_annotations_ VOID CriticalRegionLeakUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(CRITICAL_REGION_LEAK_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(CRITICAL_REGION_LEAK_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(CRITICAL_REGION_LEAK_LINK_NAME);
  PDEVICE_OBJECT device;
  PCRITICAL_REGION_LEAK_EXTENSION extension;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(CRITICAL_REGION_LEAK_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = CriticalRegionLeakExtension(device);
  ExInitializeResourceLite(&extension->TableLock);
  extension->Generation = 1;
  extension->Wanted = 1;
  DriverObject->MajorFunction[IRP_MJ_CREATE] = CriticalRegionLeakCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = CriticalRegionLeakCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = CriticalRegionLeakDeviceControl;
  DriverObject->DriverUnload = CriticalRegionLeakUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
