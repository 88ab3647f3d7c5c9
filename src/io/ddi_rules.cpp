// The I/O verification checks around dispatch routines and the IRP DDI compliance rules (see
// io/ddi_rules.hpp).
#include "io/ddi_rules.hpp"

#include <sys/uio.h>
#include <unistd.h>

#include <fmt/format.h>

#include "io/driver.hpp"
#include "io/violation.hpp"
#include "ke/kernel.hpp"
#include "ke/spinlock.hpp"
#include "ke/thread.hpp"
#include "sched/scheduler.hpp"
#include "verifier/verifier.hpp"

namespace wdmlab::io::ddi {

namespace {

constexpr std::uint32_t kWatched = kVerifierIoVerification | kVerifierDdiCompliance;

const sched::Context* running_context() {
  sched::Scheduler* scheduler = sched::Scheduler::current();
  return scheduler != nullptr ? scheduler->running() : nullptr;
}

std::uint64_t address_of_routine(PDRIVER_DISPATCH routine) {
  return address_of(reinterpret_cast<const void*>(routine));
}

DispatchFrames& frames() { return IoManager::require().dispatch_frames(); }

const char* remove_lock_rule(UCHAR major) {
  switch (major) {
    case IRP_MJ_CREATE:
      return "RemoveLockReleaseCreate";
    case IRP_MJ_CLEANUP:
      return "RemoveLockReleaseCleanup";
    case IRP_MJ_CLOSE:
      return "RemoveLockReleaseClose";
    case IRP_MJ_READ:
      return "RemoveLockReleaseRead";
    case IRP_MJ_WRITE:
      return "RemoveLockReleaseWrite";
    case IRP_MJ_DEVICE_CONTROL:
      return "RemoveLockReleaseDeviceControl";
    case IRP_MJ_INTERNAL_DEVICE_CONTROL:
      return "RemoveLockReleaseInternalDeviceControl";
    case IRP_MJ_PNP:
      return "RemoveLockReleasePnp";
    case IRP_MJ_POWER:
      return "RemoveLockReleasePower";
    case IRP_MJ_SHUTDOWN:
      return "RemoveLockReleaseShutdown";
    case IRP_MJ_SYSTEM_CONTROL:
      return "RemoveLockReleaseSystemControl";
    default:
      return "RemoveLock";
  }
}

std::string irp_text(const DispatchFrame& frame) {
  return fmt::format("IRP {} (major function 0x{:02x}) sent to device object {}", static_cast<const void*>(frame.irp),
                     frame.major, static_cast<const void*>(frame.device));
}

// The rules about what the routine returned; `pending` is whether it marked the IRP pending.
void check_dispatch_rules(const DispatchFrame& frame, NTSTATUS status, bool pending, bool reported_pending_mismatch) {
  const std::uint64_t irp = address_of(frame.irp);
  const std::uint64_t routine = address_of_routine(frame.routine);
  const auto value = static_cast<std::uint32_t>(status);
  if (!reported_pending_mismatch && !(frame.forwarded && status == frame.lower_status)) {
    if (pending && status != STATUS_PENDING) {
      verifier::rule_violation("MarkIrpPending", irp, routine, value,
                               fmt::format("The dispatch routine marked {} pending and returned 0x{:08X}; a routine "
                                           "that calls IoMarkIrpPending must return STATUS_PENDING.",
                                           irp_text(frame), value));
    } else if (status == STATUS_PENDING && !pending && !frame.forwarded) {
      verifier::rule_violation("MarkIrpPending2", irp, routine, value,
                               fmt::format("The dispatch routine returned STATUS_PENDING for {} without calling "
                                           "IoMarkIrpPending or passing the IRP on.",
                                           irp_text(frame)));
    }
  }
  if (status == STATUS_PENDING && frame.completed_by_driver && !pending) {
    verifier::rule_violation(
        "PendedCompletedRequest", irp, routine, value,
        fmt::format("The dispatch routine completed {} and then returned STATUS_PENDING for it.", irp_text(frame)));
  }
  if (status == STATUS_SUCCESS && !frame.completed && !frame.forwarded) {
    verifier::rule_violation("IrpProcessingComplete", irp, routine, value,
                             fmt::format("The dispatch routine returned STATUS_SUCCESS for {} without completing it "
                                         "or passing it on.",
                                         irp_text(frame)));
  }
  if (frame.forwarded && !frame.completed_by_driver && !pending && status != frame.lower_status) {
    verifier::rule_violation(
        "LowerDriverReturn", irp, routine, value,
        fmt::format("The dispatch routine passed {} on, IoCallDriver returned 0x{:08X}, and the routine returned "
                    "0x{:08X}: a routine that passes an IRP down returns what the lower driver returned (unless it "
                    "completes the IRP itself or marks it pending).",
                    irp_text(frame), static_cast<std::uint32_t>(frame.lower_status), value));
  }
  // Set after IoCancelIrp has run (which takes the routine it finds): the driver did not look at
  // Irp->Cancel after setting it, and nothing will ever call it.
  if (!frame.completed && !frame.forwarded && status == STATUS_PENDING && frame.irp->Cancel &&
      frame.irp->CancelRoutine != nullptr) {
    verifier::rule_violation("IrpCancelField", irp, routine,
                             address_of(reinterpret_cast<const void*>(frame.irp->CancelRoutine)),
                             fmt::format("The dispatch routine left {} pending with cancel routine {} set although "
                                         "the IRP was cancelled before: after IoSetCancelRoutine a driver checks "
                                         "Irp->Cancel and, if it is set, takes the routine back and completes the "
                                         "IRP.",
                                         irp_text(frame), reinterpret_cast<const void*>(frame.irp->CancelRoutine)));
  }
  if (frame.completion_ex_set && !frame.forwarded) {
    verifier::rule_violation("CompletionRoutineRegistered", irp, routine, value,
                             fmt::format("The dispatch routine set a completion routine for {} with "
                                         "IoSetCompletionRoutineEx and returned without sending the IRP: the "
                                         "routine's context is never freed.",
                                         irp_text(frame)));
  }
  if (frame.built_pending != nullptr) {
    // Still not finished: its event was not waited for (the event usually lives on this routine's
    // stack, which is about to go).
    const IrpRecord* built = IoManager::require().irps().find(frame.built_pending);
    if (built != nullptr && built->serial == frame.built_serial && built->state != IrpState::Free &&
        !built->quarantined) {
      const bool ioctl = built->origin == IrpOrigin::BuildDeviceIoControl;
      verifier::rule_violation(ioctl ? "IoBuildDeviceControlWait" : "IoBuildSynchronousFsdRequestWait",
                               address_of(frame.built_pending), routine, value,
                               fmt::format("The dispatch routine for {} sent IRP {} from {}, got STATUS_PENDING and "
                                           "returned without waiting for the IRP's event.",
                                           irp_text(frame), static_cast<const void*>(frame.built_pending),
                                           ioctl ? "IoBuildDeviceIoControlRequest" : "IoBuildSynchronousFsdRequest"));
    }
  }
  if (frame.remove_lock_holds > 0 && status != STATUS_PENDING && !pending) {
    verifier::rule_violation(remove_lock_rule(frame.major), irp, routine,
                             static_cast<std::uint64_t>(frame.remove_lock_holds),
                             fmt::format("The dispatch routine for {} returned 0x{:08X} still holding {} remove lock "
                                         "acquisition(s) it made: release the remove lock before the routine returns "
                                         "(or in the completion routine of an IRP it passes down).",
                                         irp_text(frame), value, frame.remove_lock_holds));
  }
}

// IoSetCompletionExCompleteIrp: `irp` is completed or passed on (`what`) after
// IoSetCompletionRoutineEx failed for it.
void check_completion_ex(const IrpRecord& record, PIRP irp, const void* caller, const char* what) {
  if ((record.verifier_bits & kIrpCompletionExFailed) == 0) return;
  (void)verifier::violation({.parameters = {0x0004100F, address_of(caller), address_of(irp), 0},
                             .description = fmt::format("IRP {} was {} after IoSetCompletionRoutineEx failed for it.",
                                                        static_cast<const void*>(irp), what)});
}

// Whether `address` lies in the image of `driver` (drivers loaded without an image have no size).
bool in_image(const DRIVER_OBJECT* driver, const void* address) {
  const auto start = reinterpret_cast<std::uintptr_t>(driver->DriverStart);
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  return driver->DriverSize != 0 && at >= start && at - start < driver->DriverSize;
}

// 0xC9 / 0x229: the routine passed its IRP down, the lower driver still holds it, and the routine
// set a cancel routine of its own on it: the cancel routine can run while the lower driver works
// on the IRP. Recognised by the cancel routine's address in the driver's image.
void check_cancel_routine_below(const DispatchFrame& frame) {
  const auto cancel = reinterpret_cast<const void*>(frame.irp->CancelRoutine);
  if (cancel == nullptr || frame.irp->CurrentLocation > frame.irp->StackCount) return;
  const PDEVICE_OBJECT holder = frame.irp->Tail.Overlay.CurrentStackLocation->DeviceObject;
  if (holder == frame.device || holder == nullptr || holder->DriverObject == frame.device->DriverObject) return;
  if (!in_image(frame.device->DriverObject, cancel)) return;
  (void)io_violation(0x229, address_of_routine(frame.routine), address_of(frame.irp), address_of(cancel),
                     fmt::format("The dispatch routine for {} passed the IRP down to device object {}, which still "
                                 "holds it, and set cancel routine {} on it: a driver sets a cancel routine only on "
                                 "an IRP it holds itself.",
                                 irp_text(frame), static_cast<const void*>(holder), cancel));
}

}  // namespace

std::uint32_t apc_disable_count() {
  ke::Kernel* kernel = ke::Kernel::current();
  _KTHREAD* thread = kernel != nullptr ? kernel->current_thread() : nullptr;
  if (thread == nullptr) return 0;
  return (static_cast<std::uint32_t>(static_cast<std::uint16_t>(thread->SpecialApcDisable)) << 16) |
         static_cast<std::uint16_t>(thread->KernelApcDisable);
}

DispatchFrame* DispatchFrames::innermost_of(const base::DriverIdentity* driver) const {
  if (frames_.empty()) return nullptr;
  const sched::Context* context = running_context();
  for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) {
    if ((*it)->context == context && (*it)->driver == driver) return *it;
  }
  return nullptr;
}

