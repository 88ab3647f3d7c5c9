// wdmlab - run Windows drivers in the lab from the command line.
//
//   wdmlab samples                         list the bundled sample drivers
//   wdmlab run <sample> [options]          load a sample, let it run, unload it, report
//
// Exit status: 0 = no findings, 1 = findings, 2 = bad usage.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
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

void print_log(const wdmlab::Log& log) {
  for (const wdmlab::LogRecord& record : log.records()) {
    fmt::print("  [{:>9.3f} ms] P{} {:<24} {}\n", static_cast<double>(record.virtual_time) / 10'000.0,
               record.processor < 0 ? std::string("-") : std::to_string(record.processor), record.context,
               record.text);
  }
}

int run(const RunOptions& options) {
  const Sample* sample = wdmlab::cli::find_sample(options.sample);
  if (sample == nullptr) {
    fmt::print(stderr, "wdmlab: no sample named '{}'; `wdmlab samples` lists them\n", options.sample);
    return 2;
  }
  wdmlab::Lab lab({.processors = options.processors, .seed = options.seed});
  fmt::print("driver {} on {} simulated processor(s), seed {}\n", sample->name, options.processors, options.seed);
  wdmlab::LoadedDriver* driver = nullptr;
  try {
    driver = &lab.load_driver(sample->entry, std::string(sample->name));
    fmt::print("DriverEntry returned 0x{:08X} {}\n", static_cast<std::uint32_t>(driver->entry_status),
               wdmlab::status_name(driver->entry_status));
    if (driver->loaded() && !lab.stopped()) {
      lab.run_for(std::chrono::milliseconds(options.run_ms));
      if (!options.no_unload && !lab.stopped()) lab.unload_driver(*driver);
    }
  } catch (const wdmlab::UsageError& error) {
    fmt::print("{}\n", error.what());
  }
  fmt::print("log:\n");
  print_log(lab.log());
  const auto& findings = lab.findings();
  fmt::print("virtual time {:.3f} ms, {} scheduling decisions, {} finding(s)\n",
             static_cast<double>(lab.now()) / 10'000.0, lab.decisions(), findings.size());
  for (const wdmlab::Finding& finding : findings) fmt::print("\n{}", finding.to_text());
  return findings.empty() ? 0 : 1;
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

  CLI11_PARSE(app, argc, argv);
  try {
    if (*samples) {
      for (const Sample& sample : wdmlab::cli::samples()) fmt::print("{:<22} {}\n", sample.name, sample.description);
      return 0;
    }
    return run(options);
  } catch (const wdmlab::UsageError& error) {
    fmt::print(stderr, "wdmlab: {}\n", error.what());
    return 2;
  }
}
