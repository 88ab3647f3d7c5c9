#include "mm/memory_manager.hpp"

#include "base/address_space.hpp"
#include "wdmlab/errors.hpp"

extern "C" {
ULONG_PTR MmUserProbeAddress = 0;
PVOID MmHighestUserAddress = nullptr;
PVOID MmSystemRangeStart = nullptr;
}

namespace wdmlab::mm {

namespace {
thread_local MemoryManager* t_current = nullptr;
}

MemoryManager::MemoryManager(base::AddressSpace& space) : space_(space) {
  if (t_current != nullptr) throw UsageError("a memory manager already exists on this thread");
  t_current = this;
  MmUserProbeAddress = space.user_limit();
  MmHighestUserAddress = reinterpret_cast<PVOID>(space.user_limit() - 1);
  MmSystemRangeStart = reinterpret_cast<PVOID>(space.user_limit());
}

MemoryManager::~MemoryManager() {
  for (auto& [mdl, alias] : aliases_) space_.unmap_system_alias(alias.base, alias.bytes);
  if (t_current == this) t_current = nullptr;
}

MemoryManager* MemoryManager::current() { return t_current; }

MemoryManager& MemoryManager::require() {
  if (t_current == nullptr) throw UsageError("a memory manager routine was called with no lab on this thread");
  return *t_current;
}

PVOID MemoryManager::map_locked_pages(PMDL mdl) {
  const auto start = reinterpret_cast<std::uintptr_t>(mdl->StartVa);
  if (!space_.is_user(start) || start < space_.user_base()) {
    // Kernel memory is already mapped in system space.
    return static_cast<char*>(mdl->StartVa) + mdl->ByteOffset;
  }
  const std::size_t bytes = ADDRESS_AND_SIZE_TO_SPAN_PAGES(mdl->ByteOffset, mdl->ByteCount) * PAGE_SIZE;
  if (bytes == 0) return nullptr;
  void* alias = space_.map_system_alias(start, bytes);
  aliases_[mdl] = Alias{alias, bytes};
  return static_cast<char*>(alias) + mdl->ByteOffset;
}

void MemoryManager::unmap_locked_pages(PMDL mdl) {
  auto found = aliases_.find(mdl);
  if (found == aliases_.end()) return;
  space_.unmap_system_alias(found->second.base, found->second.bytes);
  aliases_.erase(found);
}

}  // namespace wdmlab::mm
