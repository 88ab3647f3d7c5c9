// ke/thread.hpp - the kernel thread object.
//
// A KTHREAD is a dispatcher object (signaled when the thread ends) bound to one scheduler
// context. ps embeds it at the start of the ETHREAD, so PETHREAD and PKTHREAD point to the same
// object, as on Windows. Processors also have idle threads, which have no context.
#pragma once

#include <wdm.h>

#include <functional>
#include <string>

#include "sched/scheduler.hpp"

namespace wdmlab::base {
struct DriverIdentity;
}

struct _KTHREAD {
  DISPATCHER_HEADER Header;  // must stay first: waits treat a PKTHREAD as a dispatcher object
  wdmlab::sched::Context* context = nullptr;
  // The wait in progress.
  KWAIT_BLOCK wait_blocks[THREAD_WAIT_OBJECTS];
  PKWAIT_BLOCK wait_block_list = nullptr;
  ULONG wait_count = 0;
  WAIT_TYPE wait_type = WaitAny;
  bool waiting = false;
  wdmlab::sched::Scheduler::TimerHandle wait_timer;
  // APC disabling (KeEnterCriticalRegion, mutex ownership, guarded regions).
  SHORT KernelApcDisable = 0;
  SHORT SpecialApcDisable = 0;
  // APCs (ke/apc.hpp): the queues, indexed by KernelMode and UserMode (KAPC.ApcListEntry), and
  // what delivery and the wait in progress need to know.
  LIST_ENTRY ApcListHead[MaximumMode];
  bool apc_queueable = true;            // false once the thread has begun to terminate
  bool kernel_apc_in_progress = false;  // a normal kernel APC's normal routine is running
  KPROCESSOR_MODE wait_mode = KernelMode;
  bool wait_alertable = false;
  // ApcState.UserApcPending: the thread is to run its user APCs on its next return to user mode,
  // and every UserMode wait it is in or starts ends for them, alertable or not (thread
  // termination sets it; see alert_for_user_apcs).
  bool user_apc_pending = false;
  // Mutexes this thread owns (KMUTANT.MutantListEntry).
  LIST_ENTRY MutantListHead;
  KPRIORITY Priority = 8;
  // UserMode while a user thread is inside a system service (ps::SystemServiceScope) and a Zw
  // routine has not switched it back; KernelMode otherwise (ExGetPreviousMode).
  KPROCESSOR_MODE PreviousMode = KernelMode;
  NTSTATUS ExitStatus = STATUS_PENDING;
  bool exiting = false;  // terminate_current_thread has begun
  bool terminated = false;
  bool system_thread = true;
};

namespace wdmlab::ke {

// Prepares a KTHREAD's dispatcher header and lists.
void initialize_thread(_KTHREAD& thread);

// Starts `body` as a new thread context for `thread`, at PASSIVE_LEVEL, charged to `driver`.
// When body returns the thread terminates with STATUS_SUCCESS.
void start_thread(_KTHREAD& thread, std::string name, std::function<void()> body,
                  const base::DriverIdentity* driver, bool awaited);

// Terminates the running thread: runs the kernel's thread rundown (the executive's part of exit,
// which may wait), abandons mutexes it owns, runs down its APCs, signals the thread object, runs
// the exit hooks and ends the context. Must run on a thread context. The exit status is the one
// given to the first call (a rundown that ends up here again does not restart it).
[[noreturn]] void terminate_current_thread(NTSTATUS status);

// The thread a context runs for (null for DPC contexts).
inline _KTHREAD* thread_of(const sched::Context& context) { return static_cast<_KTHREAD*>(context.kernel_thread); }

}  // namespace wdmlab::ke
