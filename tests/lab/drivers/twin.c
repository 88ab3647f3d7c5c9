/*
 * twin - built twice, as the driver images twin_a and twin_b, so that two loaded drivers have the
 * same internal symbol names: each must see only its own TwinLoads and TwinLog.
 */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD TwinUnload;

ULONG TwinLoads;

VOID TwinLog(PDRIVER_OBJECT DriverObject, PCSTR What) {
  DbgPrint("twin %wZ: %s, loads %lu\n", &DriverObject->DriverName, What, TwinLoads);
}

_Use_decl_annotations_ VOID TwinUnload(PDRIVER_OBJECT DriverObject) { TwinLog(DriverObject, "unload"); }

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNREFERENCED_PARAMETER(RegistryPath);
  TwinLoads++;
  TwinLog(DriverObject, "entry");
  DriverObject->DriverUnload = TwinUnload;
  return STATUS_SUCCESS;
}
