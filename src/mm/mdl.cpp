// Memory descriptor lists: the memory manager's part (probing and locking, system mappings).
#include "mm/mdl.hpp"

#include <fmt/format.h>

#include "base/address_space.hpp"
#include "ex/executive.hpp"
#include "ke/bugcheck.hpp"
#include "mm/memory_manager.hpp"
#include "ps/process.hpp"
#include "rtl/exception.hpp"
#include "sched/scheduler.hpp"
#include "verifier/low_resources.hpp"

namespace wdmlab::mm {

namespace {

constexpr ULONG kMdlTag = ' ldM';  // "Mdl "

PPFN_NUMBER pfn_array(PMDL mdl) { return reinterpret_cast<PPFN_NUMBER>(mdl + 1); }

std::size_t page_count(const MDL* mdl) { return ADDRESS_AND_SIZE_TO_SPAN_PAGES(mdl->ByteOffset, mdl->ByteCount); }

// The lab has no physical memory; a page's frame number is its virtual page number.
void fill_frame_numbers(PMDL mdl) {
  const auto first = reinterpret_cast<PFN_NUMBER>(mdl->StartVa) >> PAGE_SHIFT;
  const std::size_t pages = page_count(mdl);
  for (std::size_t i = 0; i < pages; ++i) pfn_array(mdl)[i] = first + i;
}

}  // namespace

PMDL allocate_mdl(PVOID virtual_address, ULONG length, const base::DriverIdentity* owner) {
  if (length > MAXULONG - PAGE_SIZE + 1) return nullptr;
  const std::size_t bytes = sizeof(MDL) + ADDRESS_AND_SIZE_TO_SPAN_PAGES(virtual_address, length) * sizeof(PFN_NUMBER);
  auto* mdl = static_cast<PMDL>(ex::Executive::require().pool().allocate(
      ex::PoolRequest{.type = NonPagedPoolNx, .bytes = bytes, .tag = kMdlTag, .zero = true, .driver = owner}));
  if (mdl == nullptr) return nullptr;
  MmInitializeMdl(mdl, virtual_address, length);
  mdl->MdlFlags = MDL_ALLOCATED_FIXED_SIZE;
  return mdl;
}

void free_mdl(PMDL mdl) {
  if ((mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED)) != 0) {
    MemoryManager::require().unmap_locked_pages(mdl);
  }
  ex::Executive::require().pool().free(mdl);
}

NTSTATUS probe_and_lock(PMDL mdl, KPROCESSOR_MODE access_mode, LOCK_OPERATION operation) {
  base::AddressSpace& space = MemoryManager::require().space();
  const auto start = reinterpret_cast<std::uintptr_t>(MmGetMdlVirtualAddress(mdl));
  const std::size_t length = mdl->ByteCount;
  const bool user = space.is_user(start);
  if (access_mode == UserMode && !space.is_user_range(start, length)) return STATUS_ACCESS_VIOLATION;
  if (user && !space.accessible(start, length, operation != IoReadAccess)) return STATUS_ACCESS_VIOLATION;
  fill_frame_numbers(mdl);
  mdl->MdlFlags |= MDL_PAGES_LOCKED;
  if (operation != IoReadAccess) mdl->MdlFlags |= MDL_WRITE_OPERATION;
  if (user) {
    ps::ProcessManager* processes = ps::ProcessManager::current();
    mdl->Process = processes != nullptr ? processes->current_process() : nullptr;
  }
  return STATUS_SUCCESS;
}

void unlock_pages(PMDL mdl) {
  if ((mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED)) != 0) {
    MemoryManager::require().unmap_locked_pages(mdl);
    mdl->MdlFlags &= ~(MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED);
  }
  mdl->MdlFlags &= ~(MDL_PAGES_LOCKED | MDL_WRITE_OPERATION);
  mdl->Process = nullptr;
}

}  // namespace wdmlab::mm

using namespace wdmlab::mm;

extern "C" {

SIZE_T NTAPI MmSizeOfMdl(PVOID Base, SIZE_T Length) {
  wdmlab::sched::scheduling_point();
  return sizeof(MDL) + ADDRESS_AND_SIZE_TO_SPAN_PAGES(Base, Length) * sizeof(PFN_NUMBER);
}

VOID NTAPI MmProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode, LOCK_OPERATION Operation) {
  wdmlab::sched::scheduling_point();
  const void* caller = __builtin_return_address(0);
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "MmProbeAndLockPages", caller, MemoryDescriptorList,
                                   "IrqlMmDispatch");
  if (wdmlab::verifier::inject_failure("MmProbeAndLockPages", 0, caller)) {
    wdmlab::rtl::raise_status(STATUS_INSUFFICIENT_RESOURCES, caller);
  }
  const NTSTATUS status = probe_and_lock(MemoryDescriptorList, AccessMode, Operation);
  if (!NT_SUCCESS(status)) wdmlab::rtl::raise_status(status, caller);
}

VOID NTAPI MmUnlockPages(PMDL MemoryDescriptorList) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "MmUnlockPages", __builtin_return_address(0), MemoryDescriptorList,
                                   "IrqlMmDispatch");
  unlock_pages(MemoryDescriptorList);
}

VOID NTAPI MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "MmBuildMdlForNonPagedPool", __builtin_return_address(0),
                                   MemoryDescriptorList, "IrqlMmDispatch");
  PMDL mdl = MemoryDescriptorList;
  mdl->MappedSystemVa = MmGetMdlVirtualAddress(mdl);
  mdl->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
  fill_frame_numbers(mdl);
}

PVOID NTAPI MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                                         MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress,
                                         ULONG BugCheckOnFailure, ULONG Priority) {
  (void)CacheType;
  (void)RequestedAddress;
  (void)Priority;
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "MmMapLockedPagesSpecifyCache", __builtin_return_address(0),
                                   MemoryDescriptorList, "IrqlMmDispatch");
  PMDL mdl = MemoryDescriptorList;
  // Mapping into a user address space is not supported: the lab maps into system space only.
  if (AccessMode != KernelMode) return nullptr;
  if ((mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL)) != 0) return mdl->MappedSystemVa;
  if (!BugCheckOnFailure && wdmlab::verifier::inject_failure("MmMapLockedPagesSpecifyCache", 0,
                                                             __builtin_return_address(0))) {
    return nullptr;
  }
  PVOID address = MemoryManager::require().map_locked_pages(mdl);
  if (address == nullptr) {
    if (BugCheckOnFailure) {
      wdmlab::ke::bug_check(NO_MORE_SYSTEM_PTES, 0, mdl->ByteCount, 0, 0,
                            fmt::format("MmMapLockedPages could not map MDL {}.", static_cast<const void*>(mdl)));
    }
    return nullptr;
  }
  mdl->MappedSystemVa = address;
  mdl->MdlFlags |= MDL_MAPPED_TO_SYSTEM_VA;
  if ((mdl->MdlFlags & MDL_PARTIAL) != 0) mdl->MdlFlags |= MDL_PARTIAL_HAS_BEEN_MAPPED;
  return address;
}

PVOID NTAPI MmMapLockedPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode) {
  return MmMapLockedPagesSpecifyCache(MemoryDescriptorList, AccessMode, MmCached, nullptr, TRUE, NormalPagePriority);
}

VOID NTAPI MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList) {
  (void)BaseAddress;
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "MmUnmapLockedPages", __builtin_return_address(0),
                                   MemoryDescriptorList, "IrqlMmDispatch");
  MemoryManager::require().unmap_locked_pages(MemoryDescriptorList);
  MemoryDescriptorList->MdlFlags &= ~(MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED);
}

}  // extern "C"
