/*
 * lock_order_deadlock - a deliberately buggy driver: two system threads take the same two spin
 * locks in opposite orders. On a multiprocessor each can end up holding one lock and spinning
 * forever on the other; Windows' DPC watchdog then stops the machine (bug check 0x133).
 */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
KSTART_ROUTINE LockOrderThreadA;
KSTART_ROUTINE LockOrderThreadB;

static KSPIN_LOCK g_first_lock;
static KSPIN_LOCK g_second_lock;
static volatile LONG g_holders;

static VOID WaitForOtherHolder(VOID) {
  /* Both threads hold their first lock before either asks for its second. */
  InterlockedIncrement(&g_holders);
  while (InterlockedCompareExchange(&g_holders, 2, 2) != 2) {
    YieldProcessor();
  }
}

_Use_decl_annotations_ VOID LockOrderThreadA(PVOID Context) {
  KIRQL old_irql;
  UNREFERENCED_PARAMETER(Context);
  KeAcquireSpinLock(&g_first_lock, &old_irql);
  WaitForOtherHolder();
  KeAcquireSpinLockAtDpcLevel(&g_second_lock);
  KeReleaseSpinLockFromDpcLevel(&g_second_lock);
  KeReleaseSpinLock(&g_first_lock, old_irql);
}

_Use_decl_annotations_ VOID LockOrderThreadB(PVOID Context) {
  KIRQL old_irql;
  UNREFERENCED_PARAMETER(Context);
  KeAcquireSpinLock(&g_second_lock, &old_irql);
  WaitForOtherHolder();
  KeAcquireSpinLockAtDpcLevel(&g_first_lock);
  KeReleaseSpinLockFromDpcLevel(&g_first_lock);
  KeReleaseSpinLock(&g_second_lock, old_irql);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  HANDLE thread;
  OBJECT_ATTRIBUTES attributes;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(DriverObject);
  UNREFERENCED_PARAMETER(RegistryPath);

  KeInitializeSpinLock(&g_first_lock);
  KeInitializeSpinLock(&g_second_lock);
  g_holders = 0;
  InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
  status = PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, &attributes, NULL, NULL, LockOrderThreadA, NULL);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  ZwClose(thread);
  status = PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, &attributes, NULL, NULL, LockOrderThreadB, NULL);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  ZwClose(thread);
  return STATUS_SUCCESS;
}
