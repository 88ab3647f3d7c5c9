// The interlocked singly linked list (SLIST) routines. The lab runs one simulated processor at a
// time, so each operation is atomic by construction; the scheduling point before it lets other
// processors run between a driver's accesses.
#include "ex/slist.hpp"

#include "sched/scheduler.hpp"

namespace slist = wdmlab::ex::slist;

extern "C" {

VOID NTAPI InitializeSListHead(PSLIST_HEADER SListHead) {
  wdmlab::sched::scheduling_point();
  slist::initialize(*SListHead);
}

PSLIST_ENTRY NTAPI InterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry) {
  wdmlab::sched::scheduling_point();
  return slist::push(*ListHead, ListEntry);
}

PSLIST_ENTRY NTAPI InterlockedPopEntrySList(PSLIST_HEADER ListHead) {
  wdmlab::sched::scheduling_point();
  return slist::pop(*ListHead);
}

PSLIST_ENTRY NTAPI InterlockedFlushSList(PSLIST_HEADER ListHead) {
  wdmlab::sched::scheduling_point();
  return slist::flush(*ListHead);
}

PSLIST_ENTRY NTAPI ExInterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry, PKSPIN_LOCK Lock) {
  (void)Lock;  // unused on x64
  wdmlab::sched::scheduling_point();
  return slist::push(*ListHead, ListEntry);
}

PSLIST_ENTRY NTAPI ExInterlockedPopEntrySList(PSLIST_HEADER ListHead, PKSPIN_LOCK Lock) {
  (void)Lock;  // unused on x64
  wdmlab::sched::scheduling_point();
  return slist::pop(*ListHead);
}

PSLIST_ENTRY NTAPI ExInterlockedFlushSList(PSLIST_HEADER ListHead) {
  wdmlab::sched::scheduling_point();
  return slist::flush(*ListHead);
}

USHORT NTAPI ExQueryDepthSList(PSLIST_HEADER SListHead) {
  wdmlab::sched::scheduling_point();
  return slist::depth(*SListHead);
}

PSLIST_ENTRY NTAPI RtlFirstEntrySList(const SLIST_HEADER* ListHead) {
  wdmlab::sched::scheduling_point();
  return slist::first(*ListHead);
}

}  // extern "C"
