/*
 * foundation - a small WDM driver in C that uses what the lab's kernel core offers the way a
 * driver author would: role types and SAL annotations, #pragma alloc_text and PAGED_CODE(),
 * ntstrsafe, a spin lock shared by two system threads, __try/__except around a user-mode read,
 * DbgPrint, and an unload routine. The test reads its effects through the globals at the end.
 */
#include <ntddk.h>
#include <ntstrsafe.h>

#define FOUNDATION_THREADS 2
#define FOUNDATION_ITERATIONS 25

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD FoundationUnload;
KSTART_ROUTINE FoundationWorker;

typedef struct _FOUNDATION_STATE {
  KSPIN_LOCK Lock;
  ULONG Counter;                 /* protected by Lock */
  KIRQL IrqlInsideLock;          /* protected by Lock */
  ULONG ProcessorsSeen;          /* bit mask, protected by Lock */
} FOUNDATION_STATE, *PFOUNDATION_STATE;

static FOUNDATION_STATE g_state;

/* Effects the test checks. */
ULONG foundation_counter;
KIRQL foundation_irql_inside_lock;
ULONG foundation_processors_seen;
NTSTATUS foundation_probe_status = STATUS_PENDING;
NTSTATUS foundation_truncation_status = STATUS_PENDING;
WCHAR foundation_message[64];
BOOLEAN foundation_unloaded;
volatile const ULONG *foundation_user_address; /* set by the test before loading */

_IRQL_requires_max_(APC_LEVEL)
static NTSTATUS FoundationProbe(_In_ volatile const ULONG *UserAddress, _Out_ PULONG Value);

#ifdef ALLOC_PRAGMA
#pragma alloc_text(INIT, DriverEntry)
#pragma alloc_text(PAGE, FoundationUnload)
#pragma alloc_text(PAGE, FoundationProbe)
#endif

static NTSTATUS FoundationProbe(volatile const ULONG *UserAddress, PULONG Value) {
  NTSTATUS status = STATUS_SUCCESS;
  PAGED_CODE();
  *Value = 0;
  __try {
    *Value = *UserAddress;
  } __except (EXCEPTION_EXECUTE_HANDLER) {
    status = GetExceptionCode();
  }
  return status;
}

_Use_decl_annotations_ VOID FoundationWorker(PVOID Context) {
  PFOUNDATION_STATE state = (PFOUNDATION_STATE)Context;
  KIRQL old_irql;
  ULONG i;
  for (i = 0; i < FOUNDATION_ITERATIONS; ++i) {
    KeAcquireSpinLock(&state->Lock, &old_irql);
    state->Counter++;
    state->IrqlInsideLock = KeGetCurrentIrql();
    state->ProcessorsSeen |= 1u << KeGetCurrentProcessorNumber();
    KeReleaseSpinLock(&state->Lock, old_irql);
  }
  PsTerminateSystemThread(STATUS_SUCCESS);
}

_Use_decl_annotations_ VOID FoundationUnload(PDRIVER_OBJECT DriverObject) {
  UNREFERENCED_PARAMETER(DriverObject);
  PAGED_CODE();
  foundation_unloaded = TRUE;
  DbgPrint("foundation: unloaded\n");
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  OBJECT_ATTRIBUTES attributes;
  HANDLE handles[FOUNDATION_THREADS];
  PVOID threads[FOUNDATION_THREADS];
  WCHAR small[8];
  ULONG value;
  ULONG i;
  NTSTATUS status;

  PAGED_CODE();
  RtlZeroMemory(&g_state, sizeof(g_state));
  KeInitializeSpinLock(&g_state.Lock);

  InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
  for (i = 0; i < FOUNDATION_THREADS; ++i) {
    status = PsCreateSystemThread(&handles[i], THREAD_ALL_ACCESS, &attributes, NULL, NULL, FoundationWorker,
                                  &g_state);
    if (!NT_SUCCESS(status)) {
      return status;
    }
    status = ObReferenceObjectByHandle(handles[i], SYNCHRONIZE, *PsThreadType, KernelMode, &threads[i], NULL);
    ZwClose(handles[i]);
    if (!NT_SUCCESS(status)) {
      return status;
    }
  }
  status = KeWaitForMultipleObjects(FOUNDATION_THREADS, threads, WaitAll, Executive, KernelMode, FALSE, NULL, NULL);
  for (i = 0; i < FOUNDATION_THREADS; ++i) {
    ObDereferenceObject(threads[i]);
  }
  if (!NT_SUCCESS(status)) {
    return status;
  }

  foundation_counter = g_state.Counter;
  foundation_irql_inside_lock = g_state.IrqlInsideLock;
  foundation_processors_seen = g_state.ProcessorsSeen;
  foundation_probe_status = FoundationProbe(foundation_user_address, &value);

  status = RtlStringCbPrintfW(foundation_message, sizeof(foundation_message), L"%wZ counted %lu, probe %08lx",
                              &DriverObject->DriverName, foundation_counter, (ULONG)foundation_probe_status);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  foundation_truncation_status = RtlStringCbCopyW(small, sizeof(small), L"longer than eight characters");
  DbgPrint("foundation: %ws (registry %wZ)\n", foundation_message, RegistryPath);

  DriverObject->DriverUnload = FoundationUnload;
  return STATUS_SUCCESS;
}
