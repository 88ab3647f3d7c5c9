// IRQL routines, PAGED_CODE(), and the processor spin-wait hint.
#include <fmt/format.h>

#include "ke/bugcheck.hpp"
#include "ke/kernel.hpp"

namespace {


wdmlab::sched::Scheduler& scheduler() { return wdmlab::ke::Kernel::require().scheduler(); }

KIRQL raise_to(KIRQL level, const void* caller) {
  wdmlab::sched::scheduling_point();
  wdmlab::sched::Scheduler& s = scheduler();
  const KIRQL old = s.irql();
  if (level < old || level > HIGH_LEVEL) {
    wdmlab::ke::bug_check(IRQL_NOT_GREATER_OR_EQUAL, old, level, 0, reinterpret_cast<std::uintptr_t>(caller),
                          fmt::format("KeRaiseIrql from IRQL {} to {}: raising must not lower the IRQL.", old, level),
                          "IrqlKeRaiseLower");
  }
  s.set_irql(level);
  return old;
}

}  // namespace

extern "C" {

KIRQL NTAPI KeGetCurrentIrql(VOID) {
  wdmlab::sched::scheduling_point();
  wdmlab::sched::Scheduler* s = wdmlab::sched::Scheduler::current();
  return s != nullptr ? s->irql() : PASSIVE_LEVEL;
}

KIRQL NTAPI KfRaiseIrql(KIRQL NewIrql) { return raise_to(NewIrql, __builtin_return_address(0)); }

KIRQL NTAPI KeRaiseIrqlToDpcLevel(VOID) { return raise_to(DISPATCH_LEVEL, __builtin_return_address(0)); }

KIRQL NTAPI KeRaiseIrqlToSynchLevel(VOID) { return raise_to(SYNCH_LEVEL, __builtin_return_address(0)); }

VOID NTAPI KeLowerIrql(KIRQL NewIrql) {
  wdmlab::sched::scheduling_point();
  wdmlab::sched::Scheduler& s = scheduler();
  const KIRQL current = s.irql();
  if (NewIrql > current) {
    wdmlab::ke::bug_check(IRQL_NOT_LESS_OR_EQUAL, 0, current, NewIrql,
                          reinterpret_cast<std::uintptr_t>(__builtin_return_address(0)),
                          fmt::format("KeLowerIrql from IRQL {} to {}: lowering must not raise the IRQL "
                                      "(parameter 2 = current IRQL, parameter 3 = requested IRQL).",
                                      current, NewIrql),
                          "IrqlKeRaiseLower");
  }
  s.set_irql(NewIrql);
}

VOID NTAPI wdmlab_paged_code_check(VOID) {
  wdmlab::sched::scheduling_point();
  wdmlab::sched::Scheduler* s = wdmlab::sched::Scheduler::current();
  if (s == nullptr) return;
  const KIRQL irql = s->irql();
  if (irql > APC_LEVEL) {
    // The return address lies in the pageable function that used PAGED_CODE().
    const auto address = reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
    wdmlab::ke::bug_check(DRIVER_IRQL_NOT_LESS_OR_EQUAL, address, irql, 8, address,
                          fmt::format("Pageable code (PAGED_CODE()) ran at IRQL {}. Windows pages such code out, and "
                                      "executing it at DISPATCH_LEVEL or above faults (parameter 3 = 8: execute).",
                                      irql),
                          "PagedCode");
  }
}

VOID NTAPI wdmlab_yield_processor(VOID) { wdmlab::sched::scheduling_point(); }

}  // extern "C"
