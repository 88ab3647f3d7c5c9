#include "ke/dispatcher.hpp"

#include <fmt/format.h>

#include <optional>

#include "base/check.hpp"
#include "ke/apc.hpp"
#include "ke/bugcheck.hpp"
#include "ke/thread.hpp"
#include "rtl/exception.hpp"
#include "verifier/verifier.hpp"
#include "wdmlab/errors.hpp"

namespace wdmlab::ke {

namespace {


const char* object_kind(const DISPATCHER_HEADER* header) {
  switch (header->Type) {
    case EventNotificationObject:
      return "notification event";
    case EventSynchronizationObject:
      return "synchronization event";
    case MutantObject:
      return "mutex";
    case SemaphoreObject:
      return "semaphore";
    case ThreadObject:
      return "thread";
    case ProcessObject:
      return "process";
    case TimerNotificationObject:
      return "notification timer";
    case TimerSynchronizationObject:
      return "synchronization timer";
    default:
      return "object";
  }
}

bool is_dispatcher_type(UCHAR type) {
  switch (type) {
    case EventNotificationObject:
    case EventSynchronizationObject:
    case MutantObject:
    case SemaphoreObject:
    case ThreadObject:
    case ProcessObject:
    case TimerNotificationObject:
    case TimerSynchronizationObject:
      return true;
    default:
      return false;
  }
}

bool signaled_for(const DISPATCHER_HEADER* header, const _KTHREAD* thread) {
  if (header->Type == MutantObject) {
    const auto* mutant = reinterpret_cast<const KMUTANT*>(header);
    return header->SignalState > 0 || mutant->OwnerThread == thread;
  }
  return header->SignalState > 0;
}

// Takes the object for `thread` (the side effect of a satisfied wait). Returns true if it was an
// abandoned mutex.
bool acquire(DISPATCHER_HEADER* header, _KTHREAD* thread) {
  switch (header->Type) {
    case EventSynchronizationObject:
    case TimerSynchronizationObject:
      header->SignalState = 0;
      return false;
    case SemaphoreObject:
      --header->SignalState;
      return false;
    case MutantObject: {
      auto* mutant = reinterpret_cast<KMUTANT*>(header);
      --header->SignalState;
      if (header->SignalState == 0) {
        mutant->OwnerThread = thread;
        InsertHeadList(&thread->MutantListHead, &mutant->MutantListEntry);
        thread->KernelApcDisable = static_cast<SHORT>(thread->KernelApcDisable - mutant->ApcDisable);
      }
      if (mutant->Abandoned != 0) {
        mutant->Abandoned = 0;
        return true;
      }
      return false;
    }
    default:
      return false;
  }
}

void unlink_wait(_KTHREAD& thread) {
  for (ULONG i = 0; i < thread.wait_count; ++i) {
    KWAIT_BLOCK& block = thread.wait_block_list[i];
    if (block.BlockState != 0) {
      RemoveEntryListUnsafe(&block.WaitListEntry);
      block.BlockState = 0;
    }
  }
  thread.waiting = false;
  thread.wait_count = 0;
}

void on_wait_timeout(void* argument) {
  auto* thread = static_cast<_KTHREAD*>(argument);
  thread->wait_timer = {};
  if (!thread->waiting) return;
  unlink_wait(*thread);
  Kernel::require().scheduler().wake(*thread->context, STATUS_TIMEOUT);
}

void explain_wait(const sched::Context& context, sched::WaitReport& report) {
  const _KTHREAD* thread = thread_of(context);
  if (thread == nullptr || !thread->waiting) {
    report.description = "a wait";
    return;
  }
  if (thread->wait_count == 0) {
    report.description = fmt::format("a delay until virtual time {}", thread->wait_timer.due);
    return;
  }
  std::string objects;
  for (ULONG i = 0; i < thread->wait_count; ++i) {
    const auto* header = static_cast<const DISPATCHER_HEADER*>(thread->wait_block_list[i].Object);
    if (!objects.empty()) objects += thread->wait_type == WaitAll ? " and " : " or ";
    const Kernel* kernel = Kernel::current();
    const Kernel::WaitOwner lock = kernel != nullptr && kernel->wait_owner_resolver() != nullptr
                                       ? kernel->wait_owner_resolver()(header)
                                       : Kernel::WaitOwner{};
    if (lock.lock_kind != nullptr) {
      objects += fmt::format("{} {}", lock.lock_kind, lock.lock);
      if (lock.owner != nullptr) {
        objects += fmt::format(" (owned by {})", lock.owner->name());
        report.owners.push_back(lock.owner);
      }
      continue;
    }
    objects += fmt::format("{} {}", object_kind(header), static_cast<const void*>(header));
    if (header->Type == MutantObject) {
      const auto* owner = reinterpret_cast<const KMUTANT*>(header)->OwnerThread;
      if (owner != nullptr && owner->context != nullptr) {
        objects += fmt::format(" (owned by {})", owner->context->name());
        report.owners.push_back(owner->context);
      }
    } else if (header->Type == ThreadObject) {
      const auto* waited = reinterpret_cast<const _KTHREAD*>(header);
      if (waited->context != nullptr) {
        objects += fmt::format(" ({})", waited->context->name());
        report.owners.push_back(waited->context);
      }
    }
  }
  report.description = objects;
}

// A wait as the wait loop sees it: its objects, how it may end, and its absolute due time.
struct Wait {
  ULONG count;
  PVOID* objects;
  WAIT_TYPE type;
  KPROCESSOR_MODE mode;
  BOOLEAN alertable;
  sched::Time due;  // kNever: no timeout
  PKWAIT_BLOCK wait_block_array;
};

// Takes the objects for `thread` if the wait is satisfied now and returns its status; nothing if
// it is not.
std::optional<NTSTATUS> satisfy_now(const Wait& wait, _KTHREAD* thread) {
  if (wait.type == WaitAny) {
    for (ULONG i = 0; i < wait.count; ++i) {
      auto* header = static_cast<DISPATCHER_HEADER*>(wait.objects[i]);
      if (signaled_for(header, thread)) {
        bool abandoned = acquire(header, thread);
        return (abandoned ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0) + static_cast<NTSTATUS>(i);
      }
    }
    return std::nullopt;
  }
  for (ULONG i = 0; i < wait.count; ++i) {
    if (!signaled_for(static_cast<DISPATCHER_HEADER*>(wait.objects[i]), thread)) return std::nullopt;
  }
  bool abandoned = false;
  for (ULONG i = 0; i < wait.count; ++i) abandoned |= acquire(static_cast<DISPATCHER_HEADER*>(wait.objects[i]), thread);
  return abandoned ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0;
}

// Links the thread's wait blocks into the objects, arms the timeout and blocks until an object,
// the timeout or an APC ends the wait; returns the status it ended with.
NTSTATUS block_in_wait(Kernel& kernel, _KTHREAD* thread, const Wait& wait) {
  if (thread == nullptr) throw UsageError("a wait cannot block on the host; run the waiting code in a lab thread");
  sched::Scheduler& scheduler = kernel.scheduler();
  thread->wait_block_list = wait.count > THREAD_WAIT_OBJECTS ? wait.wait_block_array : thread->wait_blocks;
  thread->wait_count = wait.count;
  thread->wait_type = wait.type;
  thread->wait_mode = wait.mode;
  thread->wait_alertable = wait.alertable != FALSE;
  thread->waiting = true;
  for (ULONG i = 0; i < wait.count; ++i) {
    KWAIT_BLOCK& block = thread->wait_block_list[i];
    auto* header = static_cast<DISPATCHER_HEADER*>(wait.objects[i]);
    block.Thread = thread;
    block.Object = header;
    block.WaitKey = static_cast<USHORT>(i);
    block.WaitType = static_cast<UCHAR>(wait.type);
    block.BlockState = 1;
    InsertTailList(&header->WaitListHead, &block.WaitListEntry);
  }
  if (wait.due != sched::kNever) thread->wait_timer = scheduler.add_timer(wait.due, &on_wait_timeout, thread);
  const sched::BlockReason reason =
      wait.count == 0 ? sched::BlockReason{"delay", nullptr, &explain_wait, false}
                      : sched::BlockReason{object_kind(static_cast<DISPATCHER_HEADER*>(wait.objects[0])),
                                           wait.objects[0], &explain_wait, false};
  return static_cast<NTSTATUS>(scheduler.block(reason));
}

bool user_apc_ends_wait(const _KTHREAD* thread, KPROCESSOR_MODE mode, BOOLEAN alertable) {
  return thread != nullptr && mode == UserMode && (alertable != FALSE || thread->user_apc_pending) &&
         user_apcs_pending(*thread);
}

// The wait loop, as Windows runs it: a satisfied wait takes the objects; otherwise an alertable
// user-mode wait ends for a queued user APC, a wait past its due time times out, and anything
// else blocks. A kernel APC that interrupts the block has run on this thread by the time block
// returns (the scheduler takes the APC interrupt as the thread resumes), and the wait starts
// again with the same due time.
NTSTATUS wait_until(Kernel& kernel, const Wait& wait) {
  _KTHREAD* thread = kernel.current_thread();
  for (;;) {
    if (const std::optional<NTSTATUS> status = satisfy_now(wait, thread)) return *status;
    if (user_apc_ends_wait(thread, wait.mode, wait.alertable)) return STATUS_USER_APC;
    if (wait.due <= kernel.scheduler().now()) return STATUS_TIMEOUT;
    const NTSTATUS status = block_in_wait(kernel, thread, wait);
    if (status != STATUS_KERNEL_APC) return status;
  }
}

}  // namespace

// Windows 10's verifier splits the older 0x3B three ways (see the header).
void report_wait_at_raised_irql(sched::Irql irql, const void* object, const LARGE_INTEGER* timeout) {
  const std::uint64_t subcode = irql > DISPATCH_LEVEL ? 0x120 : timeout == nullptr ? 0x121 : 0x122;
  verifier::violation(
      {.parameters = {subcode, irql, reinterpret_cast<std::uintptr_t>(object),
                      reinterpret_cast<std::uintptr_t>(timeout)},
       .description = fmt::format("A wait on {} at IRQL {} with {}; waits need IRQL <= APC_LEVEL, or DISPATCH_LEVEL "
                                  "with a zero timeout.",
                                  object, irql, timeout == nullptr ? "no timeout" : "a nonzero timeout")});
}

void signal_waiters(DISPATCHER_HEADER* header) {
  PLIST_ENTRY entry = header->WaitListHead.Flink;
  while (entry != &header->WaitListHead && header->SignalState > 0) {
    KWAIT_BLOCK* block = CONTAINING_RECORD(entry, KWAIT_BLOCK, WaitListEntry);
    entry = entry->Flink;
    _KTHREAD* thread = block->Thread;
    if (block->WaitType == WaitAny) {
      bool abandoned = acquire(header, thread);
      end_wait(*thread, (abandoned ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0) + block->WaitKey);
      continue;
    }
    bool all = true;
    for (ULONG i = 0; i < thread->wait_count && all; ++i) {
      all = signaled_for(static_cast<DISPATCHER_HEADER*>(thread->wait_block_list[i].Object), thread);
    }
    if (!all) continue;
    bool abandoned = false;
    for (ULONG i = 0; i < thread->wait_count; ++i) {
      abandoned |= acquire(static_cast<DISPATCHER_HEADER*>(thread->wait_block_list[i].Object), thread);
    }
    end_wait(*thread, abandoned ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0);
  }
}

NTSTATUS wait_for_objects(ULONG count, PVOID objects[], WAIT_TYPE wait_type, KPROCESSOR_MODE wait_mode,
                          BOOLEAN alertable, PLARGE_INTEGER timeout, PKWAIT_BLOCK wait_block_array,
                          const void* caller) {
  sched::scheduling_point();
  Kernel& kernel = Kernel::require();
  sched::Scheduler& scheduler = kernel.scheduler();
  const bool poll = timeout != nullptr && timeout->QuadPart == 0;
  const sched::Irql irql = scheduler.irql();
  const auto caller_pc = reinterpret_cast<std::uintptr_t>(caller);
  if (count > MAXIMUM_WAIT_OBJECTS || (count > THREAD_WAIT_OBJECTS && wait_block_array == nullptr)) {
    bug_check(MAXIMUM_WAIT_OBJECTS_EXCEEDED, count, 0, 0, 0,
              fmt::format("KeWaitForMultipleObjects with {} objects{}; the limit is {} with a WaitBlockArray and "
                          "{} without one.",
                          count, wait_block_array == nullptr ? " and no WaitBlockArray" : "", MAXIMUM_WAIT_OBJECTS,
                          THREAD_WAIT_OBJECTS));
  }
  if (irql >= DISPATCH_LEVEL && !(irql == DISPATCH_LEVEL && poll)) [[unlikely]] {
    report_wait_at_raised_irql(irql, count > 0 ? objects[0] : nullptr, timeout);
  }
  sched::Context* running = scheduler.running();
  if (!poll && running != nullptr && running->kind() == sched::ContextKind::DpcStack) {
    bug_check(ATTEMPTED_SWITCH_FROM_DPC, 0, 0, 0, 0,
              "A DPC routine waited on a dispatcher object with a nonzero timeout; DPCs cannot wait.");
  }
  if ((!poll && irql > APC_LEVEL) || irql > DISPATCH_LEVEL) {
    bug_check(IRQL_NOT_LESS_OR_EQUAL, reinterpret_cast<std::uintptr_t>(count > 0 ? objects[0] : nullptr), irql, 0,
              caller_pc,
              fmt::format("A wait with {} was called at IRQL {}; waits need IRQL <= APC_LEVEL, or DISPATCH_LEVEL "
                          "with a zero timeout.",
                          timeout == nullptr ? "no timeout" : "a nonzero timeout", irql),
              "IrqlKeWaitForMultipleObjects");
  }
  for (ULONG i = 0; i < count; ++i) {
    auto* header = static_cast<DISPATCHER_HEADER*>(objects[i]);
    if (header == nullptr || !is_dispatcher_type(header->Type)) {
      bug_check(KMODE_EXCEPTION_NOT_HANDLED, static_cast<std::uint32_t>(STATUS_ACCESS_VIOLATION), caller_pc, 0,
                reinterpret_cast<std::uintptr_t>(header),
                fmt::format("Object {} passed to a wait is not a dispatcher object (its header type is {}).",
                            static_cast<const void*>(header), header == nullptr ? -1 : header->Type));
    }
  }
  const sched::Time due = timeout == nullptr ? sched::kNever : due_time_to_virtual(kernel, timeout->QuadPart);
  // Deadlock detection follows kernel mutexes (KeInitializeMutex's, which disable APCs; not
  // mutants, which may be abandoned) taken by single-object waits.
  void* mutex = nullptr;
  if (count == 1 && static_cast<DISPATCHER_HEADER*>(objects[0])->Type == MutantObject &&
      static_cast<KMUTANT*>(objects[0])->ApcDisable != 0) {
    mutex = objects[0];
  }
  if (mutex != nullptr) verifier::before_acquire(mutex, verifier::LockKind::Mutex, {.recursion_allowed = true});
  const NTSTATUS status = wait_until(kernel, {count, objects, wait_type, wait_mode, alertable, due, wait_block_array});
  if (mutex != nullptr && (status == STATUS_WAIT_0 || status == STATUS_ABANDONED_WAIT_0)) {
    verifier::acquired(mutex, verifier::LockKind::Mutex, {.recursion_allowed = true});
  }
  return status;
}

NTSTATUS delay_execution(KPROCESSOR_MODE wait_mode, BOOLEAN alertable, sched::Time due) {
  Kernel& kernel = Kernel::require();
  if (due <= kernel.scheduler().now() && !user_apc_ends_wait(kernel.current_thread(), wait_mode, alertable)) {
    kernel.scheduler().yield();  // a zero delay gives up the rest of the quantum
    return STATUS_SUCCESS;
  }
  const NTSTATUS status = wait_until(kernel, {0, nullptr, WaitAny, wait_mode, alertable, due, nullptr});
  return status == STATUS_TIMEOUT ? STATUS_SUCCESS : status;
}

bool end_wait(_KTHREAD& thread, NTSTATUS status) {
  if (!thread.waiting) return false;
  unlink_wait(thread);
  Kernel::require().scheduler().cancel_timer(thread.wait_timer);
  Kernel::require().scheduler().wake(*thread.context, status);
  return true;
}

void abandon_mutexes(_KTHREAD& thread) {
  while (!IsListEmpty(&thread.MutantListHead)) {
    PLIST_ENTRY entry = RemoveHeadList(&thread.MutantListHead);
    KMUTANT* mutant = CONTAINING_RECORD(entry, KMUTANT, MutantListEntry);
    mutant->OwnerThread = nullptr;
    mutant->Abandoned = 1;
    mutant->Header.SignalState = 1;
    thread.KernelApcDisable = static_cast<SHORT>(thread.KernelApcDisable + mutant->ApcDisable);
    signal_waiters(&mutant->Header);
  }
}

}  // namespace wdmlab::ke

