/*
 * io_probe.h - driver routines that probe and lock buffers inside __try/__except, as a driver must,
 * and return the exception code they caught (STATUS_SUCCESS if none).
 */
#ifndef IO_PROBE_H
#define IO_PROBE_H

/* What IoProbeLockAndFill saw of its MDL. */
typedef struct _IOPROBE_MDL {
  PVOID VirtualAddress;  /* MmGetMdlVirtualAddress */
  ULONG ByteCount;       /* MmGetMdlByteCount */
  ULONG ByteOffset;      /* MmGetMdlByteOffset */
  CSHORT LockedFlags;    /* MdlFlags after MmProbeAndLockPages */
  CSHORT UnlockedFlags;  /* MdlFlags after MmUnlockPages */
  PVOID SystemAddress;   /* MmGetSystemAddressForMdlSafe */
  PEPROCESS Process;     /* Mdl->Process while locked */
} IOPROBE_MDL, *PIOPROBE_MDL;

#ifdef __cplusplus
extern "C" {
#endif

/* ProbeForWrite if ForWrite, else ProbeForRead. */
NTSTATUS IoProbe(PVOID Address, SIZE_T Length, ULONG Alignment, BOOLEAN ForWrite);
/* IoAllocateMdl over Buffer, MmProbeAndLockPages(Mode, Operation); if that succeeded, maps the
   pages with MmGetSystemAddressForMdlSafe, fills Length bytes with Fill through the mapping (for
   IoWriteAccess), and unlocks. Frees the MDL either way. */
NTSTATUS IoProbeLockAndFill(PVOID Buffer, ULONG Length, KPROCESSOR_MODE Mode, LOCK_OPERATION Operation, UCHAR Fill,
                            PIOPROBE_MDL Seen);

#ifdef __cplusplus
}
#endif

#endif
