// mm/mdl.hpp - memory descriptor lists: the memory manager's side, for the I/O manager.
//
// The exported routines (IoAllocateMdl, IoFreeMdl, MmProbeAndLockPages, MmUnlockPages,
// MmMapLockedPagesSpecifyCache, MmBuildMdlForNonPagedPool, ...) check their callers and delegate
// here; the I/O manager calls these directly when it builds and tears down the MDLs of an IRP, so
// that its own work is neither charged to a driver nor a scheduling point.
#pragma once

#include <wdm.h>

namespace wdmlab::base {
struct DriverIdentity;
}

namespace wdmlab::mm {

// A new MDL describing [virtual_address, virtual_address + length), charged to `owner` (null: the
// I/O manager). Null when length is too large for one MDL or memory is short.
PMDL allocate_mdl(PVOID virtual_address, ULONG length, const base::DriverIdentity* owner);
// Frees an MDL from allocate_mdl; its pages must be unlocked and unmapped.
void free_mdl(PMDL mdl);
// MmProbeAndLockPages without raising: STATUS_SUCCESS, or the status of the exception the
// routine would raise (STATUS_ACCESS_VIOLATION for pages the mode may not access that way).
NTSTATUS probe_and_lock(PMDL mdl, KPROCESSOR_MODE access_mode, LOCK_OPERATION operation);
// MmUnlockPages: removes the system mapping, if any, and unlocks the pages.
void unlock_pages(PMDL mdl);

}  // namespace wdmlab::mm