using namespace wdmlab::ke;

namespace {

// Deadlock detection: KeReleaseMutex by a thread that does not own the mutex. [mutex, owner,
// releasing thread] when another thread owns it (0x1004); [mutex] when nobody does (0x1007).
void report_release_of_unowned_mutex(const KMUTEX* mutex, const _KTHREAD* thread) {
  const auto address = [](const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); };
  if (mutex->OwnerThread == nullptr) {
    wdmlab::verifier::violation({.parameters = {0x1007, address(mutex), 0, 0},
                                 .description = fmt::format("KeReleaseMutex on mutex {}, which no thread owns.",
                                                            static_cast<const void*>(mutex))});
    return;
  }
  const auto name = [](const _KTHREAD* t) { return t != nullptr && t->context != nullptr ? t->context->name() : "?"; };
  wdmlab::verifier::violation(
      {.parameters = {0x1004, address(mutex), address(mutex->OwnerThread), address(thread)},
       .description = fmt::format("KeReleaseMutex by thread {} on mutex {}, which thread {} owns.", name(thread),
                                  static_cast<const void*>(mutex), name(mutex->OwnerThread))});
}

}  // namespace

extern "C" {

NTSTATUS NTAPI KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
                                     BOOLEAN Alertable, PLARGE_INTEGER Timeout) {
  (void)WaitReason;
  PVOID objects[1] = {Object};
  return wait_for_objects(1, objects, WaitAny, WaitMode, Alertable, Timeout, nullptr, __builtin_return_address(0));
}

