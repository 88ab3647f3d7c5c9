/*
 * filter_sample - a legacy filter driver: in DriverEntry it finds \Device\IoctlMethods by name
 * (IoGetDeviceObjectPointer; the ioctl_methods driver must be loaded first) and attaches an
 * unnamed device above it, so every request opened through \\.\IoctlMethods reaches the filter
 * first.
 *
 * The filter passes requests down in the two usual ways:
 *   - device controls with IoCopyCurrentIrpStackLocationToNext and a completion routine, which
 *     propagates the pending state (IoMarkIrpPending when Irp->PendingReturned) and records what
 *     completed;
 *   - everything else with IoSkipCurrentIrpStackLocation: the lower driver gets the filter's own
 *     stack location and the filter never sees the request again.
 * It answers one control code itself, IOCTL_FILTER_SAMPLE_GET_STATS (filter_sample_public.h),
 * with what it has counted.
 *
 * The file object IoGetDeviceObjectPointer returned stays referenced while the filter is
 * attached, so the device it sits on cannot go away under it; DriverUnload detaches, deletes its
 * device and only then drops that reference (the close goes straight to ioctl_methods). Unload
 * assumes no request is in flight through the filter, as for any legacy filter.
 */
#include <ntddk.h>

#include "filter_sample_public.h"

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD FilterSampleUnload;
DRIVER_DISPATCH FilterSamplePassDown;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH FilterSampleDeviceControl;
IO_COMPLETION_ROUTINE FilterSampleControlCompletion;

typedef struct _FILTER_SAMPLE_EXTENSION {
  PDEVICE_OBJECT LowerDevice; /* the device the filter is attached to */
  PFILE_OBJECT TargetFile;    /* from IoGetDeviceObjectPointer; dropped in DriverUnload */
  KSPIN_LOCK StatsLock;
  FILTER_SAMPLE_STATS Stats; /* protected by StatsLock */
} FILTER_SAMPLE_EXTENSION, *PFILTER_SAMPLE_EXTENSION;

#ifdef ALLOC_PRAGMA
#pragma alloc_text(INIT, DriverEntry)
#pragma alloc_text(PAGE, FilterSampleUnload)
#endif

_Use_decl_annotations_ NTSTATUS FilterSamplePassDown(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PFILTER_SAMPLE_EXTENSION extension = (PFILTER_SAMPLE_EXTENSION)DeviceObject->DeviceExtension;
  KIRQL irql;

  DbgPrint("filter_sample: major %u passes down\n", IoGetCurrentIrpStackLocation(Irp)->MajorFunction);
  KeAcquireSpinLock(&extension->StatsLock, &irql);
  ++extension->Stats.PassedDown;
  KeReleaseSpinLock(&extension->StatsLock, irql);
  IoSkipCurrentIrpStackLocation(Irp);
  return IoCallDriver(extension->LowerDevice, Irp);
}

/* <= DISPATCH_LEVEL, in whatever context the lower driver completed the request. */
_Use_decl_annotations_ NTSTATUS FilterSampleControlCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  PFILTER_SAMPLE_EXTENSION extension = (PFILTER_SAMPLE_EXTENSION)Context;
  ULONG code = IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode;
  KIRQL irql;
  UNREFERENCED_PARAMETER(DeviceObject);

  if (Irp->PendingReturned) {
    IoMarkIrpPending(Irp);
  }
  KeAcquireSpinLock(&extension->StatsLock, &irql);
  ++extension->Stats.ControlsCompleted;
  if (Irp->PendingReturned) {
    ++extension->Stats.PendingReturned;
  }
  extension->Stats.LastIoControlCode = code;
  extension->Stats.LastStatus = Irp->IoStatus.Status;
  extension->Stats.LastInformation = Irp->IoStatus.Information;
  KeReleaseSpinLock(&extension->StatsLock, irql);
  DbgPrint("filter_sample: control %08lx completed with %08lx, information %llu\n", code,
           (ULONG)Irp->IoStatus.Status, (ULONGLONG)Irp->IoStatus.Information);
  return STATUS_CONTINUE_COMPLETION;
}

