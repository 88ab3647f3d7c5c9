#include "exploration_json.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <span>

#include "wdmlab/errors.hpp"
#include "wdmlab/report.hpp"

namespace wdmlab::cli {

namespace {

// Keys stay in the order written, so the file reads top-down like the text report.
using json = nlohmann::ordered_json;

constexpr std::string_view kFormat = "wdmlab-exploration 1";

// --- reading a finding back from report.hpp's JSON -------------------------------------------------

std::uint64_t hex_value(const json& value) {
  const std::string text = value.get<std::string>();
  std::size_t used = 0;
  std::uint64_t number = 0;
  try {
    if (text.rfind("0x", 0) == 0 || text.rfind("0X", 0) == 0) number = std::stoull(text.substr(2), &used, 16);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used + 2 != text.size()) throw UsageError(fmt::format("'{}' is not a hex number", text));
  return number;
}

Severity severity_of(const std::string& text) {
  if (text == "fatal") return Severity::Fatal;
  if (text == "non-fatal") return Severity::NonFatal;
  if (text == "warning") return Severity::Warning;
  throw UsageError(fmt::format("unknown severity '{}'", text));
}

StackFrame frame_of(const json& in) {
  StackFrame frame;
  frame.pc = hex_value(in.at("pc"));
  frame.module = in.at("module").get<std::string>();
  frame.function = in.at("function").get<std::string>();
  frame.offset = hex_value(in.at("offset"));
  frame.lab = in.at("lab").get<bool>();
  if (in.contains("file")) {
    frame.file = in.at("file").get<std::string>();
    frame.line = in.at("line").get<int>();
  }
  return frame;
}

ContextSnapshot context_of(const json& in) {
  ContextSnapshot context;
  context.name = in.at("name").get<std::string>();
  context.id = in.at("id").get<std::uint32_t>();
  context.processor = in.at("processor").get<int>();
  context.irql = in.at("irql").get<int>();
  if (in.contains("waiting_on")) context.waiting_on = in.at("waiting_on").get<std::string>();
  for (const json& frame : in.at("stack")) context.stack.push_back(frame_of(frame));
  return context;
}

Finding finding_of(const json& in) {
  Finding finding;
  finding.code = static_cast<std::uint32_t>(hex_value(in.at("code")));
  const json& parameters = in.at("parameters");
  if (parameters.size() != finding.parameters.size()) throw UsageError("a finding needs four parameters");
  for (std::size_t i = 0; i < finding.parameters.size(); ++i) finding.parameters[i] = hex_value(parameters[i]);
  finding.name = in.at("name").get<std::string>();
  finding.rule = in.at("rule").get<std::string>();
  finding.severity = severity_of(in.at("severity").get<std::string>());
  finding.driver = in.at("driver").get<std::string>();
  finding.description = in.at("description").get<std::string>();
  const json& context = in.at("context");
  finding.context = context_of(context);
  finding.virtual_time = context.at("virtual_time").get<std::uint64_t>();
  finding.decision = context.at("decision").get<std::uint64_t>();
  for (const json& other : in.at("involved")) finding.involved.push_back(context_of(other));
  finding.irp_history = in.at("irp_history").get<std::vector<std::string>>();
  finding.replay = in.at("replay").get<std::string>();
  return finding;
}

json finding_json(const Finding& finding) {
  return json::parse(wdmlab::to_json(std::span(&finding, 1), RunInfo{})).at("findings").at(0);
}

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
                        {"finding", finding_json(found.finding)}});
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
      found.finding = finding_of(entry.at("finding"));
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
