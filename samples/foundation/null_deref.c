/*
 * null_deref - a deliberately buggy driver: its worker thread reads through a pointer it never
 * checked. In a system thread that is an unhandled access violation: bug check 0x7E
 * SYSTEM_THREAD_EXCEPTION_NOT_HANDLED with exception code 0xC0000005.
 */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
KSTART_ROUTINE NullDerefWorker;

typedef struct _WIDGET {
  ULONG Size;
  ULONG Count;
} WIDGET, *PWIDGET;

static PWIDGET g_widget; /* never allocated */

static ULONG NullDerefReadCount(PWIDGET Widget) { return Widget->Count; }

_Use_decl_annotations_ VOID NullDerefWorker(PVOID Context) {
  UNREFERENCED_PARAMETER(Context);
  DbgPrint("null_deref: widget count is %lu\n", NullDerefReadCount(g_widget));
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  HANDLE thread;
  OBJECT_ATTRIBUTES attributes;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(DriverObject);
  UNREFERENCED_PARAMETER(RegistryPath);

  InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
  status = PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, &attributes, NULL, NULL, NullDerefWorker, NULL);
  if (NT_SUCCESS(status)) {
    ZwClose(thread);
  }
  return status;
}
