// wdmlab - run Windows drivers in the lab from the command line.
//
//   wdmlab samples                         list the bundled sample drivers
//   wdmlab run <sample> [options]          load a sample, let it run, unload it, report
//   wdmlab load <image.so> [options]       load a driver image, unload it, report
//   wdmlab explore <sample> [options]      run a sample under many schedules (the race explorer)
//   wdmlab replay <sample> --schedule S    run a sample once under a schedule explore printed
//   wdmlab merge A.json B.json ...         merge the shards of one exploration
//
// Options of run and load: --processors, --seed, --policy random|cooperative, --verifier FLAGS
// (a number or names: "standard|lowres"), --disable-rule ID (repeatable), --driver-verifier
// NAME=FLAGS (repeatable), --json FILE, --sarif FILE, --source-root DIR (SARIF paths are made
// relative to it). Each finding's REPLAY line is the command that makes the same run again.
// explore, replay and merge: explore_commands.hpp and docs/explore-cli.md.
//
// Exit status: 0 = the driver loaded, ran and unloaded with no findings (explore, replay, merge:
// nothing found); 1 = DriverEntry failed or there were findings; 2 = bad usage (an unknown or
// malformed option, a bad value, a malformed schedule or exploration file) or an image that
// cannot be loaded.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>

#include "explore_commands.hpp"
#include "options.hpp"
#include "samples.hpp"
#include "wdmlab/lab.hpp"
#include "wdmlab/report.hpp"
#include "wdmlab/verifier.hpp"

namespace {

using wdmlab::cli::Sample;

using wdmlab::cli::MachineOptions;
using wdmlab::cli::ReportOptions;

// What `run` and `load` share besides the machine: the scheduling policy and the report files.
struct RunnerOptions {
  MachineOptions machine;
  std::uint64_t seed = 0;
  std::string policy = "random";
  ReportOptions reports;
};

struct RunOptions {
  std::string sample;
  std::uint64_t run_ms = 100;
  bool no_unload = false;
  RunnerOptions runner;
};

struct LoadOptions {
  std::string image;
  std::string name;
  RunnerOptions runner;
};

// The lab options the command line asks for. Throws UsageError for a bad value.
wdmlab::LabOptions lab_options(const RunnerOptions& runner) {
  wdmlab::LabOptions options = wdmlab::cli::lab_options(runner.machine);
  options.seed = runner.seed;
  if (runner.policy == "cooperative") {
    options.policy = wdmlab::make_cooperative_policy();
  } else if (runner.policy != "random") {
    throw wdmlab::UsageError(fmt::format("unknown policy '{}'; use random or cooperative", runner.policy));
  }
  return options;
}

// The JSON and SARIF reports, if asked for. `command` is what replays the run, minus its options.
void write_reports(const ReportOptions& reports, std::vector<wdmlab::Finding> findings, const std::string& command) {
  for (wdmlab::Finding& finding : findings) finding.replay = command + " " + finding.replay;
  const wdmlab::RunInfo run{.command = command, .source_root = reports.source_root};
  if (!reports.json.empty()) wdmlab::cli::write_file(reports.json, wdmlab::to_json(findings, run));
  if (!reports.sarif.empty()) wdmlab::cli::write_file(reports.sarif, wdmlab::to_sarif(findings, run));
}

void add_runner_options(CLI::App& command, RunnerOptions& runner) {
  wdmlab::cli::add_machine_options(command, runner.machine);
  command.add_option("-s,--seed", runner.seed, "Seed of the random scheduling policy");
  command.add_option("--policy", runner.policy, "Scheduling policy: random (default) or cooperative");
  wdmlab::cli::add_report_options(command, runner.reports, "Write the findings as JSON to this file");
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
             const ReportOptions& reports, const std::string& command) {
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
  write_reports(reports, lab.findings(), command);
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
  const RunnerOptions& runner = options.runner;
  wdmlab::cli::check_report_paths(runner.reports);
  wdmlab::Lab lab(lab_options(runner));
  fmt::print("driver {} on {} simulated processor(s), seed {}\n", sample->name, runner.machine.processors, runner.seed);
  std::string command = fmt::format("wdmlab run {}", sample->name);
  if (options.run_ms != RunOptions{}.run_ms) command += fmt::format(" --run-ms {}", options.run_ms);
  if (options.no_unload) command += " --no-unload";
  return exercise(
      lab, [&]() -> wdmlab::LoadedDriver& { return lab.load_driver(sample->entry, std::string(sample->name)); },
      options.run_ms, !options.no_unload, runner.reports, command);
}

int load(const LoadOptions& options) {
  const RunnerOptions& runner = options.runner;
  wdmlab::cli::check_report_paths(runner.reports);
  wdmlab::Lab lab(lab_options(runner));
  fmt::print("driver image {} on {} simulated processor(s), seed {}\n", options.image, runner.machine.processors,
             runner.seed);
  std::string command = fmt::format("wdmlab load {}", options.image);
  if (!options.name.empty()) command += fmt::format(" --name {}", options.name);
  return exercise(
      lab, [&]() -> wdmlab::LoadedDriver& { return lab.load_driver(options.image, options.name); }, 0, true,
      runner.reports, command);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wdmlab: run Windows kernel-mode drivers on simulated processors, deterministically"};
  app.require_subcommand(1);

  auto* samples = app.add_subcommand("samples", "List the bundled sample drivers");
  RunOptions options;
  auto* run_command = app.add_subcommand("run", "Load a sample driver, run it, unload it and report findings");
  run_command->add_option("sample", options.sample, "Sample name (see `wdmlab samples`)")->required();
  add_runner_options(*run_command, options.runner);
  run_command->add_option("--run-ms", options.run_ms, "Virtual milliseconds to run after DriverEntry");
  run_command->add_flag("--no-unload", options.no_unload, "Do not call DriverUnload at the end");

  LoadOptions load_options;
  auto* load_command = app.add_subcommand(
      "load", "Load a driver image (a shared object built by wdmlab_add_driver), unload it and report findings");
  load_command->add_option("image", load_options.image, "Path of the driver image (<name>.so)")->required();
  load_command->add_option("-n,--name", load_options.name, "Driver name (default: the file name up to its first '.')");
  add_runner_options(*load_command, load_options.runner);

  wdmlab::cli::ExploreCommand explore_options;
  auto* explore_command = wdmlab::cli::add_explore_command(app, explore_options);
  wdmlab::cli::ReplayCommand replay_options;
  auto* replay_command = wdmlab::cli::add_replay_command(app, replay_options);
  wdmlab::cli::MergeCommand merge_options;
  auto* merge_command = wdmlab::cli::add_merge_command(app, merge_options);

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
    if (*explore_command) return wdmlab::cli::explore(explore_options);
    if (*replay_command) return wdmlab::cli::replay(replay_options);
    if (*merge_command) return wdmlab::cli::merge(merge_options);
    return run(options);
  } catch (const wdmlab::UsageError& error) {
    fmt::print(stderr, "wdmlab: {}\n", error.what());
    return 2;
  }
}