void DispatchFrames::push(DispatchFrame& frame) {
  frame.outer_for_irp = innermost_for(frame.irp);
  frames_.push_back(&frame);
}

void DispatchFrames::pop(DispatchFrame& frame) {
  // Usually the newest; a frame of another context may have begun since.
  for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) {
    if (*it != &frame) continue;
    frames_.erase(std::next(it).base());
    break;
  }
  // Frames of the same IRP begun after this one (in other contexts) no longer lead to it.
  for (DispatchFrame* other : frames_) {
    if (other->outer_for_irp == &frame) other->outer_for_irp = frame.outer_for_irp;
  }
}

bool begin_dispatch(DispatchFrame& frame, PDEVICE_OBJECT device, PIRP irp, PDRIVER_DISPATCH routine) {
  const base::DriverIdentity* driver = driver_of(device);
  const std::uint32_t flags = verifier::flags_of(driver);
  if ((flags & kWatched) == 0) return false;
  const IrpRecord* record = IoManager::require().irps().find(irp);
  frame.irp = irp;
  frame.serial = record != nullptr ? record->serial : 0;
  frame.device = device;
  frame.driver = driver;
  frame.routine = routine;
  frame.location = IoGetCurrentIrpStackLocation(irp);
  frame.major = frame.location->MajorFunction;
  frame.minor = frame.location->MinorFunction;
  frame.flags = flags;
  frame.apc_disable_before = apc_disable_count();
  frame.context = running_context();
  frames().push(frame);
  return true;
}

