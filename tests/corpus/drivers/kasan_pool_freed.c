/*
 * kasan_pool_freed - a test driver for the KASAN option's pool poisoning: a system thread frees a
 * pool block and then reads its first ULONG through the stale pointer. The lab keeps freed blocks
 * in its quarantine, out of AddressSanitizer's sight, and poisons them for a driver verified with
 * the KASAN option: the read is bug check 0x1F2, P4 = 0x87 (freed memory, a read).
 */
#include <ntddk.h>

#define KASAN_FREED_TAG 'dFsK'

DRIVER_INITIALIZE DriverEntry;
KSTART_ROUTINE KasanFreedWorker;

static ULONG KasanFreedRead(_In_ const ULONG *Value)
{
    return *Value;
}

VOID KasanFreedWorker(_In_ PVOID StartContext)
{
    PULONG block;

    UNREFERENCED_PARAMETER(StartContext);
    block = (PULONG)ExAllocatePool2(POOL_FLAG_NON_PAGED, 48, KASAN_FREED_TAG);
    if (block != NULL) {
        block[0] = 7;
        DbgPrint("kasan_pool_freed: block at %p\n", (PVOID)block);
        ExFreePoolWithTag(block, KASAN_FREED_TAG);
        DbgPrint("kasan_pool_freed: stale value %lu\n", KasanFreedRead(block));
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

NTSTATUS DriverEntry(_In_ PDRIVER_OBJECT DriverObject, _In_ PUNICODE_STRING RegistryPath)
{
    HANDLE thread;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    status = PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, NULL, NULL, NULL, KasanFreedWorker, NULL);
    if (NT_SUCCESS(status)) {
        ZwClose(thread);
    }
    return status;
}
