// io/ddi_rules.hpp - what the I/O verification checks and the IRP DDI compliance rules watch while
// a driver handles an IRP, kept as data, and the hooks the I/O manager's routines call.
//
// A DispatchFrame lives on the stack of IoCallDriver for one call of a verified driver's dispatch
// routine (drivers with I/O verification 0x10 or DDI compliance checking 0x20000; nothing is kept
// for the others). IoCallDriver, IoCompleteRequest and the remove lock routines note in the frames
// of an IRP what happened to it while the routine ran: whether it was completed (and whether the
// driver's own stack location was marked pending when the completion walk passed it), whether the
// driver passed it on and what IoCallDriver returned, the remove locks acquired and not released.
// When the routine returns, end_dispatch compares that with what it returned:
//
//   0xC9/0x225  returned 0xFFFFFFFF                    0xC9/0x23D  STATUS_PENDING without IoMarkIrpPending
//   0xC9/0x224  returned a status other than the IRP's  0xC9/0x23E  marked pending, another status returned
//   0xC4/0xC5   the thread's APC-disable count changed
//   rules       MarkIrpPending(2) (without 0x40), PendedCompletedRequest, IrpProcessingComplete,
//               LowerDriverReturn, RemoveLockRelease<major>, CompletionRoutineRegistered, IrpCancelField,
//               IoBuildDeviceControlWait, IoBuildSynchronousFsdRequestWait
//
// The IRP is not touched after the routine returns unless it is still in the driver's hands (it
// may have been completed and freed meanwhile); what is needed is captured as the walk passes.
// Frames are per lab (IoManager::dispatch_frames), found by IRP and by scheduler context.
#pragma once

#include <wdm.h>

#include <cstdint>
#include <vector>

#include "io/irp.hpp"

namespace wdmlab::base {
struct DriverIdentity;
}
namespace wdmlab::sched {
class Context;
}

namespace wdmlab::io::ddi {

struct DispatchFrame {
  PIRP irp = nullptr;
  std::uint64_t serial = 0;  // the IRP record's serial when the routine was called
  PDEVICE_OBJECT device = nullptr;
  const base::DriverIdentity* driver = nullptr;
  PDRIVER_DISPATCH routine = nullptr;
  PIO_STACK_LOCATION location = nullptr;  // the driver's own stack location
  UCHAR major = 0;
  UCHAR minor = 0;
  std::uint32_t flags = 0;               // the driver's verifier flags
  std::uint32_t apc_disable_before = 0;  // the thread's combined APC-disable count
  bool completed = false;                // the completion walk passed the driver's location
  bool completed_by_driver = false;      // the routine itself (its context, its driver) called IoCompleteRequest
  bool pending_marked = false;           // the location had SL_PENDING_RETURNED when the walk passed it
  bool forwarded = false;                // the routine passed the IRP on with IoCallDriver
  bool completion_ex_set = false;        // the routine called IoSetCompletionRoutineEx for the IRP
  NTSTATUS completion_status = 0;        // Irp->IoStatus.Status when the walk passed, then when it ended
  NTSTATUS lower_status = 0;             // what the routine's last IoCallDriver for the IRP returned
  int remove_lock_holds = 0;             // remove locks the routine acquired and did not release
  bool queue_rule_reported = false;      // MarkingQueuedIrps or MarkingInterlockedQueuedIrps reported
  // The last IRP from IoBuildDeviceIoControlRequest / IoBuildSynchronousFsdRequest the routine sent
  // that came back STATUS_PENDING, and its record's serial (IoBuild*Wait).
  const IRP* built_pending = nullptr;
  std::uint64_t built_serial = 0;
  DispatchFrame* outer_for_irp = nullptr;
  const sched::Context* context = nullptr;
};

// The frames of the dispatch routines running in one lab, oldest first. Few run at once (one per
// nesting level per context), so a scan from the newest is cheaper than any index.
class DispatchFrames {
 public:
  bool empty() const { return frames_.empty(); }
  // The newest frame for `irp`, or null; frame->outer_for_irp leads to the older ones.
  DispatchFrame* innermost_for(const IRP* irp) const {
    for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) {
      if ((*it)->irp == irp) return *it;
    }
    return nullptr;
  }
  // The innermost frame of `driver` running in the current context, or null.
  DispatchFrame* innermost_of(const base::DriverIdentity* driver) const;
  void push(DispatchFrame& frame);
  void pop(DispatchFrame& frame);

