/*
 * interleave - a tiny test driver whose log records the interleaving of two system threads on
 * two processors: each thread appends its name, an iteration and the processor it ran on to a
 * shared trace under a spin lock, several times.
 */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
KSTART_ROUTINE InterleaveThread;

#define STEPS 6

char interleave_trace[512];
static ULONG g_length;
static KSPIN_LOCK g_lock;

static VOID Append(char who, ULONG step, ULONG processor) {
  KIRQL old_irql;
  KeAcquireSpinLock(&g_lock, &old_irql);
  if (g_length + 4 < sizeof(interleave_trace)) {
    interleave_trace[g_length++] = who;
    interleave_trace[g_length++] = (char)('0' + step);
    interleave_trace[g_length++] = (char)('0' + processor);
    interleave_trace[g_length++] = ' ';
    interleave_trace[g_length] = 0;
  }
  KeReleaseSpinLock(&g_lock, old_irql);
}

_Use_decl_annotations_ VOID InterleaveThread(PVOID Context) {
  char who = (char)(ULONG_PTR)Context;
  ULONG step;
  for (step = 0; step < STEPS; ++step) {
    Append(who, step, KeGetCurrentProcessorNumber());
  }
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  OBJECT_ATTRIBUTES attributes;
  HANDLE threads[2];
  PVOID objects[2];
  NTSTATUS status;
  ULONG i;
  UNREFERENCED_PARAMETER(DriverObject);
  UNREFERENCED_PARAMETER(RegistryPath);

  g_length = 0;
  interleave_trace[0] = 0;
  KeInitializeSpinLock(&g_lock);
  InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
  for (i = 0; i < 2; ++i) {
    status = PsCreateSystemThread(&threads[i], THREAD_ALL_ACCESS, &attributes, NULL, NULL, InterleaveThread,
                                  (PVOID)(ULONG_PTR)(i == 0 ? 'A' : 'B'));
    if (!NT_SUCCESS(status)) {
      return status;
    }
    status = ObReferenceObjectByHandle(threads[i], SYNCHRONIZE, *PsThreadType, KernelMode, &objects[i], NULL);
    ZwClose(threads[i]);
    if (!NT_SUCCESS(status)) {
      return status;
    }
  }
  status = KeWaitForMultipleObjects(2, objects, WaitAll, Executive, KernelMode, FALSE, NULL, NULL);
  ObDereferenceObject(objects[0]);
  ObDereferenceObject(objects[1]);
  DbgPrint("interleave: %s\n", interleave_trace);
  return status;
}
