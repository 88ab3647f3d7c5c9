#include "explore_commands.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "exploration_json.hpp"
#include "samples.hpp"
#include "wdmlab/errors.hpp"
#include "wdmlab/explore.hpp"
#include "wdmlab/report.hpp"

namespace wdmlab::cli {

namespace {

const Sample& require_sample(const std::string& name) {
  const Sample* sample = find_sample(name);
  if (sample == nullptr) throw UsageError(fmt::format("no sample named '{}'; `wdmlab samples` lists them", name));
  return *sample;
}

void add_scenario_options(CLI::App& command, ScenarioOptions& scenario) {
  command.add_option("sample", scenario.sample, "Sample name (see `wdmlab samples`)")->required();
  command.add_option("--run-ms", scenario.run_ms, "Virtual milliseconds to run after DriverEntry");
  command.add_flag("--no-unload", scenario.no_unload, "Do not call DriverUnload at the end");
}

// What `wdmlab run` does with a sample, as the scenario of one schedule.
Scenario scenario_of(const Sample& sample, const ScenarioOptions& options) {
  return [&sample, run_ms = options.run_ms, unload = !options.no_unload](Lab& lab) {
    LoadedDriver& driver = lab.load_driver(sample.entry, std::string(sample.name));
    if (!driver.loaded() || lab.stopped()) return;
    if (run_ms > 0) lab.run_for(std::chrono::milliseconds(run_ms));
    if (unload && !lab.stopped()) lab.unload_driver(driver);
  };
}

// The scenario's options and the machine's verifier, as a command line repeats them.
std::string scenario_arguments(const ScenarioOptions& scenario, const MachineOptions& machine) {
  std::string text = scenario.sample;
  if (scenario.run_ms != ScenarioOptions{}.run_ms) text += fmt::format(" --run-ms {}", scenario.run_ms);
  if (scenario.no_unload) text += " --no-unload";
  return text + verifier_arguments(machine);
}

void write_sarif(const ReportOptions& reports, const std::vector<Finding>& findings, const std::string& command) {
  if (reports.sarif.empty()) return;
  write_file(reports.sarif, to_sarif(findings, RunInfo{.command = command, .source_root = reports.source_root}));
}

// "<dir>/<n>-<bucket>.json", the bucket with what a file name should not hold replaced by '_'.
std::string trace_path(const std::string& directory, std::size_t number, const Finding& finding) {
  std::string bucket = failure_bucket(finding);
  for (char& c : bucket) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_' && c != '-' && c != '.') c = '_';
  }
  return (std::filesystem::path(directory) / fmt::format("{}-{}.json", number, bucket)).string();
}

std::string shard_list(const std::vector<unsigned>& shards) {
  std::string text;
  for (unsigned shard : shards) text += (text.empty() ? "" : ",") + std::to_string(shard);
  return text;
}

}  // namespace

CLI::App* add_explore_command(CLI::App& app, ExploreCommand& command) {
  CLI::App* explore = app.add_subcommand(
      "explore", "Run a sample under many schedules (what `run` does, once per schedule) and report what they find");
  add_scenario_options(*explore, command.scenario);
  explore->add_option("--schedules", command.schedules, "At most this many schedules over the whole exploration");
  explore->add_option("--time-budget", command.time_budget, "Stop after this many seconds (0: no limit)");
  explore->add_option("--strategy", command.strategy,
                      "random, pct:D, bounded:B, portfolio, or a strategy's full name (pct(2, steps=400), "
                      "portfolio(pct(2), random))");
  explore->add_option("-s,--seed", command.seed, "Schedule i uses seed S + i");
  explore->add_option("--shard", command.shard, "i/N: run only the schedules whose index is i mod N");
  explore->add_flag("--all", command.all, "Go on after the first finding and collect every distinct one");
  explore->add_flag("--no-shrink", command.no_shrink, "Do not shrink the findings' schedules");
  add_machine_options(*explore, command.machine);
  add_report_options(*explore, command.reports,
                     "Write the exploration (settings, coverage, findings with their schedules) as JSON to this "
                     "file, for `wdmlab merge`");
  explore->add_option("--trace-dir", command.trace_dir,
                      "Write each finding's Chrome trace (ui.perfetto.dev) as DIR/<n>-<bucket>.json");
  return explore;
}

