// verifier/rules.hpp - every check the lab's Driver Verifier makes, as data.
//
// One row per (bug check code, parameter 1): the option bit that turns the check on, Microsoft's
// severity, the rule name where Microsoft gives one, and what the check means. The table is
// append-only, like bugcodes.h; a check that is not in it is reported as fatal under the
// automatic checks.
#pragma once

#include <cstdint>
#include <span>

#include "wdmlab/finding.hpp"

namespace wdmlab::verifier {

// The option a check belongs to: a `verifier /flags` bit, or kAutomatic (on for every verified
// driver).
inline constexpr std::uint32_t kAutomatic = 0;

struct Rule {
  std::uint32_t code = 0;     // bug check: 0xC4, 0xC9, 0xC1, ...
  std::uint64_t subcode = 0;  // parameter 1, for codes whose parameter 1 names the rule
  std::uint32_t option = kAutomatic;
  Severity severity = Severity::Fatal;
  const char* name = "";     // Microsoft's rule name (DDI compliance, SDV), or empty
  const char* meaning = "";  // one line, in the lab's words
};

// Codes whose parameter 1 is a subcode naming the rule (0xC4, 0xC9); for the others, the row has
// subcode 0 and covers every parameter 1.
bool keyed_by_subcode(std::uint32_t code);

// The row for a check, or null when the table has none.
const Rule* find_rule(std::uint32_t code, std::uint64_t subcode);
// The row for a DDI compliance rule, by name ("IrqlExAllocatePool"), or null.
const Rule* find_rule_by_name(std::string_view name);
std::span<const Rule> all_rules();

}  // namespace wdmlab::verifier