NTSTATUS NTAPI KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType, KWAIT_REASON WaitReason,
                                        KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout,
                                        PKWAIT_BLOCK WaitBlockArray) {
  (void)WaitReason;
  return wait_for_objects(Count, Object, WaitType, WaitMode, Alertable, Timeout, WaitBlockArray,
                          __builtin_return_address(0));
}

// --- events ----------------------------------------------------------------------------------------

VOID NTAPI KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State) {
  wdmlab::sched::scheduling_point();
  Event->Header.Type = static_cast<UCHAR>(Type == NotificationEvent ? EventNotificationObject
                                                                    : EventSynchronizationObject);
  Event->Header.Size = static_cast<UCHAR>(sizeof(KEVENT) / sizeof(LONG));
  Event->Header.Signalling = 0;
  Event->Header.DpcActive = 0;
  Event->Header.SignalState = State ? 1 : 0;
  InitializeListHead(&Event->Header.WaitListHead);
}

LONG NTAPI KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait) {
  (void)Increment;
  wdmlab::sched::scheduling_point();
  // Wait = TRUE promises a wait right after, so the caller must be able to wait.
  check_irql_rule(Wait ? APC_LEVEL : DISPATCH_LEVEL, "KeSetEvent", __builtin_return_address(0));
  const LONG previous = Event->Header.SignalState;
  Event->Header.SignalState = 1;
  signal_waiters(&Event->Header);
  return previous;
}

