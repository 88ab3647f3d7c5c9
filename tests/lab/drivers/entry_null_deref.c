/*
 * entry_null_deref - a deliberately buggy driver image: DriverEntry reads a setting through a
 * pointer it never checked, which is NULL.
 */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;

typedef struct _SETTINGS {
  ULONG Version;
  ULONG Depth;
} SETTINGS, *PSETTINGS;

static PSETTINGS g_settings; /* never allocated */

static ULONG ReadDepth(PSETTINGS Settings) {
  return Settings->Depth; /* the faulting line */
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNREFERENCED_PARAMETER(DriverObject);
  UNREFERENCED_PARAMETER(RegistryPath);
  DbgPrint("entry_null_deref: depth %lu\n", ReadDepth(g_settings));
  return STATUS_SUCCESS;
}
