// ke/bugcheck.hpp - stopping the run with a Windows bug check.
#pragma once

#include <cstdint>
#include <string>

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

// Bug check 0xA IRQL_NOT_LESS_OR_EQUAL with the parameters Windows uses for an access at a bad
// IRQL, [object, IRQL, 0, caller], for a routine called above the highest IRQL it allows.
[[noreturn]] void irql_too_high(const char* routine, const void* object, std::uint8_t irql, std::uint8_t maximum,
                                const void* caller, const char* rule = nullptr);

// Checks a routine's IRQL contract (IRQL <= maximum) and reports irql_too_high otherwise.
inline void require_irql_at_most(std::uint8_t maximum, const char* routine, const void* caller,
                                 const void* object = nullptr, const char* rule = nullptr) {
  const std::uint8_t irql = current_irql();
  if (irql > maximum) [[unlikely]] irql_too_high(routine, object, irql, maximum, caller, rule);
}

}  // namespace wdmlab::ke
