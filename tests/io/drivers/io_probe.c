/*
 * io_probe.c - probing and locking caller buffers inside __try/__except (see io_probe.h).
 */
#include <ntddk.h>

#include "io_probe.h"

NTSTATUS IoProbe(PVOID Address, SIZE_T Length, ULONG Alignment, BOOLEAN ForWrite) {
  __try {
    if (ForWrite) {
      ProbeForWrite(Address, Length, Alignment);
    } else {
      ProbeForRead(Address, Length, Alignment);
    }
  } __except (EXCEPTION_EXECUTE_HANDLER) {
    return GetExceptionCode();
  }
  return STATUS_SUCCESS;
}

NTSTATUS IoProbeLockAndFill(PVOID Buffer, ULONG Length, KPROCESSOR_MODE Mode, LOCK_OPERATION Operation, UCHAR Fill,
                            PIOPROBE_MDL Seen) {
  NTSTATUS status = STATUS_SUCCESS;
  PVOID system;
  PMDL mdl = IoAllocateMdl(Buffer, Length, FALSE, FALSE, NULL);
  if (mdl == NULL) return STATUS_INSUFFICIENT_RESOURCES;
  Seen->VirtualAddress = MmGetMdlVirtualAddress(mdl);
  Seen->ByteCount = MmGetMdlByteCount(mdl);
  Seen->ByteOffset = MmGetMdlByteOffset(mdl);
  __try {
    MmProbeAndLockPages(mdl, Mode, Operation);
  } __except (EXCEPTION_EXECUTE_HANDLER) {
    status = GetExceptionCode();
  }
  Seen->LockedFlags = mdl->MdlFlags;
  if (NT_SUCCESS(status)) {
    Seen->Process = mdl->Process;
    system = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute);
    Seen->SystemAddress = system;
    if (system == NULL) {
      status = STATUS_INSUFFICIENT_RESOURCES;
    } else if (Operation == IoWriteAccess) {
      RtlFillMemory(system, Length, Fill);
    }
    MmUnlockPages(mdl);
    Seen->UnlockedFlags = mdl->MdlFlags;
  }
  IoFreeMdl(mdl);
  return status;
}
