// ke/apc.hpp - asynchronous procedure calls: routines that run in the context of one thread.
//
// The kernel's own C++ interface (Windows' KeInitializeApc and KeInsertQueueApc are undocumented
// and are not exported). Each thread has a kernel-mode and a user-mode queue (_KTHREAD.ApcListHead).
//
// Kinds, as on Windows:
// - a special kernel APC (no normal routine): its kernel routine runs at APC_LEVEL as soon as the
//   thread runs at PASSIVE_LEVEL outside a guarded region;
// - a normal kernel APC: its kernel routine at APC_LEVEL, then its normal routine at PASSIVE_LEVEL,
//   when in addition the thread is outside a critical region and runs no other normal kernel APC;
// - a user APC: queued until the thread waits alertably in user mode (the wait returns
//   STATUS_USER_APC) and the simulated user mode calls deliver_user_apcs().
// Special kernel APCs are queued after the special ones already queued and ahead of every normal
// one; everything else is first in, first out.
//
// Delivery models the APC_LEVEL software interrupt (sched's APC interrupt): a kernel APC runs on
// its target thread, never elsewhere, at the first point the lab observes where it is deliverable:
// a scheduling point the thread resumes at, the thread lowering its IRQL to PASSIVE_LEVEL,
// leaving a critical or guarded region or releasing a kernel mutex, insert_queue_apc itself when
// the APC is queued to the running thread, or a wait the thread is blocked in (the wait is
// interrupted, the APCs run, and the wait starts again with its original due time; callers never
// see STATUS_KERNEL_APC). Between two kernel calls a thread runs undisturbed: delivery has
// kernel-call granularity.
//
// Not supported: APC environments (ApcStateIndex is always OriginalApcEnvironment), priority
// boosts (the increment is ignored), alerts (KeAlertThread, STATUS_ALERTED) and special user APCs.
// The routines run with the driver attribution of the thread they interrupt.
#pragma once

#include <wdm.h>

#include <cstddef>

#include "ke/thread.hpp"

namespace wdmlab::ke {

// Prepares `apc` for `thread`: Type = ApcObject, Size = sizeof(KAPC), the routines in
// Reserved[0] (kernel), [1] (rundown, may be null) and [2] (normal). With no normal routine the APC
// is a special kernel APC: its mode is KernelMode and its normal context null whatever is passed.
// The APC is not queued. Any IRQL; the caller owns `apc` and keeps it alive while it is queued.
void initialize_apc(KAPC& apc, _KTHREAD& thread, PKKERNEL_ROUTINE kernel_routine, PKRUNDOWN_ROUTINE rundown_routine,
                    PKNORMAL_ROUTINE normal_routine, KPROCESSOR_MODE apc_mode, PVOID normal_context);

// Queues the APC to its thread with the two system arguments. Returns false, and queues nothing,
// if it is already queued or the thread's queues are closed (it is terminating). `increment` is
// accepted and ignored. IRQL <= DISPATCH_LEVEL, from any context: a thread, a DPC or the host (the
// test's own stack); never blocks. A kernel APC queued to the running thread while it is
// deliverable has run by the time this returns; one queued to a thread blocked in a wait it can
// interrupt makes that thread ready.
bool insert_queue_apc(KAPC& apc, PVOID system_argument1, PVOID system_argument2, KPRIORITY increment);

// Removes a queued APC that has not started to run. True if it was queued. IRQL <= DISPATCH_LEVEL.
bool remove_queue_apc(KAPC& apc);

// Makes `thread` take its queued user APCs as soon as it can, as Windows does for thread
// termination: sets its user_apc_pending, so that a UserMode wait it is blocked in ends now with
// STATUS_USER_APC (alertable or not), later UserMode waits end at once, and the simulated user
// mode delivers the APCs on the thread's next return to user mode. KernelMode waits are not
// affected: a thread blocked in a driver stays there. IRQL <= DISPATCH_LEVEL, any context.
void alert_for_user_apcs(_KTHREAD& thread);

// True if `thread` has user APCs queued.
bool user_apcs_pending(const _KTHREAD& thread);

// Runs every user APC queued to the running thread, in order: each one's kernel routine at
// APC_LEVEL, then its normal routine (if the kernel routine left one) at PASSIVE_LEVEL. Returns
// how many ran. The simulated user mode calls it where Windows returns to user mode with a user
// APC pending: after a wait returned STATUS_USER_APC, and from NtTestAlert. PASSIVE_LEVEL, on a
// lab thread.
std::size_t deliver_user_apcs();

// Thread termination: closes `thread`'s queues (later inserts fail) and runs down what is still
// queued: each APC is removed and its rundown routine, if it has one, is called. Runs on the
// terminating thread.
void rundown_apcs(_KTHREAD& thread);

// Delivers `thread`'s deliverable kernel APCs now if it is the running thread at PASSIVE_LEVEL,
// after something that disabled them (a critical or guarded region, a kernel mutex) ended.
void check_for_kernel_apc_delivery(_KTHREAD& thread);

// The scheduler's APC interrupt handler (installed by Kernel): delivers the kernel APCs
// `thread` can take now, on its own fiber, entered and left at PASSIVE_LEVEL.
void apc_interrupt(sched::Context& thread);

}  // namespace wdmlab::ke