  // CancelSpinLock: the current hold of the cancel spin lock was reported already (by the
  // innermost dispatch routine that returned with it); IoAcquireCancelSpinLock clears it.
  bool cancel_lock_hold_reported = false;

 private:
  std::vector<DispatchFrame*> frames_;
};

// The running thread's APC-disable counts as CombinedApcDisable: the special count in the high 16
// bits, the kernel count in the low 16 (0 with no thread).
std::uint32_t apc_disable_count();

// IoCallDriver, before it calls the dispatch routine of `device`'s driver, running as that
// driver: fills and pushes `frame` and returns true if the driver is watched.
bool begin_dispatch(DispatchFrame& frame, PDEVICE_OBJECT device, PIRP irp, PDRIVER_DISPATCH routine);
// ...and after it returned `status` (still running as the driver): the checks, then the pop.
void end_dispatch(DispatchFrame& frame, NTSTATUS status);

// MarkingQueuedIrps: a spin lock was released by the running context; if its driver's dispatch
// routine has linked the IRP it is handling (Irp->Tail.Overlay.ListEntry) into a list without
// marking it pending, another processor could now take it, complete it and free it before the
// routine marks it. MarkingInterlockedQueuedIrps: the same for an ExInterlockedInsert*/Push of
// that entry, checked before the insertion. Each is reported once per dispatch call.
void on_lock_released();
void on_entry_queued(const void* entry);

// IoCallDriver from a driver, before it moves the IRP to the next location (the caller's checks:
// 0xC9/0x203, 0x206, 0x207, 0x208; IoAllocateForward, IoSetCompletionExCompleteIrp) ...
void on_forward(PIRP irp, IrpRecord* record, PDEVICE_OBJECT target, const void* caller);
// ...and after the lower driver's routine returned `status` to it.
void on_forward_returned(PIRP irp, NTSTATUS status);

// IoCompleteRequest, before the walk (the record in the state it was in): 0xC9/0x209, 0x239;
// IoAllocateComplete, IoBuildFsdComplete, IoSetCompletionExCompleteIrp.
void on_complete(PIRP irp, IrpRecord* record, IrpState from, const void* caller);
// A completion routine took the IRP back (STATUS_MORE_PROCESSING_REQUIRED); `from_below` is the
// status the drivers below finished it with (for CompleteRequestStatusCheck). The routine may have
// freed the IRP: only its record is touched.
void on_reclaimed(IrpRecord& record, NTSTATUS from_below);
// The walk leaves `location` (before clearing it).
void on_location_completed(PIRP irp, PIO_STACK_LOCATION location);
// The walk passed the top location (the IRP is the I/O manager's; a walk that a routine stopped
// with STATUS_MORE_PROCESSING_REQUIRED is not reported: the IRP may be gone).
void on_walk_end(PIRP irp);

// IoSetCompletionRoutineEx succeeded for `irp` (CompletionRoutineRegistered: it must be sent).
void on_completion_routine_ex(const IRP* irp);

// IoFreeIrp from a driver: IoAllocateFree, IoBuildFsdFree, IoBuildDeviceControlNoFree,
// IoBuildSynchronousFsdRequestNoFree.
void on_free_irp(PIRP irp, const IrpRecord* record, const void* caller);

// Remove locks: an acquisition or release by the calling driver, and IoReleaseRemoveLockAndWait
// (IoReleaseRemoveLockAndWaitOutsideRemoveDevice).
void on_remove_lock_acquired();
void on_remove_lock_released();
void on_remove_lock_release_and_wait(PIO_REMOVE_LOCK lock, const void* caller);

}  // namespace wdmlab::io::ddi
