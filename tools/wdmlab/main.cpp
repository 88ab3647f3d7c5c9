// wdmlab - run Windows drivers in the lab from the command line.
//
//   wdmlab samples                         list the bundled sample drivers
//   wdmlab run <sample> [options]          load a sample, let it run, unload it, report
//   wdmlab load <image.so> [options]       load a driver image, unload it, report
//
// Options of run and load: --processors, --seed, --policy random|cooperative, --verifier FLAGS
// (a number or names: "standard|lowres"), --disable-rule ID (repeatable), --driver-verifier
// NAME=FLAGS (repeatable), --json FILE, --sarif FILE, --source-root DIR (SARIF paths are made
// relative to it). Each finding's REPLAY line is the command that makes the same run again.
//
// Exit status: 0 = the driver loaded, ran and unloaded with no findings; 1 = DriverEntry failed or
// there were findings; 2 = bad usage (an unknown or malformed option, a bad value) or an image that
// cannot be loaded.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>

#include "samples.hpp"
#include "wdmlab/lab.hpp"
#include "wdmlab/report.hpp"
#include "wdmlab/verifier.hpp"

namespace {

using wdmlab::cli::Sample;

// The options `run` and `load` share: the machine, the verifier, and the report files.
struct MachineOptions {
  unsigned processors = 2;
  std::uint64_t seed = 0;
  std::string policy = "random";
  std::string verifier = "standard";
  std::vector<std::string> disabled_rules;
  std::vector<std::string> driver_verifier;
  std::string json;
  std::string sarif;
  std::string source_root;
};

struct RunOptions {
  std::string sample;
  std::uint64_t run_ms = 100;
  bool no_unload = false;
  MachineOptions machine;
};

struct LoadOptions {
  std::string image;
  std::string name;
  MachineOptions machine;
};

// A number in decimal or 0x hex, all of `text`; throws UsageError naming `what` otherwise.
std::uint64_t parse_number(const std::string& text, const char* what) {
  std::size_t used = 0;
  std::uint64_t value = 0;
  try {
    if (!text.empty() && text.front() != '-') value = std::stoull(text, &used, 0);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) {
    throw wdmlab::UsageError(fmt::format("{} '{}' is not a number (decimal, or hex with 0x)", what, text));
  }
  return value;
}

// The lab options the command line asks for. Throws UsageError for a bad value.
wdmlab::LabOptions lab_options(const MachineOptions& machine) {
  wdmlab::LabOptions options{.processors = machine.processors, .seed = machine.seed};
  if (machine.policy == "cooperative") {
    options.policy = wdmlab::make_cooperative_policy();
  } else if (machine.policy != "random") {
    throw wdmlab::UsageError(fmt::format("unknown policy '{}'; use random or cooperative", machine.policy));
  }
  options.verifier.flags = wdmlab::parse_verifier_flags(machine.verifier);
  for (const std::string& rule : machine.disabled_rules) {
    options.verifier.disabled_rules.insert(parse_number(rule, "--disable-rule"));
  }
  for (const std::string& entry : machine.driver_verifier) {
    const std::size_t equals = entry.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw wdmlab::UsageError(fmt::format("--driver-verifier '{}' should be NAME=FLAGS", entry));
    }
    options.verifier.driver_flags[entry.substr(0, equals)] = wdmlab::parse_verifier_flags(entry.substr(equals + 1));
  }
  if ((options.verifier.flags & ~wdmlab::kVerifierKnownFlags) != 0) {
    throw wdmlab::UsageError(fmt::format("--verifier 0x{:X} has bits the lab does not know (0x{:X}); known: 0x{:X}",
                                         options.verifier.flags, options.verifier.flags & ~wdmlab::kVerifierKnownFlags,
                                         wdmlab::kVerifierKnownFlags));
  }
  return options;
}

// Writes `text` to `path`; throws UsageError if the file cannot be written.
void write_file(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (file) file << text;
  if (!file) throw wdmlab::UsageError(fmt::format("cannot write the report '{}'", path));
}

