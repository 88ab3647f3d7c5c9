// IoCallDriver, IoCompleteRequest and the final stage of completion.
#include "io/completion.hpp"

#include <fmt/format.h>

#include <bit>

#include "ex/executive.hpp"
#include "io/completion_port.hpp"
#include "io/ddi_rules.hpp"
#include "io/device.hpp"
#include "io/driver.hpp"
#include "io/file.hpp"
#include "io/irp.hpp"
#include "io/irp_log.hpp"
#include "io/trace_events.hpp"
#include "io/verified_call.hpp"
#include "io/violation.hpp"
#include "ke/apc.hpp"
#include "ke/bugcheck.hpp"
#include "ke/spinlock.hpp"
#include "mm/mdl.hpp"
#include "mm/user_memory.hpp"
#include "ob/object.hpp"
#include "ps/process.hpp"
#include "sched/scheduler.hpp"
#include "verifier/low_resources.hpp"
#include "verifier/verifier.hpp"

extern "C" NTSTATUS NTAPI wdmlab_io_invalid_device_request(PDEVICE_OBJECT DeviceObject, PIRP Irp);

namespace wdmlab::io {

namespace {

// What IoCompleteRequest leaves in a stack location it has passed: the major function and device
// stay (for reports), everything a driver set is cleared.
void clear_location(PIO_STACK_LOCATION location) {
  location->MinorFunction = 0;
  location->Flags = 0;
  location->Control = 0;
  location->Parameters.Others.Argument1 = nullptr;
  location->Parameters.Others.Argument2 = nullptr;
  location->Parameters.Others.Argument3 = nullptr;
  location->Parameters.Others.Argument4 = nullptr;
  location->FileObject = nullptr;
  location->CompletionRoutine = nullptr;
  location->Context = nullptr;
}

bool invokes(UCHAR control, const IRP* irp) {
  const NTSTATUS status = irp->IoStatus.Status;
  return (NT_SUCCESS(status) && (control & SL_INVOKE_ON_SUCCESS) != 0) ||
         (!NT_SUCCESS(status) && (control & SL_INVOKE_ON_ERROR) != 0) ||
         (irp->Cancel && (control & SL_INVOKE_ON_CANCEL) != 0);
}

void unlock_mdls(PIRP irp) {
  for (PMDL mdl = irp->MdlAddress; mdl != nullptr; mdl = mdl->Next) {
    if ((mdl->MdlFlags & MDL_PAGES_LOCKED) != 0) mm::unlock_pages(mdl);
  }
}

void free_mdls(PIRP irp) {
  PMDL mdl = irp->MdlAddress;
  irp->MdlAddress = nullptr;
  while (mdl != nullptr) {
    PMDL next = mdl->Next;
    if ((mdl->MdlFlags & MDL_PAGES_LOCKED) != 0) mm::unlock_pages(mdl);
    mm::free_mdl(mdl);
    mdl = next;
  }
}

void dequeue_from_thread(PIRP irp) {
  if (irp->ThreadListEntry.Flink != nullptr && !IsListEmpty(&irp->ThreadListEntry)) {
    RemoveEntryList(&irp->ThreadListEntry);
  }
  InitializeListHead(&irp->ThreadListEntry);
}

// Frees what the I/O manager attached to the IRP and the IRP itself, without touching user memory
// (the final stage when the user side is not told: a synchronous failure, a terminated thread).
void discard_irp(PIRP irp, PFILE_OBJECT file) {
  if ((irp->Flags & IRP_DEALLOCATE_BUFFER) != 0 && irp->AssociatedIrp.SystemBuffer != nullptr) {
    ex::Executive::require().pool().free(irp->AssociatedIrp.SystemBuffer);
    irp->AssociatedIrp.SystemBuffer = nullptr;
  }
  irp->Flags &= ~(IRP_DEALLOCATE_BUFFER | IRP_BUFFERED_IO);
  free_mdls(irp);
  if (irp->UserEvent != nullptr && file != nullptr && (irp->Flags & IRP_SYNCHRONOUS_API) == 0) {
    IoManager::require().objects().dereference(irp->UserEvent);
  }
  dequeue_from_thread(irp);
  IoManager::require().free_irp(irp, nullptr);
  if (file != nullptr) dereference_file(file);
}

// The special kernel APC that runs the final stage in the issuing thread.
VOID NTAPI final_stage_apc(PKAPC apc, PKNORMAL_ROUTINE* normal_routine, PVOID* normal_context, PVOID* argument1,
                           PVOID* argument2) {
  (void)normal_routine;
  (void)normal_context;
  (void)argument2;
  PIRP irp = CONTAINING_RECORD(apc, IRP, Tail.Apc);
  finish_irp(irp, static_cast<PFILE_OBJECT>(*argument1));
}

// The issuing thread ended before the final stage could run in it.
VOID NTAPI final_stage_rundown(PKAPC apc) {
  PIRP irp = CONTAINING_RECORD(apc, IRP, Tail.Apc);
  discard_irp(irp, static_cast<PFILE_OBJECT>(apc->SystemArgument1));
}

// A user APC's kernel routine: the IRP it was queued from is freed before the user's routine runs.
VOID NTAPI user_completion_apc(PKAPC apc, PKNORMAL_ROUTINE* normal_routine, PVOID* normal_context, PVOID* argument1,
                               PVOID* argument2) {
  (void)normal_routine;
  (void)normal_context;
  (void)argument1;
  (void)argument2;
  PIRP irp = CONTAINING_RECORD(apc, IRP, Tail.Apc);
  IoManager::require().free_irp(irp, nullptr);
}

VOID NTAPI user_completion_rundown(PKAPC apc) {
  PIRP irp = CONTAINING_RECORD(apc, IRP, Tail.Apc);
  IoManager::require().free_irp(irp, nullptr);
}

// IoCompleteRequest finding Information larger than the output buffer of a buffered request
// (0xC9 / 0x312 is a non-fatal I/O verification error: reported, the run goes on).
void check_buffered_information(PIRP irp, const void* caller) {
  if (!verifier::active(kVerifierIoVerification)) return;
  if ((irp->Flags & IRP_BUFFERED_IO) == 0 || (irp->Flags & IRP_INPUT_OPERATION) == 0 || irp->StackCount <= 0) return;
  if (NT_ERROR(irp->IoStatus.Status)) return;
  const auto* first = reinterpret_cast<const IO_STACK_LOCATION*>(irp + 1) + (irp->StackCount - 1);
  ULONG output_length = 0;
  if (first->MajorFunction == IRP_MJ_DEVICE_CONTROL || first->MajorFunction == IRP_MJ_INTERNAL_DEVICE_CONTROL) {
    output_length = first->Parameters.DeviceIoControl.OutputBufferLength;
  } else if (first->MajorFunction == IRP_MJ_READ) {
    output_length = first->Parameters.Read.Length;
  } else {
    return;
  }
  if (irp->IoStatus.Information <= output_length) return;
  (void)io_violation(
      0x312, address_of(caller), address_of(irp), irp->IoStatus.Information,
      fmt::format("IRP {} completed with IoStatus.Information = {} but the caller's output buffer holds {} bytes: the "
                  "I/O manager copies Information bytes from the system buffer to the caller, past the end of its "
                  "buffer.",
                  static_cast<const void*>(irp), irp->IoStatus.Information, output_length));
}

// Runs a completion routine charged to the driver above (`upper`, or the IRP's allocator past the
// top), with the I/O verification checks of what it did: the IRQL and APC-disable count it returned
// with (0xC4/0xFA, 0xFB) and, for a routine that lets completion go on, no cancel routine set
// (0xC9/0x23C) and IoMarkIrpPending when PendingReturned (0xC9/0x228: the lab then marks the
// location itself, so the request still finishes).
NTSTATUS call_completion_routine(PIO_COMPLETION_ROUTINE routine, PDEVICE_OBJECT upper, PIRP irp, PVOID context,
                                 const IrpRecord* record) {
  const base::DriverIdentity* scope_driver =
      upper != nullptr ? driver_of(upper) : record != nullptr ? record->allocator : nullptr;
  DriverScope scope(scope_driver);
  const bool checked = verifier::active(kVerifierIoVerification);
  const KIRQL irql = ke::current_irql();
  const std::uint32_t apc_disable = checked ? ddi::apc_disable_count() : 0;
  const bool pending_returned = irp->PendingReturned != FALSE;
  sched::Scheduler* traced = sched::tracing_scheduler();
  if (traced != nullptr) [[unlikely]] {
    trace::routine_begins(*traced, "completion", reinterpret_cast<const void*>(routine), irp, scope_driver);
  }
  const NTSTATUS result = routine(upper, irp, context);
  if (traced != nullptr) [[unlikely]] trace::routine_ends(*traced, "completion", irp);
  if (!checked) return result;
  const std::uint64_t address = address_of(reinterpret_cast<const void*>(routine));
  if (const KIRQL after = ke::current_irql(); after != irql) {
    (void)verifier::violation({.parameters = {0xFA, address, irql, after},
                               .description = fmt::format("Completion routine {} returned at IRQL {}; it was called "
                                                          "at IRQL {}.",
                                                          reinterpret_cast<const void*>(routine), after, irql)});
  }
  if (const std::uint32_t after = ddi::apc_disable_count(); after != apc_disable) {
    (void)verifier::violation({.parameters = {0xFB, address, apc_disable, after},
                               .description = fmt::format("Completion routine {} returned with the thread's "
                                                          "APC-disable count 0x{:X}; it was 0x{:X} when it was called.",
                                                          reinterpret_cast<const void*>(routine), after,
                                                          apc_disable)});
  }
  if (result == STATUS_MORE_PROCESSING_REQUIRED) return result;
  if (irp->CancelRoutine != nullptr) {
    (void)io_violation(0x23C, address, address_of(irp), address_of(reinterpret_cast<const void*>(irp->CancelRoutine)),
                       fmt::format("Completion routine {} let the completion of IRP {} go on with cancel routine {} "
                                   "set: a completed IRP must not keep a cancel routine.",
                                   reinterpret_cast<const void*>(routine), static_cast<const void*>(irp),
                                   reinterpret_cast<const void*>(irp->CancelRoutine)));
  }
  if (pending_returned && upper != nullptr &&
      (IoGetCurrentIrpStackLocation(irp)->Control & SL_PENDING_RETURNED) == 0) {
    if (io_violation(0x228, address, address_of(irp), 0,
                     fmt::format("Completion routine {} let the completion of IRP {} go on without calling "
                                 "IoMarkIrpPending although Irp->PendingReturned is TRUE: the driver above will not "
                                 "know the request was pending.",
                                 reinterpret_cast<const void*>(routine), static_cast<const void*>(irp)))) {
      IoMarkIrpPending(irp);
    }
  }
  return result;
}

}  // namespace

NTSTATUS call_driver(PDEVICE_OBJECT device, PIRP irp, const void* caller) {
  const KIRQL irql = ke::current_irql();
  if (irql > DISPATCH_LEVEL) {
    (void)io_violation(0x10, irql, 0, 0,
                       fmt::format("IoCallDriver was called at IRQL {}; the limit is DISPATCH_LEVEL.", irql));
  }
  IrpRecord* record = IoManager::require().irps().find(irp);
  if (irp == nullptr || (record != nullptr && record->quarantined) || irp->Type != IO_TYPE_IRP) {
    io_violation_or_fault(0x03, address_of(irp), 0, 0,
                          fmt::format("IoCallDriver was given {}, which is not an IRP (its Type is not IO_TYPE_IRP).",
                                      static_cast<const void*>(irp)),
                          caller, irp);
  }
  if (!is_device(device)) {
    io_violation_or_fault(0x04, address_of(device), 0, 0,
                          fmt::format("IoCallDriver was given {}, which is not a device object.",
                                      static_cast<const void*>(device)),
                          caller, device);
  }
  if (caller != nullptr) ddi::on_forward(irp, record, device, caller);
  if (record != nullptr && !apply(*record, IrpEvent::Call).allowed) {
    report_bad_transition(irp, IrpEvent::Call, record->state, caller);
  }
  --irp->CurrentLocation;
  if (irp->CurrentLocation <= 0) {
    ke::bug_check(NO_MORE_IRP_STACK_LOCATIONS, address_of(irp), 0, 0, 0,
                  fmt::format("IoCallDriver sent IRP {} (StackCount {}) to device object {} but the IRP has no stack "
                              "location left for it: allocate the IRP with the target's StackSize (plus one if "
                              "the sender uses a location itself).",
                              static_cast<const void*>(irp), irp->StackCount, static_cast<const void*>(device)));
  }
  PIO_STACK_LOCATION location = --irp->Tail.Overlay.CurrentStackLocation;
  location->DeviceObject = device;
  log_irp_dispatch(device, irp);
  const UCHAR major = location->MajorFunction;
  PDRIVER_DISPATCH dispatch = major <= IRP_MJ_MAXIMUM_FUNCTION ? device->DriverObject->MajorFunction[major]
                                                               : &wdmlab_io_invalid_device_request;
  NTSTATUS status;
  {
    DriverScope scope(driver_of(device));
    ddi::DispatchFrame frame;
    const bool watched = ddi::begin_dispatch(frame, device, irp, dispatch);
    sched::Scheduler* traced = sched::tracing_scheduler();
    if (traced != nullptr) [[unlikely]] {
      trace::routine_begins(*traced, "dispatch", reinterpret_cast<const void*>(dispatch), irp, driver_of(device));
    }
    status = dispatch(device, irp);
    if (traced != nullptr) [[unlikely]] trace::dispatch_returned(*traced, irp, status);
    if (watched) ddi::end_dispatch(frame, status);
    const KIRQL after = ke::current_irql();
    if (after != irql) {
      (void)io_violation(0x05, address_of(device), irql, after,
                         fmt::format("The dispatch routine for major function 0x{:02x} of device object {} returned "
                                     "at IRQL {}; it was called at IRQL {}.",
                                     major, static_cast<const void*>(device), after, irql));
    }
  }
  if (caller != nullptr) ddi::on_forward_returned(irp, status);
  return status;
}

void complete_request(PIRP irp, CCHAR priority_boost, const void* caller) {
  const KIRQL irql = ke::current_irql();
  if (irql > DISPATCH_LEVEL) {
    (void)io_violation(0x0E, irql, address_of(irp), 0,
                       fmt::format("IoCompleteRequest was called at IRQL {}; the limit is DISPATCH_LEVEL.", irql));
  }
  IoManager& manager = IoManager::require();
  IrpRecord* record = manager.irps().find(irp);
  if (irp == nullptr || (record != nullptr && record->quarantined) || irp->Type != IO_TYPE_IRP ||
      irp->CurrentLocation > irp->StackCount + 1) {
    ke::bug_check(MULTIPLE_IRP_COMPLETE_REQUESTS, address_of(irp), 0, 0, 0,
                  fmt::format("IoCompleteRequest was called for {}, which is not an IRP in progress: it was "
                              "completed (and freed) already.",
                              static_cast<const void*>(irp)),
                  verifier::active(kVerifierDdiCompliance) ? "DoubleCompletion" : "");
  }
  const NTSTATUS status = irp->IoStatus.Status;
  if (status == STATUS_PENDING || status == static_cast<NTSTATUS>(-1)) {
    (void)io_violation(0x06, static_cast<std::uint32_t>(status), address_of(irp), 0,
                       fmt::format("IoCompleteRequest was called for IRP {} with IoStatus.Status 0x{:08X}: a "
                                   "completed IRP needs its final status.",
                                   static_cast<const void*>(irp), static_cast<std::uint32_t>(status)));
  }
  if (irp->CancelRoutine != nullptr) {
    (void)io_violation(0x07, address_of(reinterpret_cast<const void*>(irp->CancelRoutine)), address_of(irp), 0,
                       fmt::format("IoCompleteRequest was called for IRP {} while its cancel routine is still set; "
                                   "clear it with IoSetCancelRoutine(Irp, NULL) first.",
                                   static_cast<const void*>(irp)));
  }
  if (record != nullptr) {
    const IrpTransition transition = apply(*record, IrpEvent::Complete);
    if (!transition.allowed) report_bad_transition(irp, IrpEvent::Complete, record->state, caller);
    if (caller != nullptr) ddi::on_complete(irp, record, transition.from, caller);
  }
  check_buffered_information(irp, caller);
  log_irp_completion(irp);
  if (sched::Scheduler* traced = sched::tracing_scheduler()) [[unlikely]] trace::irp_instant(*traced, irp, "completed");
  const bool watched = !manager.dispatch_frames().empty();

  for (PIO_STACK_LOCATION location = IoGetCurrentIrpStackLocation(irp); irp->CurrentLocation <= irp->StackCount;
       ++location) {
    irp->PendingReturned = (location->Control & SL_PENDING_RETURNED) != 0 ? TRUE : FALSE;
    const UCHAR control = location->Control;
    PIO_COMPLETION_ROUTINE routine = location->CompletionRoutine;
    PVOID context = location->Context;
    if (watched) ddi::on_location_completed(irp, location);
    clear_location(location);
    ++irp->CurrentLocation;
    ++irp->Tail.Overlay.CurrentStackLocation;
    if (routine != nullptr && invokes(control, irp)) {
      PDEVICE_OBJECT upper =
          irp->CurrentLocation == irp->StackCount + 1 ? nullptr : IoGetCurrentIrpStackLocation(irp)->DeviceObject;
      const NTSTATUS from_below = irp->IoStatus.Status;  // the routine may free the IRP
      const NTSTATUS result = call_completion_routine(routine, upper, irp, context, record);
      if (result == STATUS_MORE_PROCESSING_REQUIRED) {
        if (record != nullptr && !apply(*record, IrpEvent::Reclaim).allowed) {
          report_bad_transition(irp, IrpEvent::Reclaim, record->state, caller);
        }
        if (record != nullptr) ddi::on_reclaimed(*record, from_below);
        return;
      }
    } else if (irp->PendingReturned && irp->CurrentLocation <= irp->StackCount) {
      IoMarkIrpPending(irp);
    }
  }

  if (record != nullptr && !apply(*record, IrpEvent::WalkDone).allowed) {
    report_bad_transition(irp, IrpEvent::WalkDone, record->state, caller);
  }
  if (watched) ddi::on_walk_end(irp);
  unlock_mdls(irp);
  if ((irp->Flags & IRP_CLOSE_OPERATION) != 0) {
    // Cleanup and close requests go straight back to the thread that waits for them, which frees
    // the IRP.
    *irp->UserIosb = irp->IoStatus;
    KeSetEvent(irp->UserEvent, priority_boost, FALSE);
    return;
  }
  if ((irp->Flags & IRP_DEFER_IO_COMPLETION) != 0 && !irp->PendingReturned) return;

  PETHREAD thread = irp->Tail.Overlay.Thread;
  PFILE_OBJECT file = referenced_file(irp);
  if (record != nullptr && record->disassociated) {
    // Its thread ended without it (rundown_thread_io): nobody is told.
    discard_irp(irp, file);
    return;
  }
  if (thread == nullptr) {
    ke::bug_check(KMODE_EXCEPTION_NOT_HANDLED, static_cast<std::uint32_t>(STATUS_ACCESS_VIOLATION), address_of(caller),
                  0, 0,
                  fmt::format("IRP {} was completed back to the I/O manager, but no thread issued it (it came from "
                              "IoAllocateIrp): the driver that allocates an IRP must set a completion routine that "
                              "returns STATUS_MORE_PROCESSING_REQUIRED and frees or reuses the IRP.",
                              static_cast<const void*>(irp)));
  }
  ke::initialize_apc(irp->Tail.Apc, thread->Tcb, &final_stage_apc, &final_stage_rundown, nullptr, KernelMode,
                     nullptr);
  if (!ke::insert_queue_apc(irp->Tail.Apc, file, nullptr, priority_boost)) discard_irp(irp, file);
}

void finish_irp(PIRP irp, PFILE_OBJECT file) {
  dequeue_from_thread(irp);
  if ((irp->Flags & IRP_BUFFERED_IO) != 0) {
    const NTSTATUS status = irp->IoStatus.Status;
    if ((irp->Flags & IRP_INPUT_OPERATION) != 0 && status != STATUS_VERIFY_REQUIRED && !NT_ERROR(status) &&
        irp->IoStatus.Information != 0) {
      IrpRecord* record = IoManager::require().irps().find(irp);
      std::size_t bytes = irp->IoStatus.Information;
      // Windows copies Information bytes; the lab stops at the end of the system buffer it
      // allocated (the over-long Information was reported when the IRP was completed).
      if (record != nullptr && bytes > record->system_buffer_length) bytes = record->system_buffer_length;
      const NTSTATUS copied = mm::copy_to_user(irp->UserBuffer, irp->AssociatedIrp.SystemBuffer, bytes);
      if (!NT_SUCCESS(copied)) irp->IoStatus.Status = copied;
    }
    if ((irp->Flags & IRP_DEALLOCATE_BUFFER) != 0 && irp->AssociatedIrp.SystemBuffer != nullptr) {
      ex::Executive::require().pool().free(irp->AssociatedIrp.SystemBuffer);
      irp->AssociatedIrp.SystemBuffer = nullptr;
    }
  }
  irp->Flags &= ~(IRP_DEALLOCATE_BUFFER | IRP_BUFFERED_IO);
  free_mdls(irp);

  const NTSTATUS status = irp->IoStatus.Status;
  if (NT_ERROR(status) && !irp->PendingReturned) {
    // A failure the dispatch routine returned directly: the service returns it to the caller; the
    // caller's status block, event, APC and completion port are not involved.
    discard_irp(irp, file);
    return;
  }

  if (irp->UserIosb != nullptr) {
    IO_STATUS_BLOCK result{};
    result.Status = status;
    result.Information = irp->IoStatus.Information;
    (void)mm::copy_to_user(irp->UserIosb, &result, sizeof(result));
  }
  if (irp->UserEvent != nullptr) {
    KeSetEvent(irp->UserEvent, 0, FALSE);
    if (file != nullptr) {
      if ((irp->Flags & IRP_SYNCHRONOUS_API) == 0) IoManager::require().objects().dereference(irp->UserEvent);
      if ((file->Flags & FO_SYNCHRONOUS_IO) != 0 && (irp->Flags & IRP_OB_QUERY_NAME) == 0) {
        file->FinalStatus = status;
        KeSetEvent(&file->Event, 0, FALSE);
      }
    }
  } else if (file != nullptr) {
    file->FinalStatus = status;
    KeSetEvent(&file->Event, 0, FALSE);
  }
  irp->UserEvent = nullptr;

  PIO_APC_ROUTINE user_routine = irp->Overlay.AsynchronousParameters.UserApcRoutine;
  PVOID user_context = irp->Overlay.AsynchronousParameters.UserApcContext;
  if (user_routine != nullptr) {
    PETHREAD thread = irp->Tail.Overlay.Thread;
    PIO_STATUS_BLOCK status_block = irp->UserIosb;
    if (file != nullptr) dereference_file(file);
    ke::initialize_apc(irp->Tail.Apc, thread->Tcb, &user_completion_apc, &user_completion_rundown,
                       std::bit_cast<PKNORMAL_ROUTINE>(user_routine), UserMode, user_context);
    if (!ke::insert_queue_apc(irp->Tail.Apc, status_block, nullptr, 0)) IoManager::require().free_irp(irp, nullptr);
    return;
  }
  if (file != nullptr && file->CompletionContext != nullptr && user_context != nullptr) {
    const auto* port = const_cast<const IO_COMPLETION_CONTEXT*>(file->CompletionContext);
    post_completion(port->Port, port->Key, user_context, status, irp->IoStatus.Information);
  }
  IoManager::require().free_irp(irp, nullptr);
  if (file != nullptr) dereference_file(file);
}

void call_cancel_routine(PDRIVER_CANCEL routine, PDEVICE_OBJECT device, PIRP irp) {
  DriverScope scope(driver_of(device));
  sched::Scheduler* traced = sched::tracing_scheduler();
  if (traced != nullptr) [[unlikely]] {
    trace::routine_begins(*traced, "cancel", reinterpret_cast<const void*>(routine), irp, driver_of(device));
  }
  routine(device, irp);
  if (traced != nullptr) [[unlikely]] trace::routine_ends(*traced, "cancel", irp);
  if (ke::held_by_running_context(IoManager::require().cancel_lock())) {
    ke::bug_check(DRIVER_RETURNED_HOLDING_CANCEL_LOCK, address_of(irp),
                  address_of(reinterpret_cast<const void*>(routine)), 0, 0,
                  fmt::format("Cancel routine {} returned still holding the cancel spin lock (for IRP {}): a cancel "
                              "routine must release it with IoReleaseCancelSpinLock(Irp->CancelIrql).",
                              reinterpret_cast<const void*>(routine), static_cast<const void*>(irp)));
  }
}

void run_deferred_completion(PIRP irp) {
  PFILE_OBJECT file = referenced_file(irp);
  KIRQL old_irql;
  KeRaiseIrql(APC_LEVEL, &old_irql);
  finish_irp(irp, file);
  KeLowerIrql(old_irql);
}

}  // namespace wdmlab::io

