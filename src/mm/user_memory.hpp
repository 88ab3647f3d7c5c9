// mm/user_memory.hpp - user-mode addresses as the kernel sees them.
//
// The lab's user-mode address range is a reservation below MmUserProbeAddress; everything else a
// driver sees (pool, stacks, the lab's own memory) lies above it, as kernel addresses do on
// Windows. The memory manager knows which user pages are mapped and how, so the I/O manager can
// copy to and from user buffers the way a system service does inside __try/__except: a part that
// is not accessible yields STATUS_ACCESS_VIOLATION instead of a fault.
#pragma once

#include <wdm.h>

#include <cstddef>

namespace wdmlab::mm {

// True if `address` lies in the user-mode range (including the never-mapped first 64 KiB).
bool is_user_address(const volatile void* address);

// ProbeForRead / ProbeForWrite without raising: STATUS_SUCCESS, STATUS_DATATYPE_MISALIGNMENT or
// STATUS_ACCESS_VIOLATION (the range is not entirely below MmUserProbeAddress, or wraps). A zero
// length always succeeds. Like Windows, this does not touch the pages.
NTSTATUS probe(const volatile void* address, SIZE_T length, ULONG alignment);
// ProbeForWrite without raising: probe() and, as ProbeForWrite touches each page for writing, also
// STATUS_ACCESS_VIOLATION when a page is unmapped or read-only.
NTSTATUS probe_for_write(const volatile void* address, SIZE_T length, ULONG alignment);

// Copies `length` bytes, where the user-mode side may be inaccessible: STATUS_SUCCESS or
// STATUS_ACCESS_VIOLATION (nothing is copied then). Kernel-mode addresses are trusted.
NTSTATUS copy_from_user(void* destination, const volatile void* user_source, std::size_t length);
NTSTATUS copy_to_user(volatile void* user_destination, const void* source, std::size_t length);

// Stores a service's result where its caller asked for it: a plain store for a KernelMode caller,
// copy_to_user (STATUS_ACCESS_VIOLATION if inaccessible) for a UserMode one.
template <typename T>
NTSTATUS store(KPROCESSOR_MODE mode, T* destination, const T& value) {
  if (mode == KernelMode) {
    *destination = value;
    return STATUS_SUCCESS;
  }
  return copy_to_user(destination, &value, sizeof(T));
}

}  // namespace wdmlab::mm
