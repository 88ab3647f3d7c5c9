#include "ke/thread.hpp"

#include <fmt/format.h>

#include "base/check.hpp"
#include "base/driver_identity.hpp"
#include "ke/apc.hpp"
#include "ke/bugcheck.hpp"
#include "ke/dispatcher.hpp"
#include "ke/kernel.hpp"
#include "verifier/verifier.hpp"

namespace wdmlab::ke {

namespace {

constexpr char kCriticalRegionsCondition[] =
    "KeEnterCriticalRegion and KeLeaveCriticalRegion must be paired on every path.";
constexpr char kGuardedRegionsCondition[] =
    "KeEnterGuardedRegion and KeLeaveGuardedRegion must be paired on every path.";

// A thread must leave the critical and guarded regions it entered before it ends (DDI
// compliance: CriticalRegions, GuardedRegions).
void check_regions_left(const _KTHREAD& thread) {
  // Owned kernel mutexes disable APCs too; those are not regions.
  int regions = -thread.KernelApcDisable;
  for (const LIST_ENTRY* entry = thread.MutantListHead.Flink; entry != &thread.MutantListHead; entry = entry->Flink) {
    regions -= CONTAINING_RECORD(entry, KMUTANT, MutantListEntry)->ApcDisable;
  }
  if (regions > 0) [[unlikely]] {
    ddi_rule_violation(0x00040003, kCriticalRegionsCondition, nullptr,
                       fmt::format("The thread ended inside {} critical region(s): each "
                                                    "KeEnterCriticalRegion needs its KeLeaveCriticalRegion.",
                                   regions));
  }
  if (thread.SpecialApcDisable < 0) [[unlikely]] {
    ddi_rule_violation(0x0004000E, kGuardedRegionsCondition, nullptr,
                       fmt::format("The thread ended inside {} guarded region(s): each "
                                                    "KeEnterGuardedRegion needs its KeLeaveGuardedRegion.",
                                   -thread.SpecialApcDisable));
  }
}

// KeEnter/KeLeaveCriticalRegion and the guarded forms need IRQL <= APC_LEVEL: the DDI compliance
// rule IrqlKeApcLte2, and under Force IRQL Checking the verifier's own 0x11A (enter) / 0x11B
// (leave), [IRQL, 0, 0].
void check_region_irql(const char* routine, std::uint64_t forced_subcode, const void* caller) {
  const KIRQL irql = current_irql();
  if (irql <= APC_LEVEL) [[likely]] return;
  check_irql_rule(APC_LEVEL, routine, caller);
  if (forced_subcode != 0) {
    verifier::violation({.parameters = {forced_subcode, irql, 0, 0},
                         .description = fmt::format("{} at IRQL {}; it must be called at IRQL <= APC_LEVEL.", routine,
                                                    irql)});
  }
}

}  // namespace

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
    verifier::thread_ending();
    check_regions_left(*thread);
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
  check_region_irql("KeEnterCriticalRegion", 0x11A, __builtin_return_address(0));
  if (_KTHREAD* thread = Kernel::require().current_thread()) --thread->KernelApcDisable;
}

VOID NTAPI KeLeaveCriticalRegion(VOID) {
  wdmlab::sched::scheduling_point();
  check_region_irql("KeLeaveCriticalRegion", 0x11B, __builtin_return_address(0));
  _KTHREAD* thread = Kernel::require().current_thread();
  if (thread == nullptr) return;
  if (thread->KernelApcDisable >= 0) [[unlikely]] {
    // Not inside a critical region: the leave would enable APCs a mutex or resource relies on.
    ddi_rule_violation(0x00040003, kCriticalRegionsCondition, __builtin_return_address(0),
                       "KeLeaveCriticalRegion without a matching KeEnterCriticalRegion.");
    wdmlab::verifier::violation(
        {.parameters = {0x3E, reinterpret_cast<std::uintptr_t>(thread), 0, 0},
         .description = "KeLeaveCriticalRegion outside a critical region (no matching KeEnterCriticalRegion)."});
  }
  if (++thread->KernelApcDisable == 0) check_for_kernel_apc_delivery(*thread);
}

VOID NTAPI KeEnterGuardedRegion(VOID) {
  wdmlab::sched::scheduling_point();
  check_region_irql("KeEnterGuardedRegion", 0, __builtin_return_address(0));
  if (_KTHREAD* thread = Kernel::require().current_thread()) --thread->SpecialApcDisable;
}

VOID NTAPI KeLeaveGuardedRegion(VOID) {
  wdmlab::sched::scheduling_point();
  check_region_irql("KeLeaveGuardedRegion", 0, __builtin_return_address(0));
  _KTHREAD* thread = Kernel::require().current_thread();
  if (thread == nullptr) return;
  if (thread->SpecialApcDisable >= 0) [[unlikely]] {
    ddi_rule_violation(0x0004000E, kGuardedRegionsCondition, __builtin_return_address(0),
                       "KeLeaveGuardedRegion without a matching KeEnterGuardedRegion.");
  }
  if (++thread->SpecialApcDisable == 0) check_for_kernel_apc_delivery(*thread);
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
