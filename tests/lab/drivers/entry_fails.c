/*
 * entry_fails - a driver image whose DriverEntry sets DriverUnload and then fails: the driver is
 * not loaded, so DriverUnload must never run.
 */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD EntryFailsUnload;

_Use_decl_annotations_ VOID EntryFailsUnload(PDRIVER_OBJECT DriverObject) {
  UNREFERENCED_PARAMETER(DriverObject);
  DbgPrint("entry_fails: DriverUnload ran\n");
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNREFERENCED_PARAMETER(RegistryPath);
  DriverObject->DriverUnload = EntryFailsUnload;
  DbgPrint("entry_fails: out of memory\n");
  return STATUS_INSUFFICIENT_RESOURCES;
}
