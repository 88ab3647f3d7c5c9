// The list and counter routines guarded by a caller-supplied spin lock (ExInterlockedXxx).
//
// Windows takes the lock with interrupts disabled, so these may be called at any IRQL. The lab
// models that by raising to HIGH_LEVEL while it holds the lock; a processor that finds the lock
// held spins (keeping its processor) until the owner releases it, as with any spin lock.
#include <wdm.h>

#include "sched/scheduler.hpp"
#include "verifier/verifier.hpp"

namespace {

// Holds `lock` with "interrupts disabled" for the lifetime of the object.
class InterlockedSection {
 public:
  explicit InterlockedSection(PKSPIN_LOCK lock) : lock_(lock), old_irql_(KfRaiseIrql(HIGH_LEVEL)) {
    KeAcquireSpinLockAtDpcLevel(lock_);
  }
  ~InterlockedSection() {
    KeReleaseSpinLockFromDpcLevel(lock_);
    KeLowerIrql(old_irql_);
  }
  InterlockedSection(const InterlockedSection&) = delete;
  InterlockedSection& operator=(const InterlockedSection&) = delete;

 private:
  PKSPIN_LOCK lock_;
  KIRQL old_irql_;
};

// DDI compliance checking's MarkingInterlockedQueuedIrps: the I/O manager looks at whether `entry`
// is the ListEntry of an IRP the calling dispatch routine has not marked pending yet.
void monitor_queued(const void* entry) {
  wdmlab::verifier::Verifier* verifier = wdmlab::verifier::Verifier::current();
  if (verifier != nullptr && verifier->queue_monitors.entry_queued != nullptr) verifier->queue_monitors.entry_queued(entry);
}

}  // namespace

extern "C" {

PLIST_ENTRY NTAPI ExInterlockedInsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock) {
  wdmlab::sched::scheduling_point();
  monitor_queued(ListEntry);
  InterlockedSection section(Lock);
  PLIST_ENTRY first = IsListEmpty(ListHead) ? nullptr : ListHead->Flink;
  InsertHeadList(ListHead, ListEntry);
  return first;
}

PLIST_ENTRY NTAPI ExInterlockedInsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock) {
  wdmlab::sched::scheduling_point();
  monitor_queued(ListEntry);
  InterlockedSection section(Lock);
  PLIST_ENTRY last = IsListEmpty(ListHead) ? nullptr : ListHead->Blink;
  InsertTailList(ListHead, ListEntry);
  return last;
}

PLIST_ENTRY NTAPI ExInterlockedRemoveHeadList(PLIST_ENTRY ListHead, PKSPIN_LOCK Lock) {
  wdmlab::sched::scheduling_point();
  InterlockedSection section(Lock);
  return IsListEmpty(ListHead) ? nullptr : RemoveHeadList(ListHead);
}

PSINGLE_LIST_ENTRY NTAPI ExInterlockedPushEntryList(PSINGLE_LIST_ENTRY ListHead, PSINGLE_LIST_ENTRY ListEntry,
                                                    PKSPIN_LOCK Lock) {
  wdmlab::sched::scheduling_point();
  monitor_queued(ListEntry);
  InterlockedSection section(Lock);
  PSINGLE_LIST_ENTRY first = ListHead->Next;
  PushEntryList(ListHead, ListEntry);
  return first;
}

PSINGLE_LIST_ENTRY NTAPI ExInterlockedPopEntryList(PSINGLE_LIST_ENTRY ListHead, PKSPIN_LOCK Lock) {
  wdmlab::sched::scheduling_point();
  InterlockedSection section(Lock);
  return PopEntryList(ListHead);
}

ULONG NTAPI ExInterlockedAddUlong(PULONG Addend, ULONG Increment, PKSPIN_LOCK Lock) {
  wdmlab::sched::scheduling_point();
  InterlockedSection section(Lock);
  const ULONG initial = *Addend;
  *Addend = initial + Increment;
  return initial;
}

LARGE_INTEGER NTAPI ExInterlockedAddLargeInteger(PLARGE_INTEGER Addend, LARGE_INTEGER Increment, PKSPIN_LOCK Lock) {
  wdmlab::sched::scheduling_point();
  InterlockedSection section(Lock);
  const LARGE_INTEGER initial = *Addend;
  Addend->QuadPart =
      static_cast<LONGLONG>(static_cast<ULONGLONG>(initial.QuadPart) + static_cast<ULONGLONG>(Increment.QuadPart));
  return initial;
}

}  // extern "C"
