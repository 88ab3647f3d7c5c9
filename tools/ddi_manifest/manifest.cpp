#include "manifest.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

namespace wdmlab::manifest {

std::vector<Routine> load(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& error) {
    throw std::runtime_error(fmt::format("{}: {}", path, error.what()));
  }
  if (!root["routines"] || !root["routines"].IsSequence()) {
    throw std::runtime_error(fmt::format("{}: expected a top-level 'routines' list", path));
  }
  std::vector<Routine> routines;
  std::set<std::string> seen;
  for (const YAML::Node& node : root["routines"]) {
    Routine routine;
    if (!node["name"] || !node["subsystem"] || !node["irql"]) {
      throw std::runtime_error(fmt::format("{}: line {}: each routine needs name, subsystem and irql", path,
                                           node.Mark().line + 1));
    }
    routine.name = node["name"].as<std::string>();
    routine.subsystem = node["subsystem"].as<std::string>();
    routine.irql = node["irql"].as<std::string>();
    const std::string status = node["status"] ? node["status"].as<std::string>() : "implemented";
    if (status == "implemented") {
      routine.status = Status::Implemented;
    } else if (status == "partial") {
      routine.status = Status::Partial;
    } else {
      throw std::runtime_error(fmt::format("{}: {}: status must be implemented or partial, not '{}'", path,
                                           routine.name, status));
    }
    if (node["note"]) routine.note = node["note"].as<std::string>();
    if (routine.status == Status::Partial && routine.note.empty()) {
      throw std::runtime_error(fmt::format("{}: {}: a partial routine needs a note saying what is missing", path,
                                           routine.name));
    }
    if (!seen.insert(routine.name).second) {
      throw std::runtime_error(fmt::format("{}: {} is listed twice", path, routine.name));
    }
    routines.push_back(std::move(routine));
  }
  return routines;
}

std::string render_markdown(const std::vector<Routine>& routines) {
  std::map<std::string, std::vector<const Routine*>> by_subsystem;
  std::size_t partial = 0;
  for (const Routine& routine : routines) {
    by_subsystem[routine.subsystem].push_back(&routine);
    partial += routine.status == Status::Partial ? 1 : 0;
  }
  std::string out;
  out += "# Kernel routines the lab implements\n\n";
  out += "Generated from `src/ddi.yaml` by `build/default/bin/ddi_manifest src/ddi.yaml docs/ddi.md`; do not edit.\n";
  out += "The `ddi_manifest` test fails when the manifest and the libraries' exports disagree.\n\n";
  out += fmt::format("{} routines, {} of them partial.\n", routines.size(), partial);
  for (auto& [subsystem, list] : by_subsystem) {
    std::sort(list.begin(), list.end(), [](const Routine* a, const Routine* b) { return a->name < b->name; });
    out += fmt::format("\n## {}\n\n| Routine | IRQL | Status | Notes |\n|---|---|---|---|\n", subsystem);
    for (const Routine* routine : list) {
      out += fmt::format("| {} | {} | {} | {} |\n", routine->name, routine->irql,
                         routine->status == Status::Implemented ? "implemented" : "partial", routine->note);
    }
  }
  return out;
}

}  // namespace wdmlab::manifest
