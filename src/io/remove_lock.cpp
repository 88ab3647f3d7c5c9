// Remove locks (see io/remove_lock.hpp).
#include "io/remove_lock.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "io/ddi_rules.hpp"
#include "io/driver.hpp"
#include "io/violation.hpp"
#include "ke/bugcheck.hpp"
#include "sched/scheduler.hpp"
#include "verifier/verifier.hpp"

namespace wdmlab::io {

namespace {

RemoveLockRecord& record_of(PIO_REMOVE_LOCK lock) { return IoManager::require().remove_locks().record(lock); }

// Drops the held acquisition with `tag` (the latest one, if several share it). A tag no held
// acquisition has is 0xC4 / `subcode` (0xD5 IoReleaseRemoveLock, 0xD6 IoReleaseRemoveLockAndWait)
// [lock, tag released, tag of the latest acquisition still held or 0] under I/O verification;
// without it the release is counted and goes on, as on Windows.
void forget_hold(PIO_REMOVE_LOCK lock, PVOID tag, std::uint64_t subcode, const char* routine) {
  RemoveLockRecord& record = record_of(lock);
  const auto found = std::find_if(record.holds.rbegin(), record.holds.rend(),
                                  [tag](const RemoveLockHold& hold) { return hold.tag == tag; });
  if (found == record.holds.rend()) {
    ++record.unmatched_releases;
    const void* latest = record.holds.empty() ? nullptr : record.holds.back().tag;
    (void)verifier::violation(
        {.parameters = {subcode, address_of(lock), address_of(tag), address_of(latest)},
         .description = fmt::format("{} was called for remove lock {} with tag {}, which no IoAcquireRemoveLock of "
                                    "the lock still held used ({} acquisition(s) held): release with the tag the "
                                    "acquisition used.",
                                    routine, static_cast<const void*>(lock), tag, record.holds.size())});
    return;
  }
  record.holds.erase(std::next(found).base());
}

LONG add(PIO_REMOVE_LOCK lock, LONG delta) { return __atomic_add_fetch(&lock->Common.IoCount, delta, __ATOMIC_SEQ_CST); }

}  // namespace

}  // namespace wdmlab::io

using namespace wdmlab::io;

extern "C" {

VOID NTAPI IoInitializeRemoveLockEx(PIO_REMOVE_LOCK Lock, ULONG AllocateTag, ULONG MaxLockedMinutes,
                                    ULONG HighWatermark, ULONG RemlockSize) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "IoInitializeRemoveLock", __builtin_return_address(0), Lock);
  if (RemlockSize != sizeof(IO_REMOVE_LOCK)) return;  // a layout this build does not know: Windows leaves it alone
  if (const RemoveLockRecord* known = IoManager::require().remove_locks().find(Lock);
      known != nullptr && known->initializations != 0 && !Lock->Common.Removed) {
    (void)wdmlab::verifier::violation(
        {.parameters = {0xD7, address_of(Lock), known->holds.size(), 0},
         .description = fmt::format("IoInitializeRemoveLock was called for remove lock {}, which is initialised and "
                                    "in use ({} acquisition(s) held); initialise a remove lock once, when its device "
                                    "is created.",
                                    static_cast<const void*>(Lock), known->holds.size())});
  }
  Lock->Common.Removed = FALSE;
  Lock->Common.IoCount = 1;
  KeInitializeEvent(&Lock->Common.RemoveEvent, SynchronizationEvent, FALSE);
  RemoveLockRecord& record = record_of(Lock);
  record.allocate_tag = AllocateTag;
  record.max_locked_minutes = MaxLockedMinutes;
  record.high_watermark = HighWatermark;
  ++record.initializations;
  record.holds.clear();
}

NTSTATUS NTAPI IoAcquireRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, PCSTR File, ULONG Line,
                                     ULONG RemlockSize) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "IoAcquireRemoveLock", __builtin_return_address(0), RemoveLock);
  (void)RemlockSize;
  (void)add(RemoveLock, 1);
  if (RemoveLock->Common.Removed) {
    if (add(RemoveLock, -1) == 0) KeSetEvent(&RemoveLock->Common.RemoveEvent, 0, FALSE);
    return STATUS_DELETE_PENDING;
  }
  wdmlab::sched::Scheduler& scheduler = *wdmlab::sched::Scheduler::current();
  record_of(RemoveLock).holds.push_back(
      RemoveLockHold{Tag, File, Line, wdmlab::sched::calling_driver(), scheduler.now()});
  ddi::on_remove_lock_acquired();
  return STATUS_SUCCESS;
}

VOID NTAPI IoReleaseRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, ULONG RemlockSize) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "IoReleaseRemoveLock", __builtin_return_address(0), RemoveLock);
  (void)RemlockSize;
  forget_hold(RemoveLock, Tag, 0xD5, "IoReleaseRemoveLock");
  ddi::on_remove_lock_released();
  if (add(RemoveLock, -1) == 0) KeSetEvent(&RemoveLock->Common.RemoveEvent, 0, FALSE);
}

VOID NTAPI IoReleaseRemoveLockAndWaitEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, ULONG RemlockSize) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "IoReleaseRemoveLockAndWait", __builtin_return_address(0),
                                   RemoveLock);
  (void)RemlockSize;
  ddi::on_remove_lock_release_and_wait(RemoveLock, __builtin_return_address(0));
  RemoveLock->Common.Removed = TRUE;
  forget_hold(RemoveLock, Tag, 0xD6, "IoReleaseRemoveLockAndWait");
  ddi::on_remove_lock_released();
  (void)add(RemoveLock, -1);     // the caller's own acquisition
  if (add(RemoveLock, -1) > 0) {  // the bias IoInitializeRemoveLock set
    KeWaitForSingleObject(&RemoveLock->Common.RemoveEvent, Executive, KernelMode, FALSE, nullptr);
  }
}

}  // extern "C"
