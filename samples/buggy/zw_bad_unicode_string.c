/*
 * zw_bad_unicode_string - BUGGY ON PURPOSE: the driver builds a UNICODE_STRING by hand and gives
 * its MaximumLength in characters instead of bytes.
 *
 * When the device is opened, the driver creates a named notification event for its clients. The
 * event's name is a UNICODE_STRING filled field by field: Length in bytes (right) and
 * MaximumLength as the character count (wrong: a UNICODE_STRING counts bytes), so MaximumLength is
 * half of Length. RtlInitUnicodeString or RTL_CONSTANT_STRING would have got both right.
 *
 * What exposes it: opening the device.
 *
 * What Windows reports with Driver Verifier's Security Checks (part of the standard set): bug
 * check 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION, P1 = 0xE4 (a Zw routine given a malformed
 * UNICODE_STRING), P2 = the UNICODE_STRING. Without Driver Verifier the object manager takes
 * the name as it is.
 */
#include <ntddk.h>

#define ZW_BAD_UNICODE_STRING_DEVICE_NAME L"\\Device\\ZwBadUnicodeString"
#define ZW_BAD_UNICODE_STRING_LINK_NAME L"\\??\\ZwBadUnicodeString"
#define ZW_BAD_UNICODE_STRING_EVENT_NAME L"\\BaseNamedObjects\\ZwBadUnicodeStringReady"

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD ZwBadUnicodeStringUnload;
_Dispatch_type_(IRP_MJ_CREATE) DRIVER_DISPATCH ZwBadUnicodeStringCreate;
_Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP) DRIVER_DISPATCH ZwBadUnicodeStringClose;

static HANDLE ZwBadUnicodeStringEvent;
static WCHAR ZwBadUnicodeStringEventName[] = ZW_BAD_UNICODE_STRING_EVENT_NAME;

_Use_decl_annotations_ NTSTATUS ZwBadUnicodeStringCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  OBJECT_ATTRIBUTES attributes;
  UNICODE_STRING name;
  NTSTATUS status = STATUS_SUCCESS;
  HANDLE event;
  UNREFERENCED_PARAMETER(DeviceObject);

  PAGED_CODE();
  if (ZwBadUnicodeStringEvent == NULL) {
    name.Buffer = ZwBadUnicodeStringEventName;
    name.Length = (USHORT)(sizeof(ZwBadUnicodeStringEventName) - sizeof(WCHAR));
    /* BUG: a character count where UNICODE_STRING wants bytes. */
    name.MaximumLength = (USHORT)(RTL_NUMBER_OF(ZwBadUnicodeStringEventName) - 1);
    DbgPrint("zw_bad_unicode_string: name %p\n", &name);
    InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE | OBJ_OPENIF, NULL, NULL);
    status = ZwCreateEvent(&event, EVENT_ALL_ACCESS, &attributes, NotificationEvent, FALSE);
    if (NT_SUCCESS(status)) {
      ZwBadUnicodeStringEvent = event;
    }
  }
  Irp->IoStatus.Status = status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

_Use_decl_annotations_ NTSTATUS ZwBadUnicodeStringClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ VOID ZwBadUnicodeStringUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(ZW_BAD_UNICODE_STRING_LINK_NAME);

  PAGED_CODE();
  if (ZwBadUnicodeStringEvent != NULL) {
    ZwClose(ZwBadUnicodeStringEvent);
  }
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(ZW_BAD_UNICODE_STRING_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(ZW_BAD_UNICODE_STRING_LINK_NAME);
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, 0, &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  DriverObject->MajorFunction[IRP_MJ_CREATE] = ZwBadUnicodeStringCreate;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = ZwBadUnicodeStringClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = ZwBadUnicodeStringClose;
  DriverObject->DriverUnload = ZwBadUnicodeStringUnload;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
