// Lookaside lists: the registry of live lists and the exported routines.
#include "ex/lookaside.hpp"

#include <fmt/format.h>

#include "ex/executive.hpp"
#include "ke/bugcheck.hpp"
#include "sched/scheduler.hpp"
#include "verifier/verifier.hpp"

namespace wdmlab::ex {

const LookasideRecord* LookasideLists::find(const void* list) const {
  auto it = lists_.find(reinterpret_cast<std::uintptr_t>(list));
  return it != lists_.end() ? &it->second : nullptr;
}

const void* LookasideLists::first_in(std::uintptr_t begin, std::uintptr_t end) const {
  auto it = lists_.lower_bound(begin);
  return it != lists_.end() && it->first < end ? reinterpret_cast<const void*>(it->first) : nullptr;
}

std::vector<const void*> LookasideLists::owned_by(const base::DriverIdentity* driver) const {
  std::vector<const void*> lists;
  for (const auto& [address, record] : lists_) {
    if (record.driver == driver) lists.push_back(reinterpret_cast<const void*>(address));
  }
  return lists;
}

}  // namespace wdmlab::ex

namespace {

using wdmlab::ex::address_of;
using wdmlab::ex::Executive;
using wdmlab::ex::LookasideKind;
using wdmlab::ex::LookasideLists;

// DRIVER_VERIFIER_DETECTED_VIOLATION subcodes for lookaside lists.
constexpr std::uint64_t kInitializedTwice = 0xCA;
constexpr std::uint64_t kDeletedUninitialized = 0xCB;
constexpr std::uint64_t kBlockTooSmall = 0xCD;

constexpr ULONG kNonPagedListFlags = POOL_NX_ALLOCATION | POOL_RAISE_IF_ALLOCATION_FAILURE;
constexpr ULONG kExListFlags = EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL | EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE;

PVOID NTAPI default_allocate_ex(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, PLOOKASIDE_LIST_EX Lookaside) {
  (void)Lookaside;
  return ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag);
}

VOID NTAPI default_free_ex(PVOID Buffer, PLOOKASIDE_LIST_EX Lookaside) {
  (void)Lookaside;
  ExFreePool(Buffer);
}

void check_irql(const char* routine, const void* list, KIRQL maximum, const void* caller, const char* rule) {
  const KIRQL irql = wdmlab::ke::current_irql();
  if (irql > maximum) wdmlab::ke::irql_too_high(routine, list, irql, maximum, caller, rule);
}

KIRQL maximum_irql_for(ULONG pool_type) {
  return wdmlab::ex::classify_pool_type(pool_type).paged ? APC_LEVEL : DISPATCH_LEVEL;
}

// The verifier's checks of a list about to be initialised; returns the entry size to use (the
// lab keeps entries at least LOOKASIDE_MINIMUM_BLOCK_SIZE, where it links free ones).
SIZE_T check_new_list(const char* routine, const void* list, SIZE_T size) {
  if (size < LOOKASIDE_MINIMUM_BLOCK_SIZE) [[unlikely]] {
    wdmlab::verifier::violation(
        {.parameters = {kBlockTooSmall, address_of(list), size, LOOKASIDE_MINIMUM_BLOCK_SIZE},
         .description = fmt::format("{} with entries of {} bytes; the minimum is LOOKASIDE_MINIMUM_BLOCK_SIZE ({}).",
                                    routine, size, LOOKASIDE_MINIMUM_BLOCK_SIZE)});
    size = LOOKASIDE_MINIMUM_BLOCK_SIZE;
  }
  if (Executive::require().lookaside_lists().find(list) != nullptr) [[unlikely]] {
    wdmlab::verifier::violation(
        {.parameters = {kInitializedTwice, address_of(list), 0, 0},
         .description = fmt::format("{} on the lookaside list at {}, which is already initialised and was never "
                                    "deleted.",
                                    routine, list)});
    Executive::require().lookaside_lists().unregister(list);
  }
  return size;
}

// False when `list` is not a live lookaside list (the delete then does nothing).
bool check_live_list(const char* routine, const void* list) {
  if (Executive::require().lookaside_lists().find(list) != nullptr) [[likely]] return true;
  wdmlab::verifier::violation(
      {.parameters = {kDeletedUninitialized, address_of(list), 0, 0},
       .description = fmt::format("{} on {}, which is not an initialised lookaside list (never initialised, or "
                                  "deleted already).",
                                  routine, list)});
  return false;
}

}  // namespace

extern "C" {

// --- NPAGED_LOOKASIDE_LIST ---------------------------------------------------------------------------

VOID NTAPI ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                           PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth) {
  (void)Depth;  // reserved
  wdmlab::sched::scheduling_point();
  check_irql("ExInitializeNPagedLookasideList", Lookaside, DISPATCH_LEVEL, __builtin_return_address(0), nullptr);
  Size = check_new_list("ExInitializeNPagedLookasideList", Lookaside, Size);
  Executive::require().lookaside_lists().initialize(
      Lookaside, Lookaside->L, LookasideKind::NonPaged, Allocate != nullptr ? Allocate : &ExAllocatePoolWithTag,
      Free != nullptr ? Free : &ExFreePool, NonPagedPool | (Flags & kNonPagedListFlags), Size, Tag,
      wdmlab::sched::calling_driver());
}

VOID NTAPI ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside) {
  wdmlab::sched::scheduling_point();
  check_irql("ExDeleteNPagedLookasideList", Lookaside, DISPATCH_LEVEL, __builtin_return_address(0), nullptr);
  if (!check_live_list("ExDeleteNPagedLookasideList", Lookaside)) return;
  LookasideLists::drain(Lookaside->L);
  Executive::require().lookaside_lists().unregister(Lookaside);
}

