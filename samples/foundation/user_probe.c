/*
 * user_probe - a correct driver that reads a user-mode address the careful way: inside
 * __try/__except, so that a bad address becomes a status instead of a crash. The address here is
 * in the never-mapped first pages of user space, so the read faults and the handler runs.
 */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;

static NTSTATUS UserProbeRead(_In_ const volatile ULONG *UserAddress, _Out_ PULONG Value) {
  NTSTATUS status = STATUS_SUCCESS;
  *Value = 0;
  __try {
    *Value = *UserAddress;
  } __except (EXCEPTION_EXECUTE_HANDLER) {
    status = GetExceptionCode();
  }
  return status;
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  ULONG value;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(DriverObject);
  UNREFERENCED_PARAMETER(RegistryPath);

  status = UserProbeRead((const volatile ULONG *)(ULONG_PTR)0x1000, &value);
  DbgPrint("user_probe: reading user address 0x1000 gave status %08lx\n", (ULONG)status);
  return status == STATUS_ACCESS_VIOLATION ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
}
