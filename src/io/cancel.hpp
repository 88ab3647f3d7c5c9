// io/cancel.hpp - cancelling IRPs: the protocol IoCancelIrp runs, and the I/O manager's own
// cancellation of the requests a thread issued (CancelIo, CancelIoEx, CancelSynchronousIo, thread
// termination).
//
// Who may cancel an IRP: the driver that allocated it (IoCancelIrp), and the I/O manager for the
// requests it issued for a thread (each on that thread's IrpList). The protocol, as on Windows:
// take the cancel spin lock, set Irp->Cancel, exchange the cancel routine for NULL; if there was
// one, call it at DISPATCH_LEVEL with the lock still held and Irp->CancelIrql set to the IRQL to
// return to (the routine releases the lock); otherwise release the lock. Whoever gets a non-NULL
// routine from the exchange owns the cancellation; a driver that gets NULL back from
// IoSetCancelRoutine(Irp, NULL) must leave the IRP to its cancel routine.
//
// The I/O manager's walks over a thread's IrpList run without a scheduling point between finding
// an IRP and exchanging its cancel routine, which is what Windows' own locking around that list
// guarantees: the IRP cannot be finished and freed in between.
#pragma once

#include <wdm.h>

#include <cstddef>
#include <functional>

struct _ETHREAD;

namespace wdmlab::io {

// With the cancel spin lock held (acquired at `irql`): cancels `irp` as above and returns whether
// a cancel routine was called. The lock is released on return in both cases.
bool cancel_irp_locked(PIRP irp, KIRQL irql);

// Cancels, one at a time, every IRP on `thread`'s IrpList for which `matches` is true and that is
// not cancelled yet. Returns how many IRPs matched (cancelled now or before). IRQL <=
// DISPATCH_LEVEL; does not wait for the IRPs to complete.
std::size_t cancel_thread_irps(_ETHREAD& thread, const std::function<bool(PIRP)>& matches);

// What a terminating thread does with the requests it issued (the I/O manager's part of thread
// exit): cancels every IRP on its IrpList, then waits for them in 100 ms steps of virtual time.
// An IRP still outstanding after five minutes is reported (0xC4 / 0x135, non-fatal) and
// disassociated from the thread: it no longer holds the thread's exit, and when it completes its
// final stage frees it without notifying anyone. Runs on the terminating thread at PASSIVE_LEVEL.
void rundown_thread_io(_ETHREAD& thread);

// True if `irp` was disassociated from its thread by rundown_thread_io.
bool is_disassociated(const IRP* irp);

}  // namespace wdmlab::io