PVOID NTAPI ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside) {
  wdmlab::sched::scheduling_point();
  check_irql("ExAllocateFromNPagedLookasideList", Lookaside, DISPATCH_LEVEL, __builtin_return_address(0), nullptr);
  return LookasideLists::allocate(Lookaside->L);
}

VOID NTAPI ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry) {
  wdmlab::sched::scheduling_point();
  check_irql("ExFreeToNPagedLookasideList", Lookaside, DISPATCH_LEVEL, __builtin_return_address(0), nullptr);
  LookasideLists::free(Lookaside->L, Entry);
}

// --- PAGED_LOOKASIDE_LIST ----------------------------------------------------------------------------

VOID NTAPI ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                          PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth) {
  (void)Depth;  // reserved
  wdmlab::sched::scheduling_point();
  check_irql("ExInitializePagedLookasideList", Lookaside, APC_LEVEL, __builtin_return_address(0), "IrqlExApcLte2");
  Size = check_new_list("ExInitializePagedLookasideList", Lookaside, Size);
  Executive::require().lookaside_lists().initialize(
      Lookaside, Lookaside->L, LookasideKind::Paged, Allocate != nullptr ? Allocate : &ExAllocatePoolWithTag,
      Free != nullptr ? Free : &ExFreePool, PagedPool | (Flags & POOL_RAISE_IF_ALLOCATION_FAILURE), Size, Tag,
      wdmlab::sched::calling_driver());
}

VOID NTAPI ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside) {
  wdmlab::sched::scheduling_point();
  check_irql("ExDeletePagedLookasideList", Lookaside, APC_LEVEL, __builtin_return_address(0), "IrqlExApcLte2");
  if (!check_live_list("ExDeletePagedLookasideList", Lookaside)) return;
  LookasideLists::drain(Lookaside->L);
  Executive::require().lookaside_lists().unregister(Lookaside);
}

PVOID NTAPI ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside) {
  wdmlab::sched::scheduling_point();
  check_irql("ExAllocateFromPagedLookasideList", Lookaside, APC_LEVEL, __builtin_return_address(0), "IrqlExApcLte2");
  return LookasideLists::allocate(Lookaside->L);
}

VOID NTAPI ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry) {
  wdmlab::sched::scheduling_point();
  check_irql("ExFreeToPagedLookasideList", Lookaside, APC_LEVEL, __builtin_return_address(0), "IrqlExApcLte2");
  LookasideLists::free(Lookaside->L, Entry);
}

// --- LOOKASIDE_LIST_EX -------------------------------------------------------------------------------

NTSTATUS NTAPI ExInitializeLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PALLOCATE_FUNCTION_EX Allocate,
                                           PFREE_FUNCTION_EX Free, POOL_TYPE PoolType, ULONG Flags, SIZE_T Size,
                                           ULONG Tag, USHORT Depth) {
  (void)Depth;  // reserved
  wdmlab::sched::scheduling_point();
  check_irql("ExInitializeLookasideListEx", Lookaside, DISPATCH_LEVEL, __builtin_return_address(0), nullptr);
  const wdmlab::ex::PoolTypeInfo type = wdmlab::ex::classify_pool_type(static_cast<ULONG>(PoolType));
  if (!type.valid) return STATUS_INVALID_PARAMETER_4;
  if ((Flags & ~kExListFlags) != 0 || Flags == kExListFlags) return STATUS_INVALID_PARAMETER_5;
  Size = check_new_list("ExInitializeLookasideListEx", Lookaside, Size);
  const ULONG modifiers =
      ((Flags & EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL) != 0 ? POOL_RAISE_IF_ALLOCATION_FAILURE : 0) |
      ((Flags & EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE) != 0 ? POOL_QUOTA_FAIL_INSTEAD_OF_RAISE : 0);
  Executive::require().lookaside_lists().initialize(
      Lookaside, Lookaside->L, LookasideKind::Ex, Allocate != nullptr ? Allocate : &default_allocate_ex,
      Free != nullptr ? Free : &default_free_ex, static_cast<ULONG>(PoolType) | modifiers, Size, Tag,
      wdmlab::sched::calling_driver());
  return STATUS_SUCCESS;
}

VOID NTAPI ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside) {
  wdmlab::sched::scheduling_point();
  check_irql("ExDeleteLookasideListEx", Lookaside, maximum_irql_for(Lookaside->L.Type), __builtin_return_address(0),
             nullptr);
  if (!check_live_list("ExDeleteLookasideListEx", Lookaside)) return;
  LookasideLists::drain_ex(*Lookaside);
  Executive::require().lookaside_lists().unregister(Lookaside);
}

VOID NTAPI ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside) {
  wdmlab::sched::scheduling_point();
  check_irql("ExFlushLookasideListEx", Lookaside, maximum_irql_for(Lookaside->L.Type), __builtin_return_address(0),
             nullptr);
  LookasideLists::drain_ex(*Lookaside);
}

PVOID NTAPI ExAllocateFromLookasideListEx(PLOOKASIDE_LIST_EX Lookaside) {
  wdmlab::sched::scheduling_point();
  check_irql("ExAllocateFromLookasideListEx", Lookaside, maximum_irql_for(Lookaside->L.Type),
             __builtin_return_address(0), nullptr);
  return LookasideLists::allocate_ex(*Lookaside);
}

VOID NTAPI ExFreeToLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PVOID Entry) {
  wdmlab::sched::scheduling_point();
  check_irql("ExFreeToLookasideListEx", Lookaside, maximum_irql_for(Lookaside->L.Type), __builtin_return_address(0),
             nullptr);
  LookasideLists::free_ex(*Lookaside, Entry);
}

}  // extern "C"
