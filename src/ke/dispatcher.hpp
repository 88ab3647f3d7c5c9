// ke/dispatcher.hpp - dispatcher objects and waits.
//
// Object state lives in the object's own DISPATCHER_HEADER (SignalState, WaitListHead), exactly
// as drivers allocate it; waiting threads link KWAIT_BLOCKs into WaitListHead. Signalling an
// object satisfies waiters in the order they started waiting: all of them for a notification
// object, one per unit of signal state for a synchronization event, semaphore or mutex.
//
// IRQL: waits need IRQL <= APC_LEVEL, or DISPATCH_LEVEL with a zero timeout (a poll).
//
// APCs (ke/apc.hpp): a kernel APC interrupts a wait at PASSIVE_LEVEL whatever its mode and
// alertability; the APC runs and the wait starts again with its original due time, so callers
// never see STATUS_KERNEL_APC. A user APC ends an alertable user-mode wait with STATUS_USER_APC
// (objects already signaled take precedence); other waits ignore user APCs.
#pragma once

#include <wdm.h>

#include "ke/kernel.hpp"

namespace wdmlab::ke {

// Satisfies the waiters `header` can satisfy now. Call after raising its SignalState.
void signal_waiters(DISPATCHER_HEADER* header);

// The common wait: Count objects, WaitAny or WaitAll, optional timeout (Windows encoding).
// `caller` is the driver's return address, for reports.
NTSTATUS wait_for_objects(ULONG count, PVOID objects[], WAIT_TYPE wait_type, KPROCESSOR_MODE wait_mode,
                          BOOLEAN alertable, PLARGE_INTEGER timeout, PKWAIT_BLOCK wait_block_array,
                          const void* caller);

// Driver Verifier's automatic check of a wait at IRQL >= DISPATCH_LEVEL that is not a poll:
// 0xC4/0x120 above DISPATCH_LEVEL, 0x121 at it with no timeout, 0x122 at it with a nonzero
// timeout, [IRQL, object, timeout]. Returns when nothing was reported (driver not verified).
void report_wait_at_raised_irql(sched::Irql irql, const void* object, const LARGE_INTEGER* timeout);

// KeDelayExecutionThread's wait: until virtual time `due` (STATUS_SUCCESS), or STATUS_USER_APC
// as for any wait. A due time already reached gives up the processor once and returns at once.
NTSTATUS delay_execution(KPROCESSOR_MODE wait_mode, BOOLEAN alertable, sched::Time due);

// Ends `thread`'s wait with `status` (unlinks its wait blocks, cancels its timeout, makes it
// ready). False if it is not blocked in a wait. Callable from any context and the host.
bool end_wait(_KTHREAD& thread, NTSTATUS status);

// Gives up every mutex `thread` owns (it is terminating), marking each abandoned.
void abandon_mutexes(_KTHREAD& thread);

}  // namespace wdmlab::ke
