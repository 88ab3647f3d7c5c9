// ke/dispatcher.hpp - dispatcher objects and waits.
//
// Object state lives in the object's own DISPATCHER_HEADER (SignalState, WaitListHead), exactly
// as drivers allocate it; waiting threads link KWAIT_BLOCKs into WaitListHead. Signalling an
// object satisfies waiters in the order they started waiting: all of them for a notification
// object, one per unit of signal state for a synchronization event, semaphore or mutex.
//
// IRQL: waits need IRQL <= APC_LEVEL, or DISPATCH_LEVEL with a zero timeout (a poll).
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

// Gives up every mutex `thread` owns (it is terminating), marking each abandoned.
void abandon_mutexes(_KTHREAD& thread);

}  // namespace wdmlab::ke
