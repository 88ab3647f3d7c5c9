/*
 * kasan_stack_oob - BUGGY ON PURPOSE: an off-by-one loop writes one byte past a buffer on the
 * stack.
 *
 * DriverEntry starts a system thread that sums a small message into an 8-byte table of running
 * checksums, a local array of its own. KasanStackFillChecksums is handed the table and its size
 * and fills it with `<=` instead of `<`, so its last iteration writes Checksums[8], the byte just
 * past the array.
 *
 * The bug is silent in a normal build: the byte lands in the thread's stack frame, usually in
 * padding, and nothing crashes. What exposes it is a build with the Kernel Address Sanitizer (the
 * WDK's /fsanitize=kernel-address; here wdmlab_add_driver(... KASAN ...)), which surrounds every
 * local array with redzones and checks every store.
 *
 * What Windows reports with KASAN enabled, and the lab with the KASAN option: bug check 0x1F2
 * KASAN_ILLEGAL_ACCESS, P1 = the address of Checksums[8] (the thread logs the table's address),
 * P2 = 1 (a one-byte access), P3 = the instruction in KasanStackFillChecksums after the check,
 * P4 = 0x1F3: bit 8 set for a write, and shadow code 0xF3, the right redzone of a stack variable.
 */
#include <ntddk.h>

#define KASAN_STACK_TABLE_SIZE 8

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD KasanStackUnload;
KSTART_ROUTINE KasanStackWorker;

static const char KasanStackMessage[] = "The quick brown fox";

static VOID KasanStackFillChecksums(_Out_writes_(Count) PUCHAR Checksums, _In_ ULONG Count)
{
    ULONG i;
    UCHAR sum = 0;

    for (i = 0; i <= Count; i++) { /* BUG: <= writes Checksums[Count] */
        sum = (UCHAR)(sum + (UCHAR)KasanStackMessage[i % (sizeof(KasanStackMessage) - 1)]);
        Checksums[i] = sum;
    }
}

VOID KasanStackWorker(_In_ PVOID StartContext)
{
    UCHAR checksums[KASAN_STACK_TABLE_SIZE];

    UNREFERENCED_PARAMETER(StartContext);
    DbgPrint("kasan_stack_oob: checksums at %p\n", (PVOID)checksums);
    KasanStackFillChecksums(checksums, KASAN_STACK_TABLE_SIZE);
    DbgPrint("kasan_stack_oob: last checksum %02X\n", checksums[KASAN_STACK_TABLE_SIZE - 1]);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

VOID KasanStackUnload(_In_ PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
}

NTSTATUS DriverEntry(_In_ PDRIVER_OBJECT DriverObject, _In_ PUNICODE_STRING RegistryPath)
{
    HANDLE thread;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = KasanStackUnload;
    status = PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, NULL, NULL, NULL, KasanStackWorker, NULL);
    if (NT_SUCCESS(status)) {
        ZwClose(thread);
    }
    return status;
}