void end_dispatch(DispatchFrame& frame, NTSTATUS status) {
  frames().pop(frame);
  const IrpRecord* record = IoManager::require().irps().find(frame.irp);
  // Unless the walk passed its location, the IRP is still in the driver's hands and can be read.
  const bool readable = frame.completed || (record != nullptr && record->serial == frame.serial &&
                                            record->state != IrpState::Free && !record->quarantined);
  if (!readable) return;
  const bool pending = frame.completed ? frame.pending_marked : (frame.location->Control & SL_PENDING_RETURNED) != 0;
  const std::uint64_t irp = address_of(frame.irp);
  const std::uint64_t routine = address_of_routine(frame.routine);
  const auto value = static_cast<std::uint32_t>(status);
  bool reported_pending_mismatch = false;
  // A routine that returns what IoCallDriver returned leaves the status and pending to the lower
  // driver (after a skip the location it would mark is the lower driver's own).
  const bool returns_lower_status = frame.forwarded && status == frame.lower_status;
  if ((frame.flags & kVerifierIoVerification) != 0) {
    if (value == 0xFFFFFFFFu && !returns_lower_status) {
      (void)io_violation(
          0x225, routine, irp, value,
          fmt::format("The dispatch routine returned 0xFFFFFFFF for {}: an uninitialised status.", irp_text(frame)));
    }
    if (frame.completed && status != STATUS_PENDING && status != frame.completion_status &&
        !(returns_lower_status && !frame.completed_by_driver)) {
      (void)io_violation(0x224, routine, irp, static_cast<std::uint32_t>(frame.completion_status),
                         fmt::format("The dispatch routine returned 0x{:08X} for {}, which was completed with "
                                     "IoStatus.Status 0x{:08X}: a routine that completes an IRP returns the status "
                                     "it completed it with.",
                                     value, irp_text(frame), static_cast<std::uint32_t>(frame.completion_status)));
    }
    if (!frame.completed && frame.forwarded && status == STATUS_PENDING) check_cancel_routine_below(frame);
    const std::uint32_t apc_now = apc_disable_count();
    if (apc_now != frame.apc_disable_before) {
      (void)verifier::violation(
          {.parameters = {0xC5, routine, apc_now, frame.apc_disable_before},
           .description = fmt::format("The dispatch routine for {} returned with the thread's APC-disable count "
                                      "0x{:X}; it was 0x{:X} when it was called (a KeEnterCriticalRegion, "
                                      "KeEnterGuardedRegion or mutex acquisition without its release).",
                                      irp_text(frame), apc_now, frame.apc_disable_before),
           .driver = frame.driver});
    }
  }
  if ((frame.flags & kVerifierEnhancedIoVerification) != 0 && !returns_lower_status) {
    if (status == STATUS_PENDING && !pending) {
      reported_pending_mismatch = true;
      (void)io_violation(0x23D, routine, irp, value,
                         fmt::format("The dispatch routine returned STATUS_PENDING for {} without calling "
                                     "IoMarkIrpPending: the I/O manager then treats the request as finished "
                                     "synchronously.",
                                     irp_text(frame)));
    } else if (status != STATUS_PENDING && pending) {
      reported_pending_mismatch = true;
      (void)io_violation(0x23E, routine, irp, value,
                         fmt::format("The dispatch routine marked {} pending (IoMarkIrpPending) but returned "
                                     "0x{:08X}; it must return STATUS_PENDING.",
                                     irp_text(frame), value));
    }
  }
  if ((frame.flags & kVerifierDdiCompliance) != 0) {
    check_dispatch_rules(frame, status, pending, reported_pending_mismatch);
    if (!frames().cancel_lock_hold_reported && ke::held_by_running_context(IoManager::require().cancel_lock())) {
      frames().cancel_lock_hold_reported = true;
      verifier::rule_violation("CancelSpinLock", address_of(&IoManager::require().cancel_lock()), routine, 0,
                               fmt::format("The dispatch routine returned from {} holding the cancel spin lock: "
                                           "IoAcquireCancelSpinLock and IoReleaseCancelSpinLock must pair up "
                                           "within the routine.",
                                           irp_text(frame)));
    }
  }
}

