#include "ke/bugcheck.hpp"

#include <wdm.h>

#include <fmt/format.h>

#include "sched/scheduler.hpp"
#include "wdmlab/errors.hpp"

namespace wdmlab::ke {

void bug_check(std::uint32_t code, std::uint64_t p1, std::uint64_t p2, std::uint64_t p3, std::uint64_t p4,
               std::string description, std::string rule, std::uintptr_t exact_pc) {
  Finding finding;
  finding.code = code;
  finding.name = bug_check_name(code);
  finding.parameters = {p1, p2, p3, p4};
  finding.description = std::move(description);
  finding.rule = std::move(rule);
  sched::Scheduler* scheduler = sched::Scheduler::current();
  if (scheduler == nullptr) {
    throw UsageError(fmt::format("bug check 0x{:X} ({}) outside a lab: {}", code, finding.name, finding.description));
  }
  scheduler->stop(std::move(finding), exact_pc);
}

void irql_too_high(const char* routine, const void* object, std::uint8_t irql, std::uint8_t maximum,
                   const void* caller, const char* rule) {
  const char* covering = irql_rule_of(routine);
  if (covering != nullptr) rule = covering;
  if (rule != nullptr) irql_rule_violation(rule, routine, maximum, caller);
  bug_check(IRQL_NOT_LESS_OR_EQUAL, reinterpret_cast<std::uintptr_t>(object), irql, 0,
            reinterpret_cast<std::uintptr_t>(caller),
            fmt::format("{} was called at IRQL {}; it must be called at IRQL <= {}.", routine, irql, maximum),
            rule != nullptr ? rule : "");
}

}  // namespace wdmlab::ke

extern "C" {

void NTAPI KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4) {
  wdmlab::ke::bug_check(BugCheckCode, P1, P2, P3, P4, "The driver called KeBugCheckEx.");
}

void NTAPI KeBugCheck(ULONG BugCheckCode) {
  wdmlab::ke::bug_check(BugCheckCode, 0, 0, 0, 0, "The driver called KeBugCheck.");
}

}  // extern "C"