static NTSTATUS FilterSampleGetStats(_In_ PFILTER_SAMPLE_EXTENSION Extension, _In_ PIRP Irp,
                                     _In_ PIO_STACK_LOCATION Stack) {
  NTSTATUS status = STATUS_SUCCESS;
  ULONG_PTR information = 0;
  KIRQL irql;

  if (Stack->Parameters.DeviceIoControl.OutputBufferLength < sizeof(FILTER_SAMPLE_STATS)) {
    status = STATUS_BUFFER_TOO_SMALL;
  } else {
    KeAcquireSpinLock(&Extension->StatsLock, &irql);
    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, &Extension->Stats, sizeof(FILTER_SAMPLE_STATS));
    KeReleaseSpinLock(&Extension->StatsLock, irql);
    information = sizeof(FILTER_SAMPLE_STATS);
  }
  Irp->IoStatus.Status = status;
  Irp->IoStatus.Information = information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

_Use_decl_annotations_ NTSTATUS FilterSampleDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PFILTER_SAMPLE_EXTENSION extension = (PFILTER_SAMPLE_EXTENSION)DeviceObject->DeviceExtension;
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  ULONG code = stack->Parameters.DeviceIoControl.IoControlCode;
  KIRQL irql;

  if (code == IOCTL_FILTER_SAMPLE_GET_STATS) {
    DbgPrint("filter_sample: statistics requested\n");
    return FilterSampleGetStats(extension, Irp, stack);
  }
  DbgPrint("filter_sample: control %08lx goes down\n", code);
  KeAcquireSpinLock(&extension->StatsLock, &irql);
  ++extension->Stats.ControlsSent;
  KeReleaseSpinLock(&extension->StatsLock, irql);
  IoCopyCurrentIrpStackLocationToNext(Irp);
  IoSetCompletionRoutine(Irp, FilterSampleControlCompletion, extension, TRUE, TRUE, TRUE);
  return IoCallDriver(extension->LowerDevice, Irp);
}

_Use_decl_annotations_ VOID FilterSampleUnload(PDRIVER_OBJECT DriverObject) {
  PDEVICE_OBJECT filter = DriverObject->DeviceObject;
  PFILTER_SAMPLE_EXTENSION extension = (PFILTER_SAMPLE_EXTENSION)filter->DeviceExtension;
  PFILE_OBJECT target = extension->TargetFile;

  PAGED_CODE();
  IoDetachDevice(extension->LowerDevice);
  IoDeleteDevice(filter);
  ObDereferenceObject(target);
  DbgPrint("filter_sample: detached and unloaded\n");
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING target_name = RTL_CONSTANT_STRING(FILTER_SAMPLE_TARGET_NAME);
  PFILTER_SAMPLE_EXTENSION extension;
  PDEVICE_OBJECT target;
  PDEVICE_OBJECT filter;
  PFILE_OBJECT file;
  NTSTATUS status;
  ULONG i;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  /* The dispatch table is in place before the filter joins the stack: requests reach it at once. */
  for (i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; ++i) {
    DriverObject->MajorFunction[i] = FilterSamplePassDown;
  }
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = FilterSampleDeviceControl;
  DriverObject->DriverUnload = FilterSampleUnload;

  status = IoGetDeviceObjectPointer(&target_name, FILE_READ_ATTRIBUTES, &file, &target);
  if (!NT_SUCCESS(status)) {
    DbgPrint("filter_sample: cannot open %wZ: %08lx\n", &target_name, (ULONG)status);
    return status;
  }
  status = IoCreateDevice(DriverObject, sizeof(FILTER_SAMPLE_EXTENSION), NULL, target->DeviceType,
                          target->Characteristics, FALSE, &filter);
  if (!NT_SUCCESS(status)) {
    ObDereferenceObject(file);
    return status;
  }
  extension = (PFILTER_SAMPLE_EXTENSION)filter->DeviceExtension;
  RtlZeroMemory(extension, sizeof(*extension));
  KeInitializeSpinLock(&extension->StatsLock);
  extension->TargetFile = file;

  status = IoAttachDeviceToDeviceStackSafe(filter, target, &extension->LowerDevice);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(filter);
    ObDereferenceObject(file);
    return status;
  }
  /* Look like the device below: the I/O manager buffers requests by the top device's flags. */
  filter->DeviceType = extension->LowerDevice->DeviceType;
  filter->Characteristics = extension->LowerDevice->Characteristics;
  filter->Flags |= extension->LowerDevice->Flags & (DO_BUFFERED_IO | DO_DIRECT_IO | DO_POWER_PAGABLE);
  filter->Flags &= ~DO_DEVICE_INITIALIZING;
  DbgPrint("filter_sample: attached above %wZ\n", &target_name);
  return STATUS_SUCCESS;
}