using namespace wdmlab::io;

namespace {

struct CompletionRoutineEx {
  PIO_COMPLETION_ROUTINE routine;
  PVOID context;
  PDEVICE_OBJECT device;  // referenced until the routine has run
};

// Calls the routine IoSetCompletionRoutineEx registered, then lets its device object go.
NTSTATUS NTAPI completion_routine_ex(PDEVICE_OBJECT device, PIRP irp, PVOID context) {
  auto* block = static_cast<CompletionRoutineEx*>(context);
  const CompletionRoutineEx copy = *block;
  delete block;
  const NTSTATUS status = copy.routine(device, irp, copy.context);
  IoManager::require().objects().dereference(copy.device);
  return status;
}

}  // namespace

extern "C" {

NTSTATUS FASTCALL IofCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  wdmlab::sched::scheduling_point();
  return verified_call_driver(DeviceObject, Irp, __builtin_return_address(0));
}

VOID FASTCALL IofCompleteRequest(PIRP Irp, CCHAR PriorityBoost) {
  wdmlab::sched::scheduling_point();
  complete_request(Irp, PriorityBoost, __builtin_return_address(0));
}

NTSTATUS NTAPI IoSetCompletionRoutineEx(PDEVICE_OBJECT DeviceObject, PIRP Irp, PIO_COMPLETION_ROUTINE CompletionRoutine,
                                        PVOID Context, BOOLEAN InvokeOnSuccess, BOOLEAN InvokeOnError,
                                        BOOLEAN InvokeOnCancel) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "IoSetCompletionRoutineEx", __builtin_return_address(0), Irp);
  // The context block is pool on Windows: the low resources simulations can fail it.
  auto* block = wdmlab::verifier::inject_failure("IoSetCompletionRoutineEx", 0, __builtin_return_address(0))
                    ? nullptr
                    : new (std::nothrow) CompletionRoutineEx{CompletionRoutine, Context, DeviceObject};
  if (block == nullptr) {
    // IoSetCompletionExCompleteIrp: the driver must now neither complete nor pass on the IRP.
    if (IrpRecord* record = IoManager::require().irps().find(Irp)) record->verifier_bits |= kIrpCompletionExFailed;
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  IoManager::require().objects().reference(DeviceObject);
  IoSetCompletionRoutine(Irp, &completion_routine_ex, block, InvokeOnSuccess, InvokeOnError, InvokeOnCancel);
  ddi::on_completion_routine_ex(Irp);
  return STATUS_SUCCESS;
}

}  // extern "C"
