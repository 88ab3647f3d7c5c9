// ex/slist.hpp - the operations on an SLIST_HEADER, without scheduling points.
//
// The exported SList routines (slist.cpp) and the lookaside lists use these. The header keeps
// the x64 layout: Depth and Sequence in the first quadword, the first entry's address >> 4 in
// NextEntry, so an entry that is not 16-byte aligned loses its low address bits, as on Windows.
#pragma once

#include <wdm.h>

namespace wdmlab::ex::slist {

inline PSLIST_ENTRY first(const SLIST_HEADER& head) {
  return reinterpret_cast<PSLIST_ENTRY>(static_cast<ULONG_PTR>(head.HeaderX64.NextEntry) << 4);
}

inline USHORT depth(const SLIST_HEADER& head) { return static_cast<USHORT>(head.HeaderX64.Depth); }

inline void initialize(SLIST_HEADER& head) {
  head.Alignment = 0;
  head.Region = 0;
}

// Pushes `entry`; returns the previous first entry.
inline PSLIST_ENTRY push(SLIST_HEADER& head, PSLIST_ENTRY entry) {
  PSLIST_ENTRY previous = first(head);
  entry->Next = previous;
  head.HeaderX64.NextEntry = reinterpret_cast<ULONG_PTR>(entry) >> 4;
  head.HeaderX64.Depth = head.HeaderX64.Depth + 1;
  head.HeaderX64.Sequence = head.HeaderX64.Sequence + 1;
  return previous;
}

// Pops the first entry, or returns null when the list is empty.
inline PSLIST_ENTRY pop(SLIST_HEADER& head) {
  PSLIST_ENTRY entry = first(head);
  if (entry == nullptr) return nullptr;
  head.HeaderX64.NextEntry = reinterpret_cast<ULONG_PTR>(entry->Next) >> 4;
  head.HeaderX64.Depth = head.HeaderX64.Depth - 1;
  head.HeaderX64.Sequence = head.HeaderX64.Sequence + 1;
  return entry;
}

// Empties the list; returns its former first entry (the entries stay chained through Next).
inline PSLIST_ENTRY flush(SLIST_HEADER& head) {
  PSLIST_ENTRY entries = first(head);
  if (entries == nullptr) return nullptr;
  head.HeaderX64.NextEntry = 0;
  head.HeaderX64.Depth = 0;
  head.HeaderX64.Sequence = head.HeaderX64.Sequence + 1;
  return entries;
}

}  // namespace wdmlab::ex::slist
