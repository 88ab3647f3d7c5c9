// Cancel-safe IRP queues: IoCsqInitialize(Ex), IoCsqInsertIrp(Ex), IoCsqRemoveIrp,
// IoCsqRemoveNextIrp.
//
// The driver owns the queue (its list and its lock, behind the IO_CSQ callbacks); these routines
// own the cancellation protocol around it, so the driver never sees the cancel spin lock:
// - an IRP is inserted under the driver's lock, marked pending and given the queue's cancel
//   routine; if it was cancelled before that, the routine is taken back at once and, if this
//   insert got it, the IRP is removed again and handed to CsqCompleteCanceledIrp (after the lock
//   is released);
// - removal (by context or by peeking) takes an IRP only if it can clear the IRP's cancel routine
//   itself; an IRP whose routine is already gone is being cancelled and is skipped: the cancel
//   routine removes it under the driver's lock and completes it through CsqCompleteCanceledIrp;
// - Irp->Tail.Overlay.DriverContext[3] points at the IO_CSQ_IRP_CONTEXT the inserter supplied
//   (whose Irp field is cleared when the IRP leaves the queue) or, without one, at the IO_CSQ.
// The callbacks are driver code and are charged to the driver; CsqAcquireLock / CsqReleaseLock
// bracket every CsqInsertIrp, CsqRemoveIrp and CsqPeekNextIrp call. As on Windows, the IO_CSQ is
// not validated: a queue that was never initialized calls through whatever its fields hold.
#include <wdm.h>

#include "ke/bugcheck.hpp"
#include "sched/scheduler.hpp"

namespace {

PVOID& csq_slot(PIRP irp) { return irp->Tail.Overlay.DriverContext[3]; }

// The queue and (if the inserter supplied one) the context an IRP's DriverContext[3] refers to.
struct QueueOf {
  PIO_CSQ csq = nullptr;
  PIO_CSQ_IRP_CONTEXT context = nullptr;
};

QueueOf queue_of(PIRP irp) {
  PVOID slot = csq_slot(irp);
  if (slot == nullptr) return {};
  if (*static_cast<const ULONG*>(slot) == IO_TYPE_CSQ_IRP_CONTEXT) {
    auto* context = static_cast<PIO_CSQ_IRP_CONTEXT>(slot);
    return {context->Csq, context};
  }
  return {static_cast<PIO_CSQ>(slot), nullptr};
}

// Takes an IRP out of the queue whose cancel routine the caller has just cleared, with the
// driver's lock held.
void unlink(PIO_CSQ csq, PIRP irp) {
  csq->CsqRemoveIrp(csq, irp);
  if (PIO_CSQ_IRP_CONTEXT context = queue_of(irp).context) context->Irp = nullptr;
  csq_slot(irp) = nullptr;
}

bool take_cancel_routine(PIRP irp) { return IoSetCancelRoutine(irp, nullptr) != nullptr; }

// The queue's cancel routine: called by IoCancelIrp with the cancel spin lock held.
VOID NTAPI csq_cancel_routine(PDEVICE_OBJECT device, PIRP irp) {
  (void)device;
  IoReleaseCancelSpinLock(irp->CancelIrql);
  PIO_CSQ csq = queue_of(irp).csq;
  KIRQL irql;
  csq->CsqAcquireLock(csq, &irql);
  unlink(csq, irp);
  csq->CsqReleaseLock(csq, irql);
  csq->CsqCompleteCanceledIrp(csq, irp);
}

NTSTATUS insert(PIO_CSQ csq, PIRP irp, PIO_CSQ_IRP_CONTEXT context, PVOID insert_context) {
  KIRQL irql;
  csq->CsqAcquireLock(csq, &irql);
  NTSTATUS status = STATUS_SUCCESS;
  if (csq->Type == IO_TYPE_CSQ_EX) {
    status = reinterpret_cast<PIO_CSQ_INSERT_IRP_EX>(reinterpret_cast<ULONG_PTR>(csq->CsqInsertIrp))(csq, irp,
                                                                                                   insert_context);
    if (!NT_SUCCESS(status)) {
      csq->CsqReleaseLock(csq, irql);
      return status;
    }
  } else {
    csq->CsqInsertIrp(csq, irp);
  }
  IoMarkIrpPending(irp);
  if (context != nullptr) {
    context->Type = IO_TYPE_CSQ_IRP_CONTEXT;
    context->Irp = irp;
    context->Csq = csq;
    csq_slot(irp) = context;
  } else {
    csq_slot(irp) = csq;
  }
  (void)IoSetCancelRoutine(irp, &csq_cancel_routine);
  if (irp->Cancel && take_cancel_routine(irp)) {
    // Cancelled before the routine was in place, and IoCancelIrp did not see it: undo the insert.
    unlink(csq, irp);
    csq->CsqReleaseLock(csq, irql);
    csq->CsqCompleteCanceledIrp(csq, irp);
    return status;
  }
  csq->CsqReleaseLock(csq, irql);
  return status;
}

PIRP remove_by_context(PIO_CSQ csq, PIO_CSQ_IRP_CONTEXT context) {
  KIRQL irql;
  csq->CsqAcquireLock(csq, &irql);
  PIRP irp = context->Irp;
  if (irp != nullptr) {
    if (take_cancel_routine(irp)) {
      unlink(csq, irp);
    } else {
      irp = nullptr;  // being cancelled: the cancel routine removes and completes it
    }
  }
  csq->CsqReleaseLock(csq, irql);
  return irp;
}

PIRP remove_next(PIO_CSQ csq, PVOID peek_context) {
  KIRQL irql;
  csq->CsqAcquireLock(csq, &irql);
  PIRP irp = csq->CsqPeekNextIrp(csq, nullptr, peek_context);
  while (irp != nullptr && !take_cancel_routine(irp)) irp = csq->CsqPeekNextIrp(csq, irp, peek_context);
  if (irp != nullptr) unlink(csq, irp);
  csq->CsqReleaseLock(csq, irql);
  return irp;
}

void check_irql(const char* routine, const void* caller, const void* argument) {
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, routine, caller, argument);
}

}  // namespace