CLI::App* add_replay_command(CLI::App& app, ReplayCommand& command) {
  CLI::App* replay = app.add_subcommand("replay", "Run a sample once under a schedule that `wdmlab explore` printed");
  add_scenario_options(*replay, command.scenario);
  auto* text = replay->add_option("--schedule", command.schedule, "The schedule: one line 'wdmlab-schedule 1 ...'");
  auto* file = replay->add_option("--schedule-file", command.schedule_file,
                                  "A file whose first line that starts with 'wdmlab-schedule' is the schedule");
  text->excludes(file);
  add_machine_options(*replay, command.machine, false);
  add_report_options(*replay, command.reports, "Write the findings as JSON to this file");
  return replay;
}

CLI::App* add_merge_command(CLI::App& app, MergeCommand& command) {
  CLI::App* merge = app.add_subcommand(
      "merge", "Merge the JSON of the shards of one exploration (`wdmlab explore --shard i/N --json FILE`)");
  merge->add_option("files", command.files, "The shards' JSON files")->required();
  merge->add_option("--json", command.json, "Write the merged exploration as JSON to this file");
  return merge;
}

int explore(const ExploreCommand& command) {
  const Sample& sample = require_sample(command.scenario.sample);
  if (command.schedules == 0) throw UsageError("--schedules 0: an exploration needs at least one schedule");
  ExploreOptions options;
  options.schedules = command.schedules;
  try {
    options.strategy = Strategy::parse(command.strategy);
  } catch (const UsageError& error) {
    throw UsageError(fmt::format("--strategy: {}", error.what()));
  }
  try {
    options.shard = Shard::parse(command.shard);
  } catch (const UsageError& error) {
    throw UsageError(fmt::format("--shard: {}", error.what()));
  }
  const std::string strategy = options.strategy.name();
  if (options.shard.count > 1 && strategy.find("bounded(") != std::string::npos) {
    throw UsageError(
        fmt::format("--strategy {} cannot run as --shard {}: a bounded search's schedules depend on "
                    "the ones before; shard random or pct",
                    command.strategy, command.shard));
  }
  if (!(command.time_budget >= 0 && command.time_budget <= 1e9)) {
    throw UsageError(fmt::format("--time-budget {}: give seconds, 0 (no limit) or more", command.time_budget));
  }
  if (command.time_budget > 0) {
    options.time_budget =
        std::max(std::chrono::milliseconds(1),
                 std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(command.time_budget * 1000))));
  }
  options.seed = command.seed;
  options.stop_at_first = !command.all;
  options.shrink = !command.no_shrink;
  options.lab = lab_options(command.machine);
  const std::string arguments = scenario_arguments(command.scenario, command.machine);
  options.replay_command = "wdmlab replay " + arguments + " --schedule";
  check_report_paths(command.reports);
  if (!command.trace_dir.empty()) {
    std::error_code error;
    std::filesystem::create_directories(command.trace_dir, error);
    if (error || !std::filesystem::is_directory(command.trace_dir)) {
      throw UsageError(fmt::format("--trace-dir: cannot create the directory '{}'", command.trace_dir));
    }
  }

  ExplorationFile exploration;
  exploration.command = fmt::format(
      "wdmlab explore {} --schedules {} --strategy '{}' --seed {} --shard {}/{}{}{}{}", arguments, command.schedules,
      strategy, command.seed, options.shard.index, options.shard.count, command.all ? " --all" : "",
      command.no_shrink ? " --no-shrink" : "", fmt::format(" --processors {}", command.machine.processors));
  exploration.sample = sample.name;
  exploration.seed = command.seed;
  exploration.schedules_asked = command.schedules;
  exploration.shard_count = options.shard.count;
  exploration.shards = {options.shard.index};
  fmt::print("exploring {} on {} simulated processor(s): {}, at most {} schedule(s) from seed {}, shard {}/{}\n",
             sample.name, command.machine.processors, strategy, command.schedules, command.seed, options.shard.index,
             options.shard.count);
  exploration.result = wdmlab::explore(scenario_of(sample, command.scenario), options);
  const ExploreResult& result = exploration.result;

  std::vector<Finding> findings;
  for (std::size_t i = 0; i < result.findings.size(); ++i) {
    const ExploredFinding& found = result.findings[i];
    findings.push_back(found.finding);
    std::string path;
    if (!command.trace_dir.empty() && !found.chrome_trace.empty()) {
      path = trace_path(command.trace_dir, i + 1, found.finding);
      write_file(path, found.chrome_trace, "the trace");
    }
    exploration.trace_files.push_back(path);
  }
  fmt::print("{}", result.report());
  for (std::size_t i = 0; i < exploration.trace_files.size() && !command.trace_dir.empty(); ++i) {
    if (exploration.trace_files[i].empty()) {
      fmt::print("finding {} has no trace: the explorer drew no picture of it\n", i + 1);
    } else {
      fmt::print("trace of finding {}: {}\n", i + 1, exploration.trace_files[i]);
    }
  }
  if (!command.reports.json.empty()) write_file(command.reports.json, to_json(exploration));
  write_sarif(command.reports, findings, exploration.command);
  if (!findings.empty()) {
    fmt::print(stderr, "wdmlab: {} distinct finding(s) in {} schedule(s), the first: {}\n", findings.size(),
               result.schedules, findings.front().summary());
    return 1;
  }
  return 0;
}

