// mm/memory_manager.hpp - the memory manager's per-lab state.
//
// One MemoryManager exists per lab, over the lab's address space (base::AddressSpace). It
// publishes the address-space limits drivers read (MmUserProbeAddress, MmHighestUserAddress,
// MmSystemRangeStart) and keeps the system mappings of locked user pages: for each MDL mapped with
// MmMapLockedPagesSpecifyCache (or MmGetSystemAddressForMdlSafe), the kernel-space alias of its
// pages, removed by MmUnmapLockedPages or MmUnlockPages.
#pragma once

#include <wdm.h>

#include <cstddef>
#include <unordered_map>

namespace wdmlab::base {
class AddressSpace;
}

namespace wdmlab::mm {

class MemoryManager {
 public:
  explicit MemoryManager(base::AddressSpace& space);
  ~MemoryManager();
  MemoryManager(const MemoryManager&) = delete;
  MemoryManager& operator=(const MemoryManager&) = delete;

  static MemoryManager* current();
  static MemoryManager& require();

  base::AddressSpace& space() { return space_; }

  // The system address of the pages `mdl` describes (plus its byte offset), mapping them if need
  // be; null if they cannot be mapped.
  PVOID map_locked_pages(PMDL mdl);
  // Removes the system mapping of `mdl`, if it has one.
  void unmap_locked_pages(PMDL mdl);

 private:
  struct Alias {
    void* base;
    std::size_t bytes;
  };
  base::AddressSpace& space_;
  std::unordered_map<const MDL*, Alias> aliases_;
};

}  // namespace wdmlab::mm
