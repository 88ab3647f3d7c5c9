// The cancel spin lock, IoCancelIrp, and the I/O manager's cancellation of a thread's requests.
#include "io/cancel.hpp"

#include <fmt/format.h>

#include "io/completion.hpp"
#include "io/driver.hpp"
#include "io/trace_events.hpp"
#include "io/violation.hpp"
#include "ke/bugcheck.hpp"
#include "ps/process.hpp"
#include "sched/scheduler.hpp"
#include "verifier/verifier.hpp"

namespace wdmlab::io {

namespace {

// Thread exit waits for cancelled IRPs in steps of 100 ms, up to five minutes (Windows' limit).
constexpr LONGLONG kRundownStep = 100 * 10'000;
constexpr unsigned kRundownSteps = 3000;
constexpr std::uint64_t kRundownMilliseconds = 300'000;

PLIST_ENTRY irp_list(_ETHREAD& thread) {
  if (thread.IrpList.Flink == nullptr) InitializeListHead(&thread.IrpList);
  return &thread.IrpList;
}

PIRP irp_of(PLIST_ENTRY entry) { return CONTAINING_RECORD(entry, IRP, ThreadListEntry); }

// The device at the IRP's current stack location: the driver that holds it (null past the top).
PDEVICE_OBJECT holder_of(const IRP* irp) {
  if (irp->CurrentLocation > irp->StackCount) return nullptr;
  return irp->Tail.Overlay.CurrentStackLocation->DeviceObject;
}

void report_never_completed(PIRP irp) {
  PDEVICE_OBJECT device = holder_of(irp);
  const base::DriverIdentity* driver = driver_of(device);
  (void)verifier::violation(
      {.parameters = {0x135, address_of(irp), kRundownMilliseconds, 0},
       .description = fmt::format(
           "IRP {} (major function 0x{:02x}) was cancelled when the thread that issued it ended, and {} did not "
           "complete it within {} seconds. The I/O manager disassociates it from the thread and lets the thread end; "
           "a driver must complete a cancelled IRP promptly (set a cancel routine on every IRP it holds for an "
           "unbounded time, or use a cancel-safe queue).",
           static_cast<const void*>(irp),
           reinterpret_cast<const IO_STACK_LOCATION*>(irp + 1)[irp->StackCount - 1].MajorFunction,
           device != nullptr ? fmt::format("device object {} ({})", static_cast<const void*>(device),
                                           driver != nullptr ? driver->name : std::string("unknown driver"))
                             : std::string("its driver"),
           kRundownMilliseconds / 1000),
       .driver = driver});
}

}  // namespace

bool cancel_irp_locked(PIRP irp, KIRQL irql) {
  if (sched::Scheduler* traced = sched::tracing_scheduler()) [[unlikely]] trace::irp_instant(*traced, irp, "cancelled");
  irp->Cancel = TRUE;
  // IoSetCancelRoutine's exchange, without the scheduling point the DDI has: the callers' walks
  // rely on claiming the IRP in the same step that found it.
  const auto routine = reinterpret_cast<PDRIVER_CANCEL>(
      reinterpret_cast<ULONG_PTR>(__atomic_exchange_n(reinterpret_cast<PVOID volatile*>(&irp->CancelRoutine),
                                                      static_cast<PVOID>(nullptr), __ATOMIC_SEQ_CST)));
  if (routine == nullptr) {
    IoReleaseCancelSpinLock(irql);
    return false;
  }
  // Windows' own test: past the position an IRP has before it is first sent.
  if (irp->CurrentLocation > irp->StackCount + 1) {
    ke::bug_check(CANCEL_STATE_IN_COMPLETED_IRP, address_of(irp), address_of(reinterpret_cast<const void*>(routine)),
                  0, 0,
                  fmt::format("IoCancelIrp found cancel routine {} set on IRP {}, which no driver holds (it is being "
                              "completed): a completed IRP must not keep a cancel routine.",
                              reinterpret_cast<const void*>(routine), static_cast<const void*>(irp)));
  }
  irp->CancelIrql = irql;
  call_cancel_routine(routine, holder_of(irp), irp);
  return true;
}

std::size_t cancel_thread_irps(_ETHREAD& thread, const std::function<bool(PIRP)>& matches) {
  PLIST_ENTRY head = irp_list(thread);
  std::size_t matched = 0;
  for (PLIST_ENTRY entry = head->Flink; entry != head; entry = entry->Flink) {
    if (matches(irp_of(entry))) ++matched;
  }
  for (;;) {
    KIRQL irql;
    IoAcquireCancelSpinLock(&irql);
    PIRP target = nullptr;
    for (PLIST_ENTRY entry = head->Flink; entry != head; entry = entry->Flink) {
      PIRP irp = irp_of(entry);
      if (!irp->Cancel && matches(irp)) {
        target = irp;
        break;
      }
    }
    if (target == nullptr) {
      IoReleaseCancelSpinLock(irql);
      return matched;
    }
    (void)cancel_irp_locked(target, irql);
  }
}

void rundown_thread_io(_ETHREAD& thread) {
  PLIST_ENTRY head = irp_list(thread);
  if (IsListEmpty(head)) return;
  (void)cancel_thread_irps(thread, [](PIRP) { return true; });
  LARGE_INTEGER interval;
  interval.QuadPart = -kRundownStep;
  for (unsigned step = 0; step < kRundownSteps && !IsListEmpty(head); ++step) {
    KeDelayExecutionThread(KernelMode, FALSE, &interval);
  }
  while (!IsListEmpty(head)) {
    PIRP irp = irp_of(head->Flink);
    RemoveEntryList(&irp->ThreadListEntry);
    InitializeListHead(&irp->ThreadListEntry);
    if (IrpRecord* record = IoManager::require().irps().find(irp)) record->disassociated = true;
    report_never_completed(irp);
  }
}

bool is_disassociated(const IRP* irp) {
  const IrpRecord* record = IoManager::require().irps().find(irp);
  return record != nullptr && record->disassociated;
}

}  // namespace wdmlab::io

using wdmlab::io::IoManager;

extern "C" {

VOID NTAPI IoAcquireCancelSpinLock(PKIRQL Irql) {
  wdmlab::sched::scheduling_point();
  IoManager& manager = IoManager::require();
  if (wdmlab::sched::Scheduler* traced = wdmlab::sched::tracing_scheduler()) [[unlikely]] {
    traced->trace_name_lock(&manager.cancel_lock(), "cancel spin lock");
  }
  KeAcquireSpinLock(&manager.cancel_lock(), Irql);
  manager.dispatch_frames().cancel_lock_hold_reported = false;
}

VOID NTAPI IoReleaseCancelSpinLock(KIRQL Irql) {
  wdmlab::sched::scheduling_point();
  KeReleaseSpinLock(&IoManager::require().cancel_lock(), Irql);
}

BOOLEAN NTAPI IoCancelIrp(PIRP Irp) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "IoCancelIrp", __builtin_return_address(0), Irp);
  KIRQL irql;
  IoAcquireCancelSpinLock(&irql);
  return wdmlab::io::cancel_irp_locked(Irp, irql) ? TRUE : FALSE;
}

}  // extern "C"