LONG NTAPI KeResetEvent(PRKEVENT Event) {
  wdmlab::sched::scheduling_point();
  check_irql_rule(DISPATCH_LEVEL, "KeResetEvent", __builtin_return_address(0));
  const LONG previous = Event->Header.SignalState;
  Event->Header.SignalState = 0;
  return previous;
}

VOID NTAPI KeClearEvent(PRKEVENT Event) {
  wdmlab::sched::scheduling_point();
  check_irql_rule(DISPATCH_LEVEL, "KeClearEvent", __builtin_return_address(0));
  Event->Header.SignalState = 0;
}

LONG NTAPI KeReadStateEvent(PRKEVENT Event) {
  wdmlab::sched::scheduling_point();
  check_irql_rule(DISPATCH_LEVEL, "KeReadStateEvent", __builtin_return_address(0));
  return Event->Header.SignalState;
}

LONG NTAPI KePulseEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait) {
  (void)Increment;
  (void)Wait;
  wdmlab::sched::scheduling_point();
  check_irql_rule(DISPATCH_LEVEL, "KePulseEvent", __builtin_return_address(0));
  const LONG previous = Event->Header.SignalState;
  Event->Header.SignalState = 1;
  signal_waiters(&Event->Header);
  Event->Header.SignalState = 0;
  return previous;
}