int replay(const ReplayCommand& command) {
  const Sample& sample = require_sample(command.scenario.sample);
  std::string text = command.schedule;
  std::string origin = "--schedule";
  if (!command.schedule_file.empty()) {
    origin = fmt::format("--schedule-file '{}'", command.schedule_file);
    const std::string contents = read_file(command.schedule_file, "the schedule file");
    text.clear();
    for (std::size_t at = 0; at < contents.size();) {
      const std::size_t end = std::min(contents.find('\n', at), contents.size());
      const std::string line = contents.substr(at, end - at);
      if (line.rfind("wdmlab-schedule", 0) == 0) {
        text = line;
        break;
      }
      at = end + 1;
    }
    if (text.empty()) throw UsageError(fmt::format("{} holds no line that starts with 'wdmlab-schedule'", origin));
  } else if (text.empty()) {
    throw UsageError("replay needs --schedule 'wdmlab-schedule 1 ...' or --schedule-file FILE");
  }
  Schedule schedule;
  try {
    schedule = Schedule::parse(text);
  } catch (const UsageError& error) {
    throw UsageError(fmt::format("{}: {}", origin, error.what()));
  }
  check_report_paths(command.reports);
  const LabOptions lab = lab_options(command.machine);
  const std::string replay_command = fmt::format(
      "wdmlab replay {} --schedule '{}'", scenario_arguments(command.scenario, command.machine), schedule.to_string());

  fmt::print("replaying {} on {} simulated processor(s), seed {}: {} choice(s), {} preemption(s), strategy {}\n",
             sample.name, schedule.processors, schedule.seed, schedule.choices.size(), schedule.preemptions.size(),
             schedule.strategy);
  const std::string this_build = build_id();
  if (schedule.build_id.empty()) {
    fmt::print("build: the schedule names none; this is build {}\n", this_build.empty() ? "-" : this_build);
  } else if (schedule.build_id != this_build) {
    fmt::print(
        "build: the schedule was made by build {}, this is build {}: a changed program may leave the "
        "schedule\n",
        schedule.build_id, this_build.empty() ? "-" : this_build);
  } else {
    fmt::print("build: the same as the schedule's ({})\n", this_build);
  }
  ReplayResult result = wdmlab::replay(scenario_of(sample, command.scenario), schedule, lab);
  for (Finding& finding : result.findings) finding.replay = replay_command;
  if (result.diverged) {
    fmt::print("the run left the schedule: {}\n", result.divergence);
  } else {
    fmt::print("the run followed the schedule to its end\n");
  }
  fmt::print("{} scheduling choice(s), {} finding(s)\n", result.choices, result.findings.size());
  for (const Finding& finding : result.findings) fmt::print("\n{}", finding.to_text());
  const RunInfo run{.command = replay_command, .source_root = command.reports.source_root};
  if (!command.reports.json.empty()) write_file(command.reports.json, wdmlab::to_json(result.findings, run));
  write_sarif(command.reports, result.findings, replay_command);
  if (!result.findings.empty()) {
    fmt::print(stderr, "wdmlab: {} finding(s), the first: {}\n", result.findings.size(),
               result.findings.front().summary());
    return 1;
  }
  return 0;
}

