// What the wdmlab subcommands share: the simulated machine's options, numbers and files.
// Every function here throws wdmlab::UsageError, naming the option or file, for a bad value.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "wdmlab/lab.hpp"

namespace wdmlab::cli {

// The machine and its verifier.
struct MachineOptions {
  unsigned processors = 2;
  std::string verifier = "standard";
  std::vector<std::string> disabled_rules;
  std::vector<std::string> driver_verifier;
};

// The report files asked for.
struct ReportOptions {
  std::string json;
  std::string sarif;
  std::string source_root;
};

// Adds --processors (unless `processors` is false), --verifier, --disable-rule, --driver-verifier.
void add_machine_options(CLI::App& command, MachineOptions& machine, bool processors = true);
// Adds --json (described by `json_help`), --sarif and --source-root.
void add_report_options(CLI::App& command, ReportOptions& reports, const char* json_help);

// The lab options `machine` asks for, on LabOptions' defaults.
LabOptions lab_options(const MachineOptions& machine);
// The verifier options as a command line repeats them: " --verifier 0x209BB --disable-rule ...".
std::string verifier_arguments(const MachineOptions& machine);

// A number in decimal or 0x hex, all of `text`; `what` names it in the error.
std::uint64_t parse_number(const std::string& text, const char* what);

// Writes `text` to `path`; `what` says what the file is in the error ("the report").
void write_file(const std::string& path, const std::string& text, const char* what = "the report");
std::string read_file(const std::string& path, const char* what);
// Creates (empty) each report file asked for, so a path that cannot be written is bad usage
// before anything runs.
void check_report_paths(const ReportOptions& reports);

}  // namespace wdmlab::cli