extern "C" {

NTSTATUS NTAPI IoCsqInitialize(PIO_CSQ Csq, PIO_CSQ_INSERT_IRP CsqInsertIrp, PIO_CSQ_REMOVE_IRP CsqRemoveIrp,
                               PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp, PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock,
                               PIO_CSQ_RELEASE_LOCK CsqReleaseLock,
                               PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp) {
  wdmlab::sched::scheduling_point();
  check_irql("IoCsqInitialize", __builtin_return_address(0), Csq);
  *Csq = IO_CSQ{IO_TYPE_CSQ,   CsqInsertIrp,   CsqRemoveIrp, CsqPeekNextIrp, CsqAcquireLock,
                CsqReleaseLock, CsqCompleteCanceledIrp, nullptr};
  return STATUS_SUCCESS;
}

NTSTATUS NTAPI IoCsqInitializeEx(PIO_CSQ Csq, PIO_CSQ_INSERT_IRP_EX CsqInsertIrp, PIO_CSQ_REMOVE_IRP CsqRemoveIrp,
                                 PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp, PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock,
                                 PIO_CSQ_RELEASE_LOCK CsqReleaseLock,
                                 PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp) {
  wdmlab::sched::scheduling_point();
  check_irql("IoCsqInitializeEx", __builtin_return_address(0), Csq);
  *Csq = IO_CSQ{IO_TYPE_CSQ_EX,
                reinterpret_cast<PIO_CSQ_INSERT_IRP>(reinterpret_cast<ULONG_PTR>(CsqInsertIrp)),
                CsqRemoveIrp,
                CsqPeekNextIrp,
                CsqAcquireLock,
                CsqReleaseLock,
                CsqCompleteCanceledIrp,
                nullptr};
  return STATUS_SUCCESS;
}

VOID NTAPI IoCsqInsertIrp(PIO_CSQ Csq, PIRP Irp, PIO_CSQ_IRP_CONTEXT Context) {
  wdmlab::sched::scheduling_point();
  const void* caller = __builtin_return_address(0);
  check_irql("IoCsqInsertIrp", caller, Irp);
  (void)insert(Csq, Irp, Context, nullptr);
}

NTSTATUS NTAPI IoCsqInsertIrpEx(PIO_CSQ Csq, PIRP Irp, PIO_CSQ_IRP_CONTEXT Context, PVOID InsertContext) {
  wdmlab::sched::scheduling_point();
  const void* caller = __builtin_return_address(0);
  check_irql("IoCsqInsertIrpEx", caller, Irp);
  return insert(Csq, Irp, Context, InsertContext);
}

PIRP NTAPI IoCsqRemoveIrp(PIO_CSQ Csq, PIO_CSQ_IRP_CONTEXT Context) {
  wdmlab::sched::scheduling_point();
  const void* caller = __builtin_return_address(0);
  check_irql("IoCsqRemoveIrp", caller, Context);
  return remove_by_context(Csq, Context);
}

PIRP NTAPI IoCsqRemoveNextIrp(PIO_CSQ Csq, PVOID PeekContext) {
  wdmlab::sched::scheduling_point();
  const void* caller = __builtin_return_address(0);
  check_irql("IoCsqRemoveNextIrp", caller, Csq);
  return remove_next(Csq, PeekContext);
}

}  // extern "C"
