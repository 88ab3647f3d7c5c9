#include "ke/thread.hpp"

#include <fmt/format.h>

#include "base/check.hpp"
#include "base/driver_identity.hpp"
#include "ke/apc.hpp"
#include "ke/bugcheck.hpp"
#include "ke/dispatcher.hpp"
#include "ke/kernel.hpp"

namespace wdmlab::ke {

namespace {
}

void initialize_thread(_KTHREAD& thread) {
  thread.Header.Type = ThreadObject;
  thread.Header.Size = static_cast<UCHAR>(sizeof(DISPATCHER_HEADER) / sizeof(LONG));
  thread.Header.SignalState = 0;
  InitializeListHead(&thread.Header.WaitListHead);
  InitializeListHead(&thread.MutantListHead);
  InitializeListHead(&thread.ApcListHead[KernelMode]);
  InitializeListHead(&thread.ApcListHead[UserMode]);
}

void start_thread(_KTHREAD& thread, std::string name, std::function<void()> body, const base::DriverIdentity* driver,
                  bool awaited) {
  sched::Scheduler& scheduler = Kernel::require().scheduler();
  auto run = [&thread, body = std::move(body), driver] {
    if (driver != nullptr) thread.context->push_driver(driver);
    body();
    terminate_current_thread(STATUS_SUCCESS);
  };
  sched::Context& context = scheduler.create_thread(std::move(name), std::move(run), awaited);
  thread.context = &context;
  context.kernel_thread = &thread;
}

void terminate_current_thread(NTSTATUS status) {
  Kernel& kernel = Kernel::require();
  sched::Context* context = kernel.scheduler().running();
  _KTHREAD* thread = context != nullptr ? thread_of(*context) : nullptr;
  WDMLAB_CHECK(thread != nullptr, "terminate_current_thread outside a thread");
  if (!thread->exiting) {
    thread->exiting = true;
    thread->ExitStatus = status;
    kernel.run_thread_rundown(*thread);
  }
  // A kernel mutex (one that disables APCs, as KeInitializeMutex makes them) must never outlive
  // its owner's thread: Windows stops the system. Mutant objects without APC disabling are
  // abandoned instead, and their next waiter is told so.
  for (PLIST_ENTRY entry = thread->MutantListHead.Flink; entry != &thread->MutantListHead; entry = entry->Flink) {
    KMUTANT* mutant = CONTAINING_RECORD(entry, KMUTANT, MutantListEntry);
    if (mutant->ApcDisable != 0) {
      bug_check(THREAD_TERMINATE_HELD_MUTEX, reinterpret_cast<std::uintptr_t>(thread),
                reinterpret_cast<std::uintptr_t>(mutant), 0, 0,
                fmt::format("The thread ended (status 0x{:08X}) while it still owned kernel mutex {}.",
                            static_cast<std::uint32_t>(status), static_cast<const void*>(mutant)));
    }
  }
  abandon_mutexes(*thread);
  rundown_apcs(*thread);
  thread->terminated = true;
  thread->Header.SignalState = 1;
  signal_waiters(&thread->Header);
  kernel.run_thread_exit_hooks(*thread);
  kernel.scheduler().exit_current();
}

}  // namespace wdmlab::ke

using namespace wdmlab::ke;

extern "C" {

PKTHREAD NTAPI KeGetCurrentThread(VOID) {
  wdmlab::sched::scheduling_point();
  return Kernel::require().current_thread();
}

VOID NTAPI KeEnterCriticalRegion(VOID) {
  wdmlab::sched::scheduling_point();
  if (_KTHREAD* thread = Kernel::require().current_thread()) --thread->KernelApcDisable;
}

VOID NTAPI KeLeaveCriticalRegion(VOID) {
  wdmlab::sched::scheduling_point();
  if (_KTHREAD* thread = Kernel::require().current_thread(); thread != nullptr && ++thread->KernelApcDisable == 0) {
    check_for_kernel_apc_delivery(*thread);
  }
}

VOID NTAPI KeEnterGuardedRegion(VOID) {
  wdmlab::sched::scheduling_point();
  if (_KTHREAD* thread = Kernel::require().current_thread()) --thread->SpecialApcDisable;
}

VOID NTAPI KeLeaveGuardedRegion(VOID) {
  wdmlab::sched::scheduling_point();
  if (_KTHREAD* thread = Kernel::require().current_thread(); thread != nullptr && ++thread->SpecialApcDisable == 0) {
    check_for_kernel_apc_delivery(*thread);
  }
}

BOOLEAN NTAPI KeAreApcsDisabled(VOID) {
  wdmlab::sched::scheduling_point();
  Kernel& kernel = Kernel::require();
  _KTHREAD* thread = kernel.current_thread();
  if (kernel.scheduler().irql() >= APC_LEVEL) return TRUE;
  return thread != nullptr && (thread->KernelApcDisable != 0 || thread->SpecialApcDisable != 0);
}

BOOLEAN NTAPI KeAreAllApcsDisabled(VOID) {
  wdmlab::sched::scheduling_point();
  Kernel& kernel = Kernel::require();
  _KTHREAD* thread = kernel.current_thread();
  if (kernel.scheduler().irql() >= APC_LEVEL) return TRUE;
  return thread != nullptr && thread->SpecialApcDisable != 0;
}

KPRIORITY NTAPI KeQueryPriorityThread(PKTHREAD Thread) {
  wdmlab::sched::scheduling_point();
  return Thread->Priority;
}

KPRIORITY NTAPI KeSetPriorityThread(PKTHREAD Thread, KPRIORITY Priority) {
  wdmlab::sched::scheduling_point();
  const KPRIORITY previous = Thread->Priority;
  Thread->Priority = Priority;
  return previous;
}

NTSTATUS NTAPI KeSaveFloatingPointState(PKFLOATING_SAVE FloatSave) {
  wdmlab::sched::scheduling_point();
  FloatSave->Dummy = 0;
  return STATUS_SUCCESS;
}

NTSTATUS NTAPI KeRestoreFloatingPointState(PKFLOATING_SAVE FloatSave) {
  wdmlab::sched::scheduling_point();
  (void)FloatSave;
  return STATUS_SUCCESS;
}

}  // extern "C"