void on_forward(PIRP irp, IrpRecord* record, PDEVICE_OBJECT target, const void* caller) {
  const base::DriverIdentity* driver = sched::calling_driver();
  const std::uint32_t flags = verifier::flags_of(driver);
  if ((flags & kWatched) == 0) return;
  DispatchFrame* frame = frames().innermost_of(driver);
  if (frame != nullptr && frame->irp != irp) frame = nullptr;
  if (frame != nullptr) frame->forwarded = true;
  if (record != nullptr) record->verifier_bits |= kIrpForwarded;
  const PIO_STACK_LOCATION current = irp->Tail.Overlay.CurrentStackLocation;
  const PIO_STACK_LOCATION next = current - 1;
  if ((flags & kVerifierIoVerification) != 0) {
    if (irp->CancelRoutine != nullptr) {
      (void)io_violation(0x203, address_of(caller), address_of(irp),
                         address_of(reinterpret_cast<const void*>(irp->CancelRoutine)),
                         fmt::format("IoCallDriver was called for IRP {} while its cancel routine {} is still set: "
                                     "clear it (IoSetCancelRoutine(Irp, NULL)) before passing the IRP on.",
                                     static_cast<const void*>(irp), reinterpret_cast<const void*>(irp->CancelRoutine)));
    }
    if (frame != nullptr && current == frame->location && irp->CurrentLocation > 1) {
      // Not skipped: the driver filled in the next location. Who set the routine in its own one?
      const bool top = irp->CurrentLocation >= irp->StackCount;
      const base::DriverIdentity* setter =
          top ? (record != nullptr ? record->allocator : nullptr) : driver_of((current + 1)->DeviceObject);
      if (current->CompletionRoutine != nullptr && next->CompletionRoutine == current->CompletionRoutine &&
          next->Context == current->Context && setter != driver) {
        (void)io_violation(
            0x207, address_of(caller), address_of(irp),
            address_of(reinterpret_cast<const void*>(current->CompletionRoutine)),
            fmt::format("IRP {} was passed on with the next stack location copied by hand, "
                        "including the upper driver's completion routine {}: it would run twice. "
                        "Use IoCopyCurrentIrpStackLocationToNext or IoSkipCurrentIrpStackLocation.",
                        static_cast<const void*>(irp), reinterpret_cast<const void*>(current->CompletionRoutine)));
      } else if ((next->Control & SL_PENDING_RETURNED) != 0) {
        (void)io_violation(0x206, address_of(caller), address_of(irp), 0,
                           fmt::format("IRP {} was passed on with a next stack location whose Control field was not "
                                       "cleared (it carries SL_PENDING_RETURNED): the stack location was copied by "
                                       "hand. Use IoCopyCurrentIrpStackLocationToNext or "
                                       "IoSkipCurrentIrpStackLocation.",
                                       static_cast<const void*>(irp)));
      }
    }
    const int remaining = irp->CurrentLocation - 1;
    if (remaining >= 1 && remaining < target->StackSize) {
      (void)io_violation(
          0x208, address_of(caller), address_of(irp), address_of(target),
          fmt::format("IRP {} is sent to device object {} (StackSize {}) with {} stack location(s) "
                      "left: the drivers below it will run out.",
                      static_cast<const void*>(irp), static_cast<const void*>(target), target->StackSize, remaining));
    }
  }
  if ((flags & kVerifierDdiCompliance) != 0 && record != nullptr) {
    check_completion_ex(*record, irp, caller, "passed on");
    if (record->origin == IrpOrigin::Allocate && record->state == IrpState::Allocated && record->allocator == driver &&
        next->CompletionRoutine == nullptr) {
      verifier::rule_violation("IoAllocateForward", address_of(irp), address_of(caller), 0,
                               fmt::format("IRP {}, allocated with IoAllocateIrp, was sent without a completion "
                                           "routine: nothing will free it when it completes.",
                                           static_cast<const void*>(irp)));
    }
  }
}

