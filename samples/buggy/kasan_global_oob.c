/*
 * kasan_global_oob - BUGGY ON PURPOSE: a bucket index can equal the number of buckets, and a
 * value is written one element past a global array.
 *
 * DriverEntry starts a system thread that sorts a few request sizes into KASAN_GLOBAL_BUCKETS
 * buckets, one per power of two from 512 bytes, and remembers the last size seen in each
 * (KasanGlobalLastSize). The loop that finds a size's bucket stops at KASAN_GLOBAL_BUCKETS instead
 * of KASAN_GLOBAL_BUCKETS - 1, so a size above 4096 bytes gets index 4, and recording it writes
 * KasanGlobalLastSize[4], the ULONG just past the array.
 *
 * In a normal build the store lands on whatever global the linker placed next, corrupting it
 * silently. A build with the Kernel Address Sanitizer (/fsanitize=kernel-address; here
 * wdmlab_add_driver(... KASAN ...)) puts a redzone after every global and checks every store.
 *
 * What Windows reports with KASAN enabled, and the lab with the KASAN option: bug check 0x1F2
 * KASAN_ILLEGAL_ACCESS, P1 = &&KasanGlobalLastSize[4] (the thread logs the array's address),
 * P2 = 4 (a ULONG store), P3 = the instruction in KasanGlobalRecord after the check, P4 = 0x184:
 * a write (bit 8) to the right redzone of a global variable (shadow code 0x84).
 */
#include <ntddk.h>

#define KASAN_GLOBAL_BUCKETS 4

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD KasanGlobalUnload;
KSTART_ROUTINE KasanGlobalWorker;

static ULONG KasanGlobalLastSize[KASAN_GLOBAL_BUCKETS];

static ULONG KasanGlobalBucket(_In_ ULONG Size)
{
    ULONG bucket = 0;
    ULONG limit = 512;

    while (Size > limit && bucket < KASAN_GLOBAL_BUCKETS) { /* BUG: should stop at BUCKETS - 1 */
        limit *= 2;
        bucket++;
    }
    return bucket;
}

static VOID KasanGlobalRecord(_In_ ULONG Size)
{
    KasanGlobalLastSize[KasanGlobalBucket(Size)] = Size;
}

VOID KasanGlobalWorker(_In_ PVOID StartContext)
{
    static const ULONG sizes[] = {64, 700, 1500, 3000, 8192};
    ULONG i;

    UNREFERENCED_PARAMETER(StartContext);
    DbgPrint("kasan_global_oob: last sizes at %p\n", (PVOID)KasanGlobalLastSize);
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        KasanGlobalRecord(sizes[i]);
    }
    DbgPrint("kasan_global_oob: last small request %lu bytes\n", KasanGlobalLastSize[0]);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

VOID KasanGlobalUnload(_In_ PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
}

NTSTATUS DriverEntry(_In_ PDRIVER_OBJECT DriverObject, _In_ PUNICODE_STRING RegistryPath)
{
    HANDLE thread;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = KasanGlobalUnload;
    status = PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, NULL, NULL, NULL, KasanGlobalWorker, NULL);
    if (NT_SUCCESS(status)) {
        ZwClose(thread);
    }
    return status;
}
