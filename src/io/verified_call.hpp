// io/verified_call.hpp - IoCallDriver as Driver Verifier sees a verified driver call it.
//
// Security Checks (0x100): an IRP whose RequestorMode is KernelMode must not carry a user-mode
// UserBuffer or AssociatedIrp.SystemBuffer (0xC4/0xE2 [IRP, address]): the drivers below trust a
// KernelMode request's buffers without probing them.
//
// Force Pending I/O (0x200): with force_pending_probability in 10,000 (drawn from the run's seed)
// the call is watched; if the drivers below complete the IRP before returning, completion is held
// back at the caller's boundary and released just before IoCallDriver returns to the caller, as
// if the lower driver had returned STATUS_PENDING and completed the IRP from another context:
// Irp->PendingReturned is TRUE for the caller's completion routine, IoMarkIrpPending propagates,
// the walk goes on up (signalling the caller's event, and for a request of the I/O manager
// queueing its final stage, which may free the IRP), and IoCallDriver returns STATUS_PENDING. A
// caller that reads the IRP after IoCallDriver, or takes a non-pending status for granted, meets
// what a genuinely pending request gives it. Each forced return counts in
// VerifierCounters::forced_pending. When the drivers below really return STATUS_PENDING the
// watch is invisible.
#pragma once

#include <wdm.h>

namespace wdmlab::io {

NTSTATUS verified_call_driver(PDEVICE_OBJECT device, PIRP irp, const void* caller);

}  // namespace wdmlab::io
