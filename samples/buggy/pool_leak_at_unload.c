/*
 * pool_leak_at_unload - BUGGY ON PURPOSE: DriverUnload forgets a pool block DriverEntry allocated.
 *
 * DriverEntry reads its settings into a block of pool (POOL_LEAK_AT_UNLOAD_SETTINGS_BYTES bytes,
 * tag 'LkCf') that the device uses while the driver is loaded; DriverUnload deletes the device and
 * its link.
 *
 * The bug: DriverUnload never frees the settings block, so every load and unload leaks it. Without
 * Driver Verifier the leak goes unnoticed until the pool runs short.
 *
 * What exposes it: unloading the driver. What Windows reports with Driver Verifier's pool tracking
 * (flag 0x8): once DriverUnload has returned, bug check 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION,
 * P1 = 0x62, P2 = the driver's name, P4 = 1 (allocations not freed); `!verifier 3` lists the
 * block. The lab reports the same, with P2 = &DriverObject->DriverName, and lists the leaked
 * block's address, tag and size and the stack that allocated it.
 */
#include <ntddk.h>

#define POOL_LEAK_AT_UNLOAD_DEVICE_NAME L"\\Device\\PoolLeakAtUnload"
#define POOL_LEAK_AT_UNLOAD_LINK_NAME L"\\??\\PoolLeakAtUnload"
#define POOL_LEAK_AT_UNLOAD_TAG 'fCkL'
#define POOL_LEAK_AT_UNLOAD_SETTINGS_BYTES 96

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD PoolLeakAtUnloadUnload;

static PVOID PoolLeakAtUnloadSettings; /* allocated by DriverEntry */

_Use_decl_annotations_ VOID PoolLeakAtUnloadUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(POOL_LEAK_AT_UNLOAD_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
  /* BUG: PoolLeakAtUnloadSettings is never freed. */
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(POOL_LEAK_AT_UNLOAD_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(POOL_LEAK_AT_UNLOAD_LINK_NAME);
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  PoolLeakAtUnloadSettings =
      ExAllocatePoolWithTag(PagedPool, POOL_LEAK_AT_UNLOAD_SETTINGS_BYTES, POOL_LEAK_AT_UNLOAD_TAG);
  if (PoolLeakAtUnloadSettings == NULL) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  RtlZeroMemory(PoolLeakAtUnloadSettings, POOL_LEAK_AT_UNLOAD_SETTINGS_BYTES);
  DbgPrint("pool_leak_at_unload: settings %p, name %p\n", PoolLeakAtUnloadSettings, &DriverObject->DriverName);
  status = IoCreateDevice(DriverObject, 0, &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    ExFreePoolWithTag(PoolLeakAtUnloadSettings, POOL_LEAK_AT_UNLOAD_TAG);
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    ExFreePoolWithTag(PoolLeakAtUnloadSettings, POOL_LEAK_AT_UNLOAD_TAG);
    return status;
  }
  DriverObject->DriverUnload = PoolLeakAtUnloadUnload;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
