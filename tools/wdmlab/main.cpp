// wdmlab - run Windows drivers in the lab from the command line.
//
//   wdmlab samples                         list the bundled sample drivers
//   wdmlab run <sample> [options]          load a sample, let it run, unload it, report
//   wdmlab load <image.so> [options]       load a driver image, unload it, report
//
// Exit status: 0 = the driver loaded, ran and unloaded with no findings; 1 = DriverEntry failed or
// there were findings; 2 = bad usage or an image that cannot be loaded.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>

#include "samples.hpp"
#include "wdmlab/lab.hpp"

namespace {

using wdmlab::cli::Sample;

struct RunOptions {
  std::string sample;
  unsigned processors = 2;
  std::uint64_t seed = 0;
  std::uint64_t run_ms = 100;
  bool no_unload = false;
};

struct LoadOptions {
  std::string image;
  std::string name;
  unsigned processors = 2;
  std::uint64_t seed = 0;
};

void print_log(const wdmlab::Log& log) {
  for (const wdmlab::LogRecord& record : log.records()) {
    fmt::print("  [{:>9.3f} ms] P{} {:<24} {}\n", static_cast<double>(record.virtual_time) / 10'000.0,
               record.processor < 0 ? std::string("-") : std::to_string(record.processor), record.context, record.text);
  }
}

// Loads a driver into `lab` with `load`, lets it run for `run_ms` virtual milliseconds, unloads it
// unless told not to, and prints DriverEntry's status, the log and every finding. Returns the exit
// status. DriverLoadError propagates.
int exercise(wdmlab::Lab& lab, const std::function<wdmlab::LoadedDriver&()>& load, std::uint64_t run_ms, bool unload) {
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
  const auto& findings = lab.findings();
  fmt::print("virtual time {:.3f} ms, {} scheduling decisions, {} finding(s)\n",
             static_cast<double>(lab.now()) / 10'000.0, lab.decisions(), findings.size());
  for (const wdmlab::Finding& finding : findings) fmt::print("\n{}", finding.to_text());
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
  wdmlab::Lab lab({.processors = options.processors, .seed = options.seed});
  fmt::print("driver {} on {} simulated processor(s), seed {}\n", sample->name, options.processors, options.seed);
  return exercise(
      lab, [&]() -> wdmlab::LoadedDriver& { return lab.load_driver(sample->entry, std::string(sample->name)); },
      options.run_ms, !options.no_unload);
}

int load(const LoadOptions& options) {
  wdmlab::Lab lab({.processors = options.processors, .seed = options.seed});
  fmt::print("driver image {} on {} simulated processor(s), seed {}\n", options.image, options.processors,
             options.seed);
  return exercise(
      lab, [&]() -> wdmlab::LoadedDriver& { return lab.load_driver(options.image, options.name); }, 0, true);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wdmlab: run Windows kernel-mode drivers on simulated processors, deterministically"};
  app.require_subcommand(1);

  auto* samples = app.add_subcommand("samples", "List the bundled sample drivers");
  RunOptions options;
  auto* run_command = app.add_subcommand("run", "Load a sample driver, run it, unload it and report findings");
  run_command->add_option("sample", options.sample, "Sample name (see `wdmlab samples`)")->required();
  run_command->add_option("-p,--processors", options.processors, "Simulated processors (1-64)")
      ->check(CLI::Range(1, 64));
  run_command->add_option("-s,--seed", options.seed, "Seed of the random scheduling policy");
  run_command->add_option("--run-ms", options.run_ms, "Virtual milliseconds to run after DriverEntry");
  run_command->add_flag("--no-unload", options.no_unload, "Do not call DriverUnload at the end");

  LoadOptions load_options;
  auto* load_command = app.add_subcommand(
      "load", "Load a driver image (a shared object built by wdmlab_add_driver), unload it and report findings");
  load_command->add_option("image", load_options.image, "Path of the driver image (<name>.so)")->required();
  load_command->add_option("-n,--name", load_options.name, "Driver name (default: the file name up to its first '.')");
  load_command->add_option("-p,--processors", load_options.processors, "Simulated processors (1-64)")
      ->check(CLI::Range(1, 64));
  load_command->add_option("-s,--seed", load_options.seed, "Seed of the random scheduling policy");

  CLI11_PARSE(app, argc, argv);
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