void on_forward_returned(PIRP irp, NTSTATUS status) {
  DispatchFrames& all = frames();
  if (all.empty()) return;
  DispatchFrame* frame = all.innermost_of(sched::calling_driver());
  if (frame == nullptr) return;
  if (frame->irp == irp) {
    frame->lower_status = status;
    return;
  }
  if (status != STATUS_PENDING) return;
  const IrpRecord* record = IoManager::require().irps().find(irp);
  if (record != nullptr &&
      (record->origin == IrpOrigin::BuildDeviceIoControl || record->origin == IrpOrigin::BuildSynchronousFsd)) {
    frame->built_pending = irp;
    frame->built_serial = record->serial;
  }
}

void on_complete(PIRP irp, IrpRecord* record, IrpState from, const void* caller) {
  const base::DriverIdentity* driver = sched::calling_driver();
  DispatchFrames& all = frames();
  if (DispatchFrame* own = all.innermost_of(driver); own != nullptr && own->irp == irp) own->completed_by_driver = true;
  const std::uint32_t flags = verifier::flags_of(driver);
  if ((flags & kWatched) == 0) return;
  if ((flags & kVerifierIoVerification) != 0) {
    if (from == IrpState::Allocated) {
      (void)io_violation(0x239, address_of(caller), address_of(irp), 0,
                         fmt::format("IoCompleteRequest was called for IRP {}, which was never sent to a driver "
                                     "with IoCallDriver.",
                                     static_cast<const void*>(irp)));
    } else if (irp->CurrentLocation <= irp->StackCount) {
      const PIO_STACK_LOCATION current = IoGetCurrentIrpStackLocation(irp);
      if (driver != nullptr && driver_of(current->DeviceObject) != driver) {
        const PIO_STACK_LOCATION last = reinterpret_cast<PIO_STACK_LOCATION>(irp + 1) + irp->StackCount;
        for (PIO_STACK_LOCATION above = current + 1; above < last; ++above) {
          if (driver_of(above->DeviceObject) != driver) continue;
          (void)io_violation(
              0x209, address_of(caller), address_of(irp), address_of(current->DeviceObject),
              fmt::format("IoCompleteRequest was called for IRP {} while device object {} below the "
                          "caller still holds it (it was passed down and has not come back).",
                          static_cast<const void*>(irp), static_cast<const void*>(current->DeviceObject)));
          break;
        }
      }
    }
  }
  if ((flags & kVerifierDdiCompliance) != 0 && record != nullptr) {
    check_completion_ex(*record, irp, caller, "completed");
    // A dispatch routine completing the IRP it passed down while the drivers below still hold it:
    // IoCallDriver returned STATUS_PENDING and the routine did not wait for it to come back.
    if (DispatchFrame* own = all.innermost_of(driver); own != nullptr && own->irp == irp && own->forwarded &&
                                                        own->lower_status == STATUS_PENDING &&
                                                        from == IrpState::Dispatched) {
      verifier::rule_violation("PendedCompletedRequest2", address_of(irp), address_of(caller), 0,
                               fmt::format("IoCompleteRequest was called for IRP {} after IoCallDriver returned "
                                           "STATUS_PENDING for it and before it came back: wait for the lower "
                                           "driver to complete it (an event set by the completion routine).",
                                           static_cast<const void*>(irp)));
    }
    // A driver completing an IRP that came back to it from the drivers below.
    if (from == IrpState::Reclaimed && (record->verifier_bits & kIrpReclaimedFailed) != 0 &&
        irp->IoStatus.Status == STATUS_SUCCESS) {
      verifier::rule_violation("CompleteRequestStatusCheck", address_of(irp), address_of(caller), 0,
                               fmt::format("IoCompleteRequest was called for IRP {} with STATUS_SUCCESS after the "
                                           "drivers below failed it: complete it with the status they returned.",
                                           static_cast<const void*>(irp)));
    }
    // Completed by its maker from the top (no stack location of the caller's own is current).
    const bool own = record->allocator == driver && irp->CurrentLocation > irp->StackCount &&
                     (from == IrpState::Allocated || from == IrpState::Reclaimed);
    if (own && (record->origin == IrpOrigin::Allocate || record->origin == IrpOrigin::BuildAsynchronousFsd)) {
      const bool allocated = record->origin == IrpOrigin::Allocate;
      verifier::rule_violation(
          allocated ? "IoAllocateComplete" : "IoBuildFsdComplete", address_of(irp), address_of(caller), 0,
          fmt::format("IoCompleteRequest was called for IRP {}, which the driver made with {}: "
                      "such an IRP is freed (IoFreeIrp) or reused, never completed.",
                      static_cast<const void*>(irp), allocated ? "IoAllocateIrp" : "IoBuildAsynchronousFsdRequest"));
    }
  }
}

