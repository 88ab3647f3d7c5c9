#include "wdmlab/report.hpp"

#include <fmt/format.h>

#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "base/finding_parameters.hpp"
#include "lab/report_json.hpp"
#include "wdmlab/errors.hpp"

namespace wdmlab {

using lab::json;

namespace {

std::string severity_name(Severity severity) {
  switch (severity) {
    case Severity::Fatal:
      return "fatal";
    case Severity::NonFatal:
      return "non-fatal";
    case Severity::Warning:
      return "warning";
  }
  return "fatal";
}

std::string hex(std::uint64_t value) { return fmt::format("0x{:X}", value); }

json frame_json(const StackFrame& frame) {
  json out = {{"pc", hex(frame.pc)},
              {"module", frame.module},
              {"function", frame.function},
              {"offset", hex(frame.offset)},
              {"lab", frame.lab}};
  if (!frame.file.empty()) {
    out["file"] = frame.file;
    out["line"] = frame.line;
  }
  return out;
}

json stack_json(const std::vector<StackFrame>& stack) {
  json frames = json::array();
  for (const StackFrame& frame : stack) frames.push_back(frame_json(frame));
  return frames;
}

json context_json(const ContextSnapshot& context) {
  json out = {{"name", context.name}, {"id", context.id}, {"processor", context.processor}, {"irql", context.irql}};
  if (!context.waiting_on.empty()) out["waiting_on"] = context.waiting_on;
  out["stack"] = stack_json(context.stack);
  return out;
}

// --- SARIF ----------------------------------------------------------------------------------------

constexpr const char* kSarifSchema = "https://json.schemastore.org/sarif-2.1.0.json";
constexpr const char* kSourceRootId = "SRCROOT";

std::string sarif_level(Severity severity) {
  switch (severity) {
    case Severity::Fatal:
      return "error";
    case Severity::NonFatal:
      return "warning";
    case Severity::Warning:
      return "note";
  }
  return "error";
}

// The rule a result belongs to: the verifier or SDV rule name, else the bug check bucket.
std::string rule_id(const Finding& finding) { return finding.rule.empty() ? finding.bucket() : finding.rule; }

std::string rule_help_uri(const Finding& finding) {
  // DDI compliance rules have a page of their own; every other finding links its bug check.
  const bool ddi_rule = !finding.rule.empty() &&
                        ((finding.code == 0xC4 && (finding.parameters[0] >> 16) != 0) || finding.code == 0x574C0006);
  if (ddi_rule) {
    std::string page;
    for (char c : finding.rule) page += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return "https://learn.microsoft.com/windows-hardware/drivers/devtest/wdm-" + page;
  }
  return base::bug_check_help_uri(finding.code, finding.name);
}

// A file URI for an absolute path ("file:///src/a.c"); percent-encodes what a URI cannot hold.
std::string encode_path(const std::string& path) {
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) != 0 || std::string_view("/-._~").find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string directory_uri(const std::filesystem::path& directory) {
  std::string text = std::filesystem::absolute(directory).lexically_normal().generic_string();
  if (text.empty() || text.back() != '/') text += '/';
  return "file://" + encode_path(text);
}

// artifactLocation for a source file: relative to the source root (uriBaseId SRCROOT) when it
// lies under it or is relative already, else an absolute file URI.
json artifact_location(const std::string& file, const RunInfo& run) {
  const std::filesystem::path path(file);
  if (path.is_relative()) {
    // Relative to the compilation directory (a build tree under the source root): without its
    // leading "..", the path names the file under the root when such a file exists.
    std::filesystem::path inside;
    for (const auto& part : path.lexically_normal()) {
      if (inside.empty() && part == "..") continue;
      inside /= part;
    }
    const bool found = !run.source_root.empty() && std::filesystem::exists(run.source_root / inside);
    const std::filesystem::path& shown = found ? inside : path;
    return {{"uri", encode_path(shown.lexically_normal().generic_string())}, {"uriBaseId", kSourceRootId}};
  }
  if (!run.source_root.empty()) {
    const std::filesystem::path root = std::filesystem::absolute(run.source_root).lexically_normal();
    const std::filesystem::path relative = path.lexically_normal().lexically_relative(root);
    if (!relative.empty() && *relative.begin() != "..") {
      return {{"uri", encode_path(relative.generic_string())}, {"uriBaseId", kSourceRootId}};
    }
  }
  return {{"uri", "file://" + encode_path(path.lexically_normal().generic_string())}};
}

json location(const StackFrame& frame, const RunInfo& run) {
  json out = json::object();
  if (!frame.file.empty()) {
    json physical = {{"artifactLocation", artifact_location(frame.file, run)}};
    if (frame.line > 0) physical["region"] = {{"startLine", frame.line}};
    out["physicalLocation"] = physical;
  }
  const std::string function = frame.function.empty() ? hex(frame.pc) : frame.function;
  out["logicalLocations"] =
      json::array({{{"fullyQualifiedName", fmt::format("{}!{}", frame.module.empty() ? "?" : frame.module, function)},
                    {"kind", "function"}}});
  return out;
}

json thread_flow(const ContextSnapshot& context, const RunInfo& run) {
  json locations = json::array();
  for (const StackFrame& frame : context.stack) {
    json step = {{"location", location(frame, run)}, {"nestingLevel", 0}};
    step["location"]["message"] = {{"text", frame.to_string()}};
    step["importance"] = frame.lab ? "unimportant" : "essential";
    locations.push_back(step);
  }
  json flow = {{"locations", locations}};
  if (!context.name.empty()) flow["message"] = {{"text", context.name}};
  return flow;
}

const StackFrame* first_driver_frame(const ContextSnapshot& context) {
  for (const StackFrame& frame : context.stack) {
    if (!frame.lab) return &frame;
  }
  return nullptr;
}

json result_json(const Finding& finding, std::size_t rule_index, const RunInfo& run) {
  json result = {{"ruleId", rule_id(finding)},
                 {"ruleIndex", rule_index},
                 {"level", sarif_level(finding.severity)},
                 {"message", {{"text", fmt::format("{}: {}", finding.summary(), finding.description)}}}};
  json locations = json::array();
  if (const StackFrame* culprit = finding.culprit_frame(); culprit != nullptr)
    locations.push_back(location(*culprit, run));
  result["locations"] = locations;
  if (!finding.context.stack.empty()) {
    json flows = json::array({thread_flow(finding.context, run)});
    for (const ContextSnapshot& other : finding.involved) {
      if (!other.stack.empty()) flows.push_back(thread_flow(other, run));
    }
    result["codeFlows"] = json::array({{{"threadFlows", flows}}});
  }
  json related = json::array();
  for (std::size_t i = 0; i < finding.involved.size(); ++i) {
    const StackFrame* frame = first_driver_frame(finding.involved[i]);
    if (frame == nullptr) continue;
    json entry = location(*frame, run);
    entry["id"] = static_cast<int>(i + 1);
    entry["message"] = {{"text", finding.involved[i].name}};
    related.push_back(entry);
  }
  if (!related.empty()) result["relatedLocations"] = related;
  result["partialFingerprints"] = {{"failureBucketId/v1", failure_bucket(finding)}};
  json parameters = json::array();
  for (std::uint64_t parameter : finding.parameters) parameters.push_back(hex(parameter));
  result["properties"] = {{"bugCheckCode", hex(finding.code)}, {"bugCheckName", finding.name},
                          {"parameters", parameters},          {"driver", finding.driver},
                          {"bucket", finding.bucket()},        {"replay", finding.replay}};
  return result;
}

json rule_json(const Finding& finding) {
  const std::string name = finding.name.empty() ? hex(finding.code) : finding.name;
  std::string text = finding.rule.empty() ? fmt::format("Bug check {} {}", finding.bucket(), name)
                                          : fmt::format("{} ({} {})", finding.rule, hex(finding.code), name);
  json rule = {{"id", rule_id(finding)}, {"shortDescription", {{"text", text}}}};
  const std::string help = rule_help_uri(finding);
  if (!help.empty()) rule["helpUri"] = help;
  rule["defaultConfiguration"] = {{"level", sarif_level(finding.severity)}};
  return rule;
}

}  // namespace

namespace lab {

json finding_json(const Finding& finding) {
  const base::ParameterMeanings* meanings = base::parameter_meanings(finding.code, finding.parameters[0]);
  json parameters = json::array();
  json meaning = json::array();
  for (std::size_t i = 0; i < finding.parameters.size(); ++i) {
    parameters.push_back(hex(finding.parameters[i]));
    meaning.push_back(meanings != nullptr ? meanings->meaning[i] : "");
  }
  json involved = json::array();
  for (const ContextSnapshot& other : finding.involved) involved.push_back(context_json(other));
  json context = context_json(finding.context);
  context["virtual_time"] = finding.virtual_time;
  context["decision"] = finding.decision;
  return {{"code", hex(finding.code)},
          {"name", finding.name},
          {"parameters", parameters},
          {"parameter_meanings", meaning},
          {"rule", finding.rule},
          {"severity", severity_name(finding.severity)},
          {"driver", finding.driver},
          {"description", finding.description},
          {"bucket", finding.bucket()},
          {"failure_bucket", failure_bucket(finding)},
          {"context", context},
          {"involved", involved},
          {"irp_history", finding.irp_history},
          {"replay", finding.replay}};
}

namespace {

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
  for (Severity severity : {Severity::Fatal, Severity::NonFatal, Severity::Warning}) {
    if (severity_name(severity) == text) return severity;
  }
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

}  // namespace

Finding finding_from_json(const json& in) {
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

}  // namespace lab

std::string to_json(std::span<const Finding> findings, const RunInfo& run) {
  json list = json::array();
  for (const Finding& finding : findings) list.push_back(lab::finding_json(finding));
  json out = {
      {"tool", {{"name", "wdmlab"}, {"version", run.tool_version}}}, {"command", run.command}, {"findings", list}};
  return out.dump(2) + "\n";
}

std::string to_sarif(std::span<const Finding> findings, const RunInfo& run) {
  json rules = json::array();
  std::map<std::string, std::size_t> rule_indexes;
  json results = json::array();
  for (const Finding& finding : findings) {
    auto [it, inserted] = rule_indexes.try_emplace(rule_id(finding), rules.size());
    if (inserted) rules.push_back(rule_json(finding));
    results.push_back(result_json(finding, it->second, run));
  }
  json driver = {{"name", "wdmlab"},
                 {"version", run.tool_version},
                 {"informationUri", "https://learn.microsoft.com/windows-hardware/drivers/devtest/driver-verifier"},
                 {"rules", rules}};
  json sarif_run = {{"tool", {{"driver", driver}}}, {"results", results}};
  if (!run.source_root.empty()) {
    sarif_run["originalUriBaseIds"] = {{kSourceRootId, {{"uri", directory_uri(run.source_root)}}}};
  }
  json invocation = {{"executionSuccessful", true}};
  if (!run.command.empty()) invocation["commandLine"] = run.command;
  sarif_run["invocations"] = json::array({invocation});
  json log = {{"$schema", kSarifSchema}, {"version", "2.1.0"}, {"runs", json::array({sarif_run})}};
  return log.dump(2) + "\n";
}

}  // namespace wdmlab
