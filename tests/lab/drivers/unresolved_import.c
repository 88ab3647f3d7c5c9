/*
 * unresolved_import - a driver that calls a routine nothing defines. Built with
 * wdmlab_add_driver the link fails naming the routine; linked without -Wl,--no-undefined the
 * image builds and loading it fails naming the routine.
 */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
NTSTATUS WdmlabRoutineNobodyImplements(VOID);

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNREFERENCED_PARAMETER(DriverObject);
  UNREFERENCED_PARAMETER(RegistryPath);
  return WdmlabRoutineNobodyImplements();
}
