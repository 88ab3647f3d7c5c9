// io/trace_events.hpp - the I/O manager's events in the event trace (wdmlab/trace.hpp).
//
// Each is called behind `if (sched::Scheduler* s = sched::tracing_scheduler())` and records on
// the running context: driver routines as spans (dispatch, StartIo, completion, cancel), the
// IRP's lifetime as an async pair keyed by its address (allocated .. freed), and what happens to
// it in between (pended, cancelled, completed) as instants.
#pragma once

#include <wdm.h>

#include "sched/scheduler.hpp"

namespace wdmlab::io::trace {

// Spans: `category` is "dispatch", "start_io", "completion" or "cancel".
[[gnu::cold, gnu::noinline]] void routine_begins(sched::Scheduler& scheduler, const char* category,
                                                 const void* routine, PIRP irp,
                                                 const base::DriverIdentity* driver);
[[gnu::cold, gnu::noinline]] void routine_ends(sched::Scheduler& scheduler, const char* category, PIRP irp);
// The dispatch routine returned `status`; STATUS_PENDING also records "pended".
[[gnu::cold, gnu::noinline]] void dispatch_returned(sched::Scheduler& scheduler, PIRP irp, NTSTATUS status);

[[gnu::cold, gnu::noinline]] void irp_allocated(sched::Scheduler& scheduler, PIRP irp);
[[gnu::cold, gnu::noinline]] void irp_freed(sched::Scheduler& scheduler, PIRP irp);
// An instant of the IRP: "cancelled", "completed".
[[gnu::cold, gnu::noinline]] void irp_instant(sched::Scheduler& scheduler, PIRP irp, const char* what);

}  // namespace wdmlab::io::trace