namespace {

// A dispatch frame of the running driver whose IRP is still its own and not marked pending.
DispatchFrame* unmarked_own_irp() {
  DispatchFrames& all = frames();
  if (all.empty()) return nullptr;
  DispatchFrame* frame = all.innermost_of(sched::calling_driver());
  if (frame == nullptr || frame->completed || frame->forwarded || frame->queue_rule_reported ||
      (frame->flags & kVerifierDdiCompliance) == 0 || (frame->location->Control & SL_PENDING_RETURNED) != 0) {
    return nullptr;
  }
  return frame;
}

// Whether `entry` is linked into a list: its successor points back at it. The successor is read
// without trusting it (a stale Flink may point at memory that is gone).
bool linked(const LIST_ENTRY* entry) {
  const LIST_ENTRY* next = entry->Flink;
  if (next == nullptr || next == entry) return false;
  const LIST_ENTRY* back = nullptr;
  iovec local{&back, sizeof(back)};
  iovec remote{const_cast<PLIST_ENTRY*>(&next->Blink), sizeof(back)};
  return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(sizeof(back)) && back == entry;
}

void report_queued_unmarked(DispatchFrame& frame, const char* rule, const char* how) {
  frame.queue_rule_reported = true;
  verifier::rule_violation(
      rule, address_of(frame.irp), address_of_routine(frame.routine), 0,
      fmt::format("The dispatch routine {} {} before marking it pending: another processor can take it from the "
                  "list, complete it and free it before IoMarkIrpPending runs. Call IoMarkIrpPending before the IRP "
                  "becomes visible to others.",
                  how, irp_text(frame)));
}

}  // namespace

