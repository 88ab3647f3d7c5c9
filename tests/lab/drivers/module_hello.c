/*
 * module_hello - a driver image that says hello in DriverEntry and goodbye in DriverUnload.
 */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD ModuleHelloUnload;

_Use_decl_annotations_ VOID ModuleHelloUnload(PDRIVER_OBJECT DriverObject) {
  DbgPrint("module_hello: unloading %wZ\n", &DriverObject->DriverName);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  DbgPrint("module_hello: DriverEntry for %wZ at IRQL %u, registry %wZ\n", &DriverObject->DriverName,
           (ULONG)KeGetCurrentIrql(), RegistryPath);
  DriverObject->DriverUnload = ModuleHelloUnload;
  return STATUS_SUCCESS;
}
