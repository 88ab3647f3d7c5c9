/*
 * flagless_filter.c - a filter that attaches above \Device\IoTest and, wrongly, does not copy
 * DO_BUFFERED_IO from it: reads sent to the stack then arrive as neither I/O. It reports how a read
 * arrived and completes it itself; everything else goes down unchanged.
 */
#include <ntddk.h>

static PDEVICE_OBJECT Lower;
static PFILE_OBJECT LowerFile;

static DRIVER_DISPATCH FlaglessPassDown;
static NTSTATUS FlaglessPassDown(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  IoSkipCurrentIrpStackLocation(Irp);
  return IoCallDriver(Lower, Irp);
}

static DRIVER_DISPATCH FlaglessRead;
static NTSTATUS FlaglessRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  DbgPrint("flagless: read system buffer %d, mdl %d, user buffer %d\n", Irp->AssociatedIrp.SystemBuffer != NULL,
           Irp->MdlAddress != NULL, Irp->UserBuffer != NULL);
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

DRIVER_INITIALIZE DriverEntry;
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\Device\\IoTest");
  PDEVICE_OBJECT target;
  PDEVICE_OBJECT filter;
  NTSTATUS status;
  ULONG i;
  UNREFERENCED_PARAMETER(RegistryPath);
  status = IoGetDeviceObjectPointer(&name, FILE_READ_DATA, &LowerFile, &target);
  if (!NT_SUCCESS(status)) return status;
  status = IoCreateDevice(DriverObject, 0, NULL, target->DeviceType, 0, FALSE, &filter);
  if (!NT_SUCCESS(status)) {
    ObDereferenceObject(LowerFile);
    return status;
  }
  for (i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++) DriverObject->MajorFunction[i] = FlaglessPassDown;
  DriverObject->MajorFunction[IRP_MJ_READ] = FlaglessRead;
  Lower = IoAttachDeviceToDeviceStack(filter, target);
  if (Lower == NULL) {
    IoDeleteDevice(filter);
    ObDereferenceObject(LowerFile);
    return STATUS_NO_SUCH_DEVICE;
  }
  filter->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