int merge(const MergeCommand& command) {
  std::vector<ExplorationFile> parts;
  for (const std::string& path : command.files) {
    parts.push_back(exploration_from_json(read_file(path, "the exploration"), path));
  }
  const ExplorationFile& first = parts.front();
  std::map<unsigned, std::string> shard_files;
  std::map<std::pair<std::string, std::uint64_t>, std::string> trace_files;  // (key, schedule index) -> file
  std::vector<ExploreResult> results;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const ExplorationFile& part = parts[i];
    const std::string& path = command.files[i];
    const auto differs = [&](const char* what, const std::string& mine, const std::string& theirs) {
      if (mine != theirs) {
        throw UsageError(fmt::format("'{}' and '{}' are not shards of one exploration: {} {} and {}", command.files[0],
                                     path, what, theirs, mine));
      }
    };
    differs("sample", part.sample, first.sample);
    differs("strategy", part.result.strategy, first.result.strategy);
    differs("seed", std::to_string(part.seed), std::to_string(first.seed));
    differs("schedules", std::to_string(part.schedules_asked), std::to_string(first.schedules_asked));
    differs("shard count", std::to_string(part.shard_count), std::to_string(first.shard_count));
    for (unsigned shard : part.shards) {
      const auto [at, added] = shard_files.emplace(shard, path);
      if (!added) {
        throw UsageError(fmt::format("shard {}/{} is in both '{}' and '{}': its schedules would count twice", shard,
                                     part.shard_count, at->second, path));
      }
    }
    for (std::size_t f = 0; f < part.result.findings.size(); ++f) {
      const ExploredFinding& found = part.result.findings[f];
      trace_files[{found.key, found.schedule_index}] = part.trace_files[f];
    }
    results.push_back(part.result);
  }

  ExplorationFile merged;
  merged.sample = first.sample;
  merged.seed = first.seed;
  merged.schedules_asked = first.schedules_asked;
  merged.shard_count = first.shard_count;
  for (const auto& [shard, path] : shard_files) merged.shards.push_back(shard);
  merged.interleavings_upper_bound = parts.size() > 1 || first.interleavings_upper_bound;
  merged.command = "wdmlab merge";
  for (const std::string& path : command.files) merged.command += " " + path;
  merged.result = wdmlab::merge(std::move(results));
  for (const ExploredFinding& found : merged.result.findings) {
    merged.trace_files.push_back(trace_files[{found.key, found.schedule_index}]);
  }

  std::vector<unsigned> missing;
  for (unsigned shard = 0; shard < merged.shard_count && missing.size() < 32; ++shard) {
    if (shard_files.count(shard) == 0) missing.push_back(shard);
  }
  fmt::print("merged {} file(s) of {}: shard(s) {} of {}{}\n", parts.size(), merged.sample, shard_list(merged.shards),
             merged.shard_count,
             missing.empty() ? std::string(", all of them")
                             : fmt::format("; missing: {}{}", shard_list(missing),
                                           merged.shards.size() + missing.size() < merged.shard_count ? ",..." : ""));
  fmt::print("{}", merged.result.report());
  if (merged.interleavings_upper_bound) {
    fmt::print(
        "distinct interleavings are summed over the shards: an upper bound, since two shards may meet the "
        "same one\n");
  }
  if (!command.json.empty()) write_file(command.json, to_json(merged));
  if (!merged.result.findings.empty()) {
    fmt::print(stderr, "wdmlab: {} distinct finding(s) in {} schedule(s), the first: {}\n",
               merged.result.findings.size(), merged.result.schedules,
               merged.result.findings.front().finding.summary());
    return 1;
  }
  return 0;
}

}  // namespace wdmlab::cli