void on_lock_released() {
  DispatchFrame* frame = unmarked_own_irp();
  if (frame != nullptr && linked(&frame->irp->Tail.Overlay.ListEntry)) {
    report_queued_unmarked(*frame, "MarkingQueuedIrps", "released the lock of the list that holds");
  }
}

void on_entry_queued(const void* entry) {
  DispatchFrame* frame = unmarked_own_irp();
  if (frame != nullptr && entry == &frame->irp->Tail.Overlay.ListEntry) {
    report_queued_unmarked(*frame, "MarkingInterlockedQueuedIrps", "queued with an ExInterlocked list routine");
  }
}

void on_reclaimed(IrpRecord& record, NTSTATUS from_below) {
  if (NT_ERROR(from_below)) {
    record.verifier_bits |= kIrpReclaimedFailed;
  } else {
    record.verifier_bits &= static_cast<std::uint8_t>(~kIrpReclaimedFailed);
  }
}

void on_location_completed(PIRP irp, PIO_STACK_LOCATION location) {
  for (DispatchFrame* frame = frames().innermost_for(irp); frame != nullptr; frame = frame->outer_for_irp) {
    if (frame->location != location) continue;
    frame->completed = true;
    frame->pending_marked = (location->Control & SL_PENDING_RETURNED) != 0;
    frame->completion_status = irp->IoStatus.Status;
  }
}

