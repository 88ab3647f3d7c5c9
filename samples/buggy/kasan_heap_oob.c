/*
 * kasan_heap_oob - BUGGY ON PURPOSE: a string is copied into a pool block sized for its
 * characters but not its terminating NUL, one byte past the end of the block.
 *
 * DriverEntry starts a system thread that keeps a copy of a device name in nonpaged pool. It
 * allocates strlen(name) bytes, KASAN_HEAP_NAME_LENGTH, and copies the name character by
 * character up to and including the terminator, so the last store writes Copy[32], the byte just
 * past the block.
 *
 * In a normal build the byte lands in the pool's padding or the next block's header and the
 * damage shows up later, if ever (Special Pool would catch it at once: 0xD6). A build with the
 * Kernel Address Sanitizer (/fsanitize=kernel-address; here wdmlab_add_driver(... KASAN ...))
 * checks every store against redzones around each pool block.
 *
 * What Windows reports with KASAN enabled, and the lab with the KASAN option: bug check 0x1F2
 * KASAN_ILLEGAL_ACCESS, P1 = the block's address + 32 (the thread logs the block), P2 = 1 (a byte
 * store), P3 = the instruction in KasanHeapCopyName after the check, P4 = 0x186: a write (bit 8)
 * to the right redzone of pool memory (shadow code 0x86).
 */
#include <ntddk.h>

#define KASAN_HEAP_TAG 'pHsK'
#define KASAN_HEAP_NAME_LENGTH 32

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD KasanHeapUnload;
KSTART_ROUTINE KasanHeapWorker;

static const char KasanHeapName[KASAN_HEAP_NAME_LENGTH + 1] = "\\Device\\KasanHeapOverrunExample0";

static VOID KasanHeapCopyName(_Out_writes_(KASAN_HEAP_NAME_LENGTH) PCHAR Copy)
{
    ULONG i = 0;

    do { /* BUG: copies the terminator too, KASAN_HEAP_NAME_LENGTH + 1 bytes */
        Copy[i] = KasanHeapName[i];
    } while (KasanHeapName[i++] != '\0');
}

VOID KasanHeapWorker(_In_ PVOID StartContext)
{
    PCHAR copy;

    UNREFERENCED_PARAMETER(StartContext);
    copy = (PCHAR)ExAllocatePool2(POOL_FLAG_NON_PAGED, KASAN_HEAP_NAME_LENGTH, KASAN_HEAP_TAG);
    if (copy != NULL) {
        DbgPrint("kasan_heap_oob: copy at %p\n", (PVOID)copy);
        KasanHeapCopyName(copy);
        ExFreePoolWithTag(copy, KASAN_HEAP_TAG);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

VOID KasanHeapUnload(_In_ PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
}

NTSTATUS DriverEntry(_In_ PDRIVER_OBJECT DriverObject, _In_ PUNICODE_STRING RegistryPath)
{
    HANDLE thread;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = KasanHeapUnload;
    status = PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, NULL, NULL, NULL, KasanHeapWorker, NULL);
    if (NT_SUCCESS(status)) {
        ZwClose(thread);
    }
    return status;
}
