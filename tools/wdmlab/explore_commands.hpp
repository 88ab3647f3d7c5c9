// The race explorer from the command line: `wdmlab explore`, `wdmlab replay`, `wdmlab merge`.
// Each returns the exit status (0 nothing found, 1 findings) and throws wdmlab::UsageError for
// bad usage (exit status 2).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "options.hpp"

namespace wdmlab::cli {

// A sample's scenario, as `wdmlab run` does it: load, run for run_ms, unload unless no_unload.
struct ScenarioOptions {
  std::string sample;
  std::uint64_t run_ms = 100;
  bool no_unload = false;
};

struct ExploreCommand {
  ScenarioOptions scenario;
  std::uint64_t schedules = 1000;
  double time_budget = 0;  // seconds; 0: none
  std::string strategy = "pct:2";
  std::uint64_t seed = 1;
  std::string shard = "0/1";
  bool all = false;
  bool no_shrink = false;
  MachineOptions machine;
  ReportOptions reports;  // --json: the exploration (exploration_json.hpp); --sarif: its findings
  std::string trace_dir;
};

struct ReplayCommand {
  ScenarioOptions scenario;
  std::string schedule;
  std::string schedule_file;
  MachineOptions machine;  // the processors are the schedule's
  ReportOptions reports;
};

struct MergeCommand {
  std::vector<std::string> files;
  std::string json;
};

CLI::App* add_explore_command(CLI::App& app, ExploreCommand& command);
CLI::App* add_replay_command(CLI::App& app, ReplayCommand& command);
CLI::App* add_merge_command(CLI::App& app, MergeCommand& command);

int explore(const ExploreCommand& command);
int replay(const ReplayCommand& command);
int merge(const MergeCommand& command);

}  // namespace wdmlab::cli
