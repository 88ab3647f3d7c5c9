// ex/lookaside.hpp - lookaside lists.
//
// The list lives in the driver's NPAGED_LOOKASIDE_LIST, PAGED_LOOKASIDE_LIST or LOOKASIDE_LIST_EX:
// cached entries on L.ListHead (an SLIST), the counters, Allocate/Free (the driver's or the
// defaults, ExAllocatePoolWithTag and ExFreePool). LookasideLists keeps the registry of live
// lists (Windows' system-wide list of lookaside lists), so re-initialising or deleting a list and
// freeing memory that still holds one can be checked, and the verifier can find a driver's
// lists at unload.
//
// Depth: a list caches at most kDepth entries. Windows starts every list at depth 4 and lets a
// periodic scan move it up to MaximumDepth as demand grows; the lab keeps it at 4.
//
// Callbacks run on the calling context, unsynchronised, as the documentation says.
#pragma once

#include <wdm.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "ex/slist.hpp"

namespace wdmlab::base {
struct DriverIdentity;
}

namespace wdmlab::ex {

enum class LookasideKind { NonPaged, Paged, Ex };

struct LookasideRecord {
  LookasideKind kind = LookasideKind::NonPaged;
  const base::DriverIdentity* driver = nullptr;  // the driver that initialised it
};

class LookasideLists {
 public:
  static constexpr USHORT kDepth = 4;
  static constexpr USHORT kMaximumDepth = EX_MAXIMUM_LOOKASIDE_DEPTH_BASE;

  const LookasideRecord* find(const void* list) const;
  // The first live list whose structure overlaps [begin, end), or null.
  const void* first_in(std::uintptr_t begin, std::uintptr_t end) const;
  // Live lists initialised by `driver`.
  std::vector<const void*> owned_by(const base::DriverIdentity* driver) const;
  std::size_t size() const { return lists_.size(); }

  // Fills in `l` as an empty list and registers it. `allocate`/`free` are the routines to use
  // (already defaulted by the caller).
  template <class General, class AllocateRoutine, class FreeRoutine>
  void initialize(void* list, General& l, LookasideKind kind, AllocateRoutine allocate_routine,
                  FreeRoutine free_routine, ULONG pool_type, SIZE_T size, ULONG tag,
                  const base::DriverIdentity* driver) {
    slist::initialize(l.ListHead);
    l.Depth = kDepth;
    l.MaximumDepth = kMaximumDepth;
    l.TotalAllocates = 0;
    l.AllocateMisses = 0;
    l.TotalFrees = 0;
    l.FreeMisses = 0;
    l.Type = static_cast<POOL_TYPE>(pool_type);
    l.Tag = tag;
    l.Size = static_cast<ULONG>(size);
    set_routines(l, allocate_routine, free_routine);
    l.ListEntry.Flink = l.ListEntry.Blink = &l.ListEntry;
    l.LastTotalAllocates = 0;
    l.LastAllocateMisses = 0;
    l.Future[0] = l.Future[1] = 0;
    lists_[reinterpret_cast<std::uintptr_t>(list)] = LookasideRecord{kind, driver};
  }

  // An entry: a cached one, else a new one from Allocate (which may return null).
  template <class General>
  static PVOID allocate(General& l) {
    ++l.TotalAllocates;
    if (PSLIST_ENTRY entry = slist::pop(l.ListHead)) return entry;
    ++l.AllocateMisses;
    return l.Allocate(l.Type, l.Size, l.Tag);
  }
  static PVOID allocate_ex(LOOKASIDE_LIST_EX& list) {
    ++list.L.TotalAllocates;
    if (PSLIST_ENTRY entry = slist::pop(list.L.ListHead)) return entry;
    ++list.L.AllocateMisses;
    return list.L.AllocateEx(list.L.Type, list.L.Size, list.L.Tag, &list);
  }

  // Caches `entry`, or hands it to Free when the list already holds Depth entries.
  template <class General>
  static void free(General& l, PVOID entry) {
    ++l.TotalFrees;
    if (slist::depth(l.ListHead) >= l.Depth) {
      ++l.FreeMisses;
      l.Free(entry);
      return;
    }
    slist::push(l.ListHead, static_cast<PSLIST_ENTRY>(entry));
  }
  static void free_ex(LOOKASIDE_LIST_EX& list, PVOID entry) {
    ++list.L.TotalFrees;
    if (slist::depth(list.L.ListHead) >= list.L.Depth) {
      ++list.L.FreeMisses;
      list.L.FreeEx(entry, &list);
      return;
    }
    slist::push(list.L.ListHead, static_cast<PSLIST_ENTRY>(entry));
  }

  // Hands every cached entry to Free.
  template <class General>
  static void drain(General& l) {
    while (PSLIST_ENTRY entry = slist::pop(l.ListHead)) l.Free(entry);
  }
  static void drain_ex(LOOKASIDE_LIST_EX& list) {
    while (PSLIST_ENTRY entry = slist::pop(list.L.ListHead)) list.L.FreeEx(entry, &list);
  }

  void unregister(const void* list) { lists_.erase(reinterpret_cast<std::uintptr_t>(list)); }

 private:
  template <class General>
  static void set_routines(General& l, PALLOCATE_FUNCTION allocate_routine, PFREE_FUNCTION free_routine) {
    l.Allocate = allocate_routine;
    l.Free = free_routine;
  }
  template <class General>
  static void set_routines(General& l, PALLOCATE_FUNCTION_EX allocate_routine, PFREE_FUNCTION_EX free_routine) {
    l.AllocateEx = allocate_routine;
    l.FreeEx = free_routine;
  }

  std::map<std::uintptr_t, LookasideRecord> lists_;  // by the address of the list structure
};

}  // namespace wdmlab::ex