// --- semaphores ------------------------------------------------------------------------------------

VOID NTAPI KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit) {
  wdmlab::sched::scheduling_point();
  Semaphore->Header.Type = SemaphoreObject;
  Semaphore->Header.Size = static_cast<UCHAR>(sizeof(KSEMAPHORE) / sizeof(LONG));
  Semaphore->Header.SignalState = Count;
  InitializeListHead(&Semaphore->Header.WaitListHead);
  Semaphore->Limit = Limit;
}

LONG NTAPI KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment, BOOLEAN Wait) {
  (void)Increment;
  (void)Wait;
  wdmlab::sched::scheduling_point();
  check_irql_rule(DISPATCH_LEVEL, "KeReleaseSemaphore", __builtin_return_address(0));
  const LONG previous = Semaphore->Header.SignalState;
  const long long next = static_cast<long long>(previous) + Adjustment;
  if (Adjustment <= 0 || next > Semaphore->Limit) {
    wdmlab::rtl::raise_status(STATUS_SEMAPHORE_LIMIT_EXCEEDED, __builtin_return_address(0));
  }
  Semaphore->Header.SignalState = static_cast<LONG>(next);
  signal_waiters(&Semaphore->Header);
  return previous;
}

LONG NTAPI KeReadStateSemaphore(PRKSEMAPHORE Semaphore) {
  wdmlab::sched::scheduling_point();
  return Semaphore->Header.SignalState;
}

