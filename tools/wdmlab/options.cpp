#include "options.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "wdmlab/errors.hpp"
#include "wdmlab/verifier.hpp"

namespace wdmlab::cli {

void add_machine_options(CLI::App& command, MachineOptions& machine, bool processors) {
  if (processors) {
    command.add_option("-p,--processors", machine.processors, "Simulated processors (1-64)")->check(CLI::Range(1, 64));
  }
  command.add_option("--verifier", machine.verifier,
                     "Driver Verifier flags: a number (0x209BB) or names joined by | or , (standard, lowres, ...); "
                     "0 = not verified");
  command.add_option("--disable-rule", machine.disabled_rules,
                     "Turn off the rule with this 0xC4 parameter 1 (verifier /rules disable); repeatable");
  command.add_option("--driver-verifier", machine.driver_verifier,
                     "NAME=FLAGS: verifier flags for one driver; repeatable");
}

void add_report_options(CLI::App& command, ReportOptions& reports, const char* json_help) {
  command.add_option("--json", reports.json, json_help);
  command.add_option("--sarif", reports.sarif, "Write the findings as SARIF 2.1.0 to this file");
  command.add_option("--source-root", reports.source_root,
                     "Directory SARIF source paths are relative to (uriBaseId SRCROOT)");
}

std::uint64_t parse_number(const std::string& text, const char* what) {
  std::size_t used = 0;
  std::uint64_t value = 0;
  try {
    if (!text.empty() && text.front() != '-') value = std::stoull(text, &used, 0);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) {
    throw UsageError(fmt::format("{} '{}' is not a number (decimal, or hex with 0x)", what, text));
  }
  return value;
}

LabOptions lab_options(const MachineOptions& machine) {
  LabOptions options{.processors = machine.processors};
  options.verifier.flags = parse_verifier_flags(machine.verifier);
  for (const std::string& rule : machine.disabled_rules) {
    options.verifier.disabled_rules.insert(parse_number(rule, "--disable-rule"));
  }
  for (const std::string& entry : machine.driver_verifier) {
    const std::size_t equals = entry.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw UsageError(fmt::format("--driver-verifier '{}' should be NAME=FLAGS", entry));
    }
    options.verifier.driver_flags[entry.substr(0, equals)] = parse_verifier_flags(entry.substr(equals + 1));
  }
  if ((options.verifier.flags & ~kVerifierKnownFlags) != 0) {
    throw UsageError(fmt::format("--verifier 0x{:X} has bits the lab does not know (0x{:X}); known: 0x{:X}",
                                 options.verifier.flags, options.verifier.flags & ~kVerifierKnownFlags,
                                 kVerifierKnownFlags));
  }
  return options;
}

std::string verifier_arguments(const MachineOptions& machine) {
  std::string text = fmt::format(" --verifier 0x{:X}", parse_verifier_flags(machine.verifier));
  for (const std::string& rule : machine.disabled_rules) text += " --disable-rule " + rule;
  for (const std::string& entry : machine.driver_verifier) text += " --driver-verifier " + entry;
  return text;
}

void write_file(const std::string& path, const std::string& text, const char* what) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (file) file << text;
  if (!file) throw UsageError(fmt::format("cannot write {} '{}'", what, path));
}

std::string read_file(const std::string& path, const char* what) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  if (file) text << file.rdbuf();
  if (!file) throw UsageError(fmt::format("cannot read {} '{}'", what, path));
  return text.str();
}

void check_report_paths(const ReportOptions& reports) {
  for (const std::string& path : {reports.json, reports.sarif}) {
    if (!path.empty()) write_file(path, "");
  }
}

}  // namespace wdmlab::cli
