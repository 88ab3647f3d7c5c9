// IRQL routines, PAGED_CODE(), and the processor spin-wait hint.
#include <fmt/format.h>

#include "ke/bugcheck.hpp"
#include "ke/kernel.hpp"
#include "verifier/verifier.hpp"

namespace {

wdmlab::sched::Scheduler& scheduler() { return wdmlab::ke::Kernel::require().scheduler(); }

// The current context is a DPC routine's (a processor's DPC context).
bool in_dpc(const wdmlab::sched::Scheduler& s) {
  return s.running() != nullptr && s.running()->kind() == wdmlab::sched::ContextKind::DpcStack;
}

KIRQL raise_to(KIRQL level, const void* caller) {
  wdmlab::sched::scheduling_point();
  wdmlab::sched::Scheduler& s = scheduler();
  const KIRQL old = s.irql();
  if (level < old || level > HIGH_LEVEL) [[unlikely]] {
    wdmlab::verifier::violation({.parameters = {0x30, old, level, 0},
                                 .description = fmt::format("KeRaiseIrql from IRQL {} to {}: raising must not lower "
                                                            "the IRQL, and the new IRQL must be valid.",
                                                            old, level)});
    wdmlab::ke::bug_check(IRQL_NOT_GREATER_OR_EQUAL, old, level, 0, reinterpret_cast<std::uintptr_t>(caller),
                          fmt::format("KeRaiseIrql from IRQL {} to {}: raising must not lower the IRQL.", old, level),
                          "IrqlKeRaiseLower");
  }
  if (wdmlab::VerifierCounters* counters = wdmlab::verifier::counters();
      counters != nullptr && wdmlab::verifier::flags() != 0) {
    ++counters->raise_irqls;
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
  const bool below_dpc = NewIrql < DISPATCH_LEVEL && in_dpc(s);
  if (NewIrql > current || below_dpc) [[unlikely]] {
    wdmlab::verifier::violation(
        {.parameters = {0x31, current, NewIrql, below_dpc ? 1u : 0u},
         .description = below_dpc ? fmt::format("KeLowerIrql to IRQL {} inside a DPC routine, which runs at "
                                                "DISPATCH_LEVEL and must return at it.",
                                                NewIrql)
                                  : fmt::format("KeLowerIrql from IRQL {} to {}: lowering must not raise the IRQL.",
                                                current, NewIrql)});
  }
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
