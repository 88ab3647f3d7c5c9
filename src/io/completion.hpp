// io/completion.hpp - sending IRPs down a stack and completing them back up.
//
// IoCallDriver moves the IRP to the next stack location, records the device there and calls the
// device's driver's dispatch routine for the location's major function, charged to that driver.
//
// IoCompleteRequest walks the stack locations upward from the current one. At each location it
// records PendingReturned (SL_PENDING_RETURNED of the location being left), moves up, and calls
// the completion routine the location holds if its SL_INVOKE_ON_SUCCESS / _ON_ERROR / _ON_CANCEL
// bit matches the IRP's status and Cancel flag, passing the device object of the new current
// location (NULL past the top, for the IRP's allocator). A routine returning
// STATUS_MORE_PROCESSING_REQUIRED ends the walk: the IRP belongs to that routine's driver again.
// Without a routine, a pending return is propagated upward (IoMarkIrpPending on the next location).
// When the walk passes the top location, the MDLs of the IRP are unlocked and its final stage is
// run by the thread that issued it, as a special kernel APC (see finish_irp).
//
// Requests the I/O manager issues for system services carry IRP_DEFER_IO_COMPLETION: when such
// an IRP is completed without pending having been returned, IoCompleteRequest leaves the final
// stage to the service, which runs it right after IoCallDriver returns (run_deferred_completion).
#pragma once

#include <wdm.h>

namespace wdmlab::io {

// IofCallDriver after its checks.
NTSTATUS call_driver(PDEVICE_OBJECT device, PIRP irp, const void* caller);

// IofCompleteRequest after its checks.
void complete_request(PIRP irp, CCHAR priority_boost, const void* caller);

// The final stage of a completed IRP, in the thread that issued it at APC_LEVEL: copies buffered
// output back (Information bytes) and frees the system buffer, frees the MDLs, writes the user's
// I/O status block, signals the user event and the file object's event, queues the user's APC or
// completion packet, releases a synchronous file object's lock, drops the IRP's file object
// reference and frees the IRP. `file` is the IRP's original file object (saved before the APC
// overlaid the tail of the IRP).
void finish_irp(PIRP irp, PFILE_OBJECT file);

// Runs a driver's cancel routine for `irp` (called with the cancel spin lock held; the routine
// releases it), charged to the driver of `device`.
void call_cancel_routine(PDRIVER_CANCEL routine, PDEVICE_OBJECT device, PIRP irp);

// For an IRP issued with IRP_DEFER_IO_COMPLETION whose dispatch returned something other than
// STATUS_PENDING: runs the final stage now, at APC_LEVEL.
void run_deferred_completion(PIRP irp);

}  // namespace wdmlab::io