// Creates (empty) the report files asked for, so a path that cannot be written is bad usage
// before anything runs.
void check_report_paths(const MachineOptions& machine) {
  for (const std::string& path : {machine.json, machine.sarif}) {
    if (!path.empty()) write_file(path, "");
  }
}

// The JSON and SARIF reports, if asked for. `command` is what replays the run, minus its options.
void write_reports(const MachineOptions& machine, std::vector<wdmlab::Finding> findings, const std::string& command) {
  for (wdmlab::Finding& finding : findings) finding.replay = command + " " + finding.replay;
  const wdmlab::RunInfo run{.command = command, .source_root = machine.source_root};
  if (!machine.json.empty()) write_file(machine.json, wdmlab::to_json(findings, run));
  if (!machine.sarif.empty()) write_file(machine.sarif, wdmlab::to_sarif(findings, run));
}

void add_machine_options(CLI::App& command, MachineOptions& machine) {
  command.add_option("-p,--processors", machine.processors, "Simulated processors (1-64)")->check(CLI::Range(1, 64));
  command.add_option("-s,--seed", machine.seed, "Seed of the random scheduling policy");
  command.add_option("--policy", machine.policy, "Scheduling policy: random (default) or cooperative");
  command.add_option("--verifier", machine.verifier,
                     "Driver Verifier flags: a number (0x209BB) or names joined by | or , (standard, lowres, ...); "
                     "0 = not verified");
  command.add_option("--disable-rule", machine.disabled_rules,
                     "Turn off the rule with this 0xC4 parameter 1 (verifier /rules disable); repeatable");
  command.add_option("--driver-verifier", machine.driver_verifier,
                     "NAME=FLAGS: verifier flags for one driver; repeatable");
  command.add_option("--json", machine.json, "Write the findings as JSON to this file");
  command.add_option("--sarif", machine.sarif, "Write the findings as SARIF 2.1.0 to this file");
  command.add_option("--source-root", machine.source_root,
                     "Directory SARIF source paths are relative to (uriBaseId SRCROOT)");
}

void print_log(const wdmlab::Log& log) {
  for (const wdmlab::LogRecord& record : log.records()) {
    fmt::print("  [{:>9.3f} ms] P{} {:<24} {}\n", static_cast<double>(record.virtual_time) / 10'000.0,
               record.processor < 0 ? std::string("-") : std::to_string(record.processor), record.context, record.text);
  }
}