// --- mutexes -----------------------------------------------------------------------------------------

VOID NTAPI KeInitializeMutex(PRKMUTEX Mutex, ULONG Level) {
  (void)Level;
  wdmlab::sched::scheduling_point();
  wdmlab::verifier::forget_lock(Mutex);
  Mutex->Header.Type = MutantObject;
  Mutex->Header.Size = static_cast<UCHAR>(sizeof(KMUTEX) / sizeof(LONG));
  Mutex->Header.SignalState = 1;
  InitializeListHead(&Mutex->Header.WaitListHead);
  Mutex->OwnerThread = nullptr;
  Mutex->Abandoned = 0;
  Mutex->ApcDisable = 1;
  Mutex->MutantListEntry.Flink = Mutex->MutantListEntry.Blink = nullptr;
}

LONG NTAPI KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait) {
  (void)Wait;
  wdmlab::sched::scheduling_point();
  check_irql_rule(DISPATCH_LEVEL, "KeReleaseMutex", __builtin_return_address(0));
  _KTHREAD* thread = Kernel::require().current_thread();
  const LONG previous = Mutex->Header.SignalState;
  if (Mutex->OwnerThread != thread) [[unlikely]] {
    report_release_of_unowned_mutex(Mutex, thread);
    // Documented: a release by a thread that does not hold the mutex raises an exception (the
    // caller may handle it); the mutex is left as it was.
    wdmlab::rtl::raise_status(Mutex->Abandoned != 0 ? STATUS_ABANDONED : STATUS_MUTANT_NOT_OWNED,
                              __builtin_return_address(0));
  }
  if (Mutex->ApcDisable != 0) wdmlab::verifier::before_release(Mutex, wdmlab::verifier::LockKind::Mutex);
  ++Mutex->Header.SignalState;
  if (Mutex->Header.SignalState == 1) {
    Mutex->OwnerThread = nullptr;
    RemoveEntryList(&Mutex->MutantListEntry);
    thread->KernelApcDisable = static_cast<SHORT>(thread->KernelApcDisable + Mutex->ApcDisable);
    signal_waiters(&Mutex->Header);
    check_for_kernel_apc_delivery(*thread);
  }
  return previous;
}

LONG NTAPI KeReadStateMutex(PRKMUTEX Mutex) {
  wdmlab::sched::scheduling_point();
  return Mutex->Header.SignalState;
}

LONG NTAPI KeReadStateThread(PKTHREAD Thread) {
  wdmlab::sched::scheduling_point();
  return Thread->Header.SignalState;
}

}  // extern "C"