void on_walk_end(PIRP irp) {
  for (DispatchFrame* frame = frames().innermost_for(irp); frame != nullptr; frame = frame->outer_for_irp) {
    if (frame->completed) frame->completion_status = irp->IoStatus.Status;
  }
}

void on_free_irp(PIRP irp, const IrpRecord* record, const void* caller) {
  if (record == nullptr || !verifier::active(kVerifierDdiCompliance)) return;
  const base::DriverIdentity* driver = sched::calling_driver();
  const char* rule = nullptr;
  const char* why = "";
  switch (record->origin) {
    case IrpOrigin::BuildDeviceIoControl:
      rule = "IoBuildDeviceControlNoFree";
      why = "IoBuildDeviceIoControlRequest, which the I/O manager frees when it completes";
      break;
    case IrpOrigin::BuildSynchronousFsd:
      rule = "IoBuildSynchronousFsdRequestNoFree";
      why = "IoBuildSynchronousFsdRequest, which the I/O manager frees when it completes";
      break;
    case IrpOrigin::IoManager:
      rule = "IoAllocateFree";
      why = "the I/O manager for a request; only IRPs a driver allocated may be freed";
      break;
    case IrpOrigin::Allocate:
    case IrpOrigin::BuildAsynchronousFsd:
      if (record->allocator == driver || record->allocator == nullptr || driver == nullptr) return;
      rule = record->origin == IrpOrigin::Allocate ? "IoAllocateFree" : "IoBuildFsdFree";
      why = "another driver";
      break;
    case IrpOrigin::Initialize:
      return;
  }
  verifier::rule_violation(
      rule, address_of(irp), address_of(caller), 0,
      fmt::format("IoFreeIrp was called for IRP {}, made by {}.", static_cast<const void*>(irp), why));
}

void on_completion_routine_ex(const IRP* irp) {
  DispatchFrames& all = frames();
  if (all.empty()) return;
  if (DispatchFrame* frame = all.innermost_of(sched::calling_driver()); frame != nullptr && frame->irp == irp) {
    frame->completion_ex_set = true;
  }
}

void on_remove_lock_acquired() {
  DispatchFrames& all = frames();
  if (all.empty()) return;
  if (DispatchFrame* frame = all.innermost_of(sched::calling_driver())) ++frame->remove_lock_holds;
}

void on_remove_lock_released() {
  DispatchFrames& all = frames();
  if (all.empty()) return;
  if (DispatchFrame* frame = all.innermost_of(sched::calling_driver())) --frame->remove_lock_holds;
}

void on_remove_lock_release_and_wait(PIO_REMOVE_LOCK lock, const void* caller) {
  const base::DriverIdentity* driver = sched::calling_driver();
  if (driver == nullptr || !verifier::active(kVerifierDdiCompliance)) return;  // a test body is not a driver
  // Checked in dispatch routines only: a legacy driver has no IRP_MN_REMOVE_DEVICE and waits in
  // its DriverUnload.
  const DispatchFrame* frame = frames().innermost_of(driver);
  if (frame == nullptr || (frame->major == IRP_MJ_PNP && frame->minor == IRP_MN_REMOVE_DEVICE)) return;
  verifier::rule_violation("IoReleaseRemoveLockAndWaitOutsideRemoveDevice", address_of(lock), address_of(caller), 0,
                           fmt::format("IoReleaseRemoveLockAndWait was called for remove lock {} by the dispatch "
                                       "routine for major function 0x{:02x}: only the handling of "
                                       "IRP_MN_REMOVE_DEVICE may wait for the lock.",
                                       static_cast<const void*>(lock), frame->major));
}

}  // namespace wdmlab::io::ddi
