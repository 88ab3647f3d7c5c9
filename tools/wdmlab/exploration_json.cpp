#include "exploration_json.hpp"

#include <fmt/format.h>

#include "lab/report_json.hpp"
#include "wdmlab/errors.hpp"

namespace wdmlab::cli {

namespace {

using lab::json;

constexpr std::string_view kFormat = "wdmlab-exploration 1";

}  // namespace

std::string to_json(const ExplorationFile& exploration) {
  const ExploreResult& result = exploration.result;
  json coverage = json::array();
  for (const auto& [schedules, interleavings] : result.coverage) coverage.push_back({schedules, interleavings});
  json findings = json::array();
  for (std::size_t i = 0; i < result.findings.size(); ++i) {
    const ExploredFinding& found = result.findings[i];
    findings.push_back({{"key", found.key},
                        {"schedule_index", found.schedule_index},
                        {"occurrences", found.occurrences},
                        {"schedule", found.schedule.to_string()},
                        {"preemptions", found.schedule.preemptions.size()},
                        {"shrunk", found.shrunk.to_string()},
                        {"shrunk_preemptions", found.shrunk.preemptions.size()},
                        {"shrunk_minimal", found.shrunk_minimal},
                        {"replay", found.replay_command},
                        {"interleaving", found.interleaving},
                        {"trace_file", i < exploration.trace_files.size() ? exploration.trace_files[i] : ""},
                        {"finding", lab::finding_json(found.finding)}});
  }
  const json out = {
      {"tool", "wdmlab"},
      {"format", kFormat},
      {"command", exploration.command},
      {"sample", exploration.sample},
      {"strategy", result.strategy},
      {"seed", exploration.seed},
      {"schedules_asked", exploration.schedules_asked},
      {"shard_count", exploration.shard_count},
      {"shards", exploration.shards},
      {"schedules", result.schedules},
      {"schedules_with_findings", result.schedules_with_findings},
      {"distinct_interleavings", result.distinct_interleavings},
      {"distinct_interleavings_upper_bound", exploration.interleavings_upper_bound},
      {"coverage", coverage},
      {"exhausted", result.exhausted},
      {"stopped_by_time", result.stopped_by_time},
      {"elapsed_seconds", std::chrono::duration<double>(result.elapsed).count()},
      {"longest_schedule", result.longest_schedule},
      {"findings", findings},
  };
  return out.dump(2) + "\n";
}

ExplorationFile exploration_from_json(std::string_view text, const std::string& origin) {
  try {
    const json in = json::parse(text);
    if (!in.is_object() || !in.contains("format") || in.at("format") != kFormat) {
      throw UsageError(
          fmt::format("it is not an exploration (\"format\": \"{}\"); `wdmlab explore --json` writes one", kFormat));
    }
    ExplorationFile exploration;
    exploration.command = in.at("command").get<std::string>();
    exploration.sample = in.at("sample").get<std::string>();
    exploration.seed = in.at("seed").get<std::uint64_t>();
    exploration.schedules_asked = in.at("schedules_asked").get<std::uint64_t>();
    exploration.shard_count = in.at("shard_count").get<unsigned>();
    exploration.shards = in.at("shards").get<std::vector<unsigned>>();
    for (unsigned shard : exploration.shards) {
      if (shard >= exploration.shard_count) {
        throw UsageError(fmt::format("shard {} is not below the shard count {}", shard, exploration.shard_count));
      }
    }
    exploration.interleavings_upper_bound = in.at("distinct_interleavings_upper_bound").get<bool>();
    ExploreResult& result = exploration.result;
    result.strategy = in.at("strategy").get<std::string>();
    result.schedules = in.at("schedules").get<std::uint64_t>();
    result.schedules_with_findings = in.at("schedules_with_findings").get<std::uint64_t>();
    result.distinct_interleavings = in.at("distinct_interleavings").get<std::uint64_t>();
    result.coverage = in.at("coverage").get<std::vector<std::pair<std::uint64_t, std::uint64_t>>>();
    result.exhausted = in.at("exhausted").get<bool>();
    result.stopped_by_time = in.at("stopped_by_time").get<bool>();
    result.elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double>(in.at("elapsed_seconds").get<double>()));
    result.longest_schedule = in.at("longest_schedule").get<std::uint64_t>();
    for (const json& entry : in.at("findings")) {
      ExploredFinding found;
      found.key = entry.at("key").get<std::string>();
      found.schedule_index = entry.at("schedule_index").get<std::uint64_t>();
      found.occurrences = entry.at("occurrences").get<std::uint64_t>();
      found.schedule = Schedule::parse(entry.at("schedule").get<std::string>());
      found.shrunk = Schedule::parse(entry.at("shrunk").get<std::string>());
      found.shrunk_minimal = entry.at("shrunk_minimal").get<bool>();
      found.replay_command = entry.at("replay").get<std::string>();
      found.interleaving = entry.at("interleaving").get<std::string>();
      found.finding = lab::finding_from_json(entry.at("finding"));
      exploration.trace_files.push_back(entry.at("trace_file").get<std::string>());
      result.findings.push_back(std::move(found));
    }
    return exploration;
  } catch (const json::exception& error) {
    throw UsageError(fmt::format("'{}' is not an exploration's JSON: {}", origin, error.what()));
  } catch (const UsageError& error) {
    throw UsageError(fmt::format("'{}' is not an exploration's JSON: {}", origin, error.what()));
  }
}

}  // namespace wdmlab::cli