// Loads a driver into `lab` with `load`, lets it run for `run_ms` virtual milliseconds, unloads it
// unless told not to, and prints DriverEntry's status, the log and every finding. Returns the exit
// status. DriverLoadError propagates.
int exercise(wdmlab::Lab& lab, const std::function<wdmlab::LoadedDriver&()>& load, std::uint64_t run_ms, bool unload,
             const MachineOptions& machine, const std::string& command) {
  wdmlab::LoadedDriver* driver = nullptr;
  try {
    driver = &load();
    fmt::print("DriverEntry returned 0x{:08X} {}\n", static_cast<std::uint32_t>(driver->entry_status),
               wdmlab::status_name(driver->entry_status));
    if (driver->loaded() && !lab.stopped()) {
      if (run_ms > 0) lab.run_for(std::chrono::milliseconds(run_ms));
      if (unload && !lab.stopped()) lab.unload_driver(*driver);
    }
  } catch (const wdmlab::DriverLoadError&) {
    throw;
  } catch (const wdmlab::UsageError& error) {
    fmt::print("{}\n", error.what());
  }
  fmt::print("log:\n");
  print_log(lab.log());
  std::vector<wdmlab::Finding> findings = lab.findings();
  for (wdmlab::Finding& finding : findings) finding.replay = command + " " + finding.replay;
  fmt::print("virtual time {:.3f} ms, {} scheduling decisions, {} finding(s)\n",
             static_cast<double>(lab.now()) / 10'000.0, lab.decisions(), findings.size());
  for (const wdmlab::Finding& finding : findings) fmt::print("\n{}", finding.to_text());
  write_reports(machine, lab.findings(), command);
  if (!findings.empty()) {
    fmt::print(stderr, "wdmlab: {} finding(s), the first: {}\n", findings.size(), findings.front().summary());
    return 1;
  }
  if (driver != nullptr && !NT_SUCCESS(driver->entry_status)) {
    fmt::print(stderr, "wdmlab: DriverEntry of '{}' failed with 0x{:08X} {}; the driver was not loaded\n", driver->name,
               static_cast<std::uint32_t>(driver->entry_status), wdmlab::status_name(driver->entry_status));
    return 1;
  }
  return 0;
}

int run(const RunOptions& options) {
  const Sample* sample = wdmlab::cli::find_sample(options.sample);
  if (sample == nullptr) {
    fmt::print(stderr, "wdmlab: no sample named '{}'; `wdmlab samples` lists them\n", options.sample);
    return 2;
  }
  const MachineOptions& machine = options.machine;
  check_report_paths(machine);
  wdmlab::Lab lab(lab_options(machine));
  fmt::print("driver {} on {} simulated processor(s), seed {}\n", sample->name, machine.processors, machine.seed);
  std::string command = fmt::format("wdmlab run {}", sample->name);
  if (options.run_ms != RunOptions{}.run_ms) command += fmt::format(" --run-ms {}", options.run_ms);
  if (options.no_unload) command += " --no-unload";
  return exercise(
      lab, [&]() -> wdmlab::LoadedDriver& { return lab.load_driver(sample->entry, std::string(sample->name)); },
      options.run_ms, !options.no_unload, machine, command);
}

int load(const LoadOptions& options) {
  const MachineOptions& machine = options.machine;
  check_report_paths(machine);
  wdmlab::Lab lab(lab_options(machine));
  fmt::print("driver image {} on {} simulated processor(s), seed {}\n", options.image, machine.processors,
             machine.seed);
  std::string command = fmt::format("wdmlab load {}", options.image);
  if (!options.name.empty()) command += fmt::format(" --name {}", options.name);
  return exercise(
      lab, [&]() -> wdmlab::LoadedDriver& { return lab.load_driver(options.image, options.name); }, 0, true, machine,
      command);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wdmlab: run Windows kernel-mode drivers on simulated processors, deterministically"};
  app.require_subcommand(1);

  auto* samples = app.add_subcommand("samples", "List the bundled sample drivers");
  RunOptions options;
  auto* run_command = app.add_subcommand("run", "Load a sample driver, run it, unload it and report findings");
  run_command->add_option("sample", options.sample, "Sample name (see `wdmlab samples`)")->required();
  add_machine_options(*run_command, options.machine);
  run_command->add_option("--run-ms", options.run_ms, "Virtual milliseconds to run after DriverEntry");
  run_command->add_flag("--no-unload", options.no_unload, "Do not call DriverUnload at the end");

  LoadOptions load_options;
  auto* load_command = app.add_subcommand(
      "load", "Load a driver image (a shared object built by wdmlab_add_driver), unload it and report findings");
  load_command->add_option("image", load_options.image, "Path of the driver image (<name>.so)")->required();
  load_command->add_option("-n,--name", load_options.name, "Driver name (default: the file name up to its first '.')");
  add_machine_options(*load_command, load_options.machine);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& done) {  // --help
    return app.exit(done);
  } catch (const CLI::ParseError& error) {
    // Every malformed command line is bad usage (exit status 2), whatever CLI11 calls it.
    app.exit(error);
    return 2;
  }
  try {
    if (*samples) {
      for (const Sample& sample : wdmlab::cli::samples()) fmt::print("{:<22} {}\n", sample.name, sample.description);
      return 0;
    }
    if (*load_command) return load(load_options);
    return run(options);
  } catch (const wdmlab::UsageError& error) {
    fmt::print(stderr, "wdmlab: {}\n", error.what());
    return 2;
  }
}
