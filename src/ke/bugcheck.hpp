// ke/bugcheck.hpp - stopping the run with a Windows bug check.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sched/scheduler.hpp"

namespace wdmlab::ke {

// Stops the run with bug check `code` (named from bugcodes.h), charged to the driver the running
// context is executing. `exact_pc`, when nonzero, becomes the first stack frame (a fault). On
// the host it throws UsageError.
[[noreturn]] void bug_check(std::uint32_t code, std::uint64_t p1, std::uint64_t p2, std::uint64_t p3,
                            std::uint64_t p4, std::string description, std::string rule = {},
                            std::uintptr_t exact_pc = 0);

// The current processor's IRQL; PASSIVE_LEVEL on the host (test code calling a routine directly).
inline std::uint8_t current_irql() {
  const sched::Scheduler* scheduler = sched::Scheduler::current();
  return scheduler != nullptr ? scheduler->irql() : sched::kPassiveLevel;
}

// DDI compliance checking (verifier /flags 0x20000): a rule with a Driver Verifier ID broken by
// the caller, 0xC4 [id, condition, 0 (the rule's state), caller]. `condition` is static text
// saying what the rule requires, as Windows points parameter 2 at the rule's message. Returns
// when nothing was reported.
void ddi_rule_violation(std::uint64_t id, const char* condition, const void* caller, std::string description);

// The DDI compliance Irql* rule (Static Driver Verifier's name) that covers `routine`, or null.
const char* irql_rule_of(std::string_view routine);

// DDI compliance checking (verifier /flags 0x20000): `routine` was called above `maximum`,
// breaking `rule` (an Irql* rule with a Driver Verifier ID). Reports 0xC4 with the rule's ID,
// P2 = the text of the condition broken, P3 = 0 (the rule's state), P4 = the caller. Returns
// when nothing was reported (the option is off for the caller, or the rule has no ID).
void irql_rule_violation(const char* rule, const char* routine, std::uint8_t maximum, const void* caller);

// The DDI compliance check alone, for routines whose IRQL contract the kernel itself does not
// enforce (Windows carries on without Driver Verifier): `routine` must run at IRQL <= maximum.
inline void check_irql_rule(std::uint8_t maximum, const char* routine, const void* caller) {
  const std::uint8_t irql = current_irql();
  if (irql > maximum) [[unlikely]] irql_rule_violation(irql_rule_of(routine), routine, maximum, caller);
}

// A routine called above the highest IRQL it allows: under DDI compliance checking, the Irql*
// rule that covers it (irql_rule_of, else `rule`); otherwise bug check 0xA IRQL_NOT_LESS_OR_EQUAL
// with the parameters Windows uses for an access at a bad IRQL, [object, IRQL, 0, caller].
[[noreturn]] void irql_too_high(const char* routine, const void* object, std::uint8_t irql, std::uint8_t maximum,
                                const void* caller, const char* rule = nullptr);

// Checks a routine's IRQL contract (IRQL <= maximum) and reports irql_too_high otherwise.
inline void require_irql_at_most(std::uint8_t maximum, const char* routine, const void* caller,
                                 const void* object = nullptr, const char* rule = nullptr) {
  const std::uint8_t irql = current_irql();
  if (irql > maximum) [[unlikely]] irql_too_high(routine, object, irql, maximum, caller, rule);
}

}  // namespace wdmlab::ke
