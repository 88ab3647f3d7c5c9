// base/finding_parameters.hpp - what the four parameters of a bug check mean, as data.
//
// One row per bug check code, or per (code, parameter 1) for the codes whose parameter 1 is a
// subcode naming the check (0xC4, 0xC9, and the subtypes of 0xC2, 0xE4 and 0x133). The texts follow
// Microsoft's bug check reference, in the lab's words; the reports (Finding::to_text, the JSON
// and SARIF reports) print them next to the values. The table is append-only in spirit, like
// bugcodes.h: a row, once added, keeps its meaning.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace wdmlab::base {

struct ParameterMeanings {
  std::uint32_t code = 0;
  std::uint64_t subcode = 0;             // parameter 1, for the codes keyed by subcode; 0 otherwise
  bool keyed = false;                    // the row is for one subcode only
  std::array<const char*, 4> meaning{};  // "" where the parameter is unused or reserved
};

// The meanings of a finding's four parameters: the row for (code, p1) if the code is keyed by
// subcode and has one, else the row for the code. Null when the table has neither.
const ParameterMeanings* parameter_meanings(std::uint32_t code, std::uint64_t p1);
std::span<const ParameterMeanings> all_parameter_meanings();

// Microsoft's page for a bug check code ("https://learn.microsoft.com/.../bug-check-0xc4--driver-
// verifier-detected-violation"), or "" for the lab's own codes and codes without a name.
std::string bug_check_help_uri(std::uint32_t code, std::string_view name);

}  // namespace wdmlab::base
