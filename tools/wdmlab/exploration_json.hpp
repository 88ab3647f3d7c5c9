// An exploration as JSON: what `wdmlab explore --json` writes and `wdmlab merge` reads back.
//
//   {"tool": "wdmlab", "format": "wdmlab-exploration 1", "command", "sample", "strategy", "seed",
//    "schedules_asked", "shard_count", "shards": [i, ...], "schedules", "schedules_with_findings",
//    "distinct_interleavings", "distinct_interleavings_upper_bound", "coverage": [[schedules,
//    interleavings], ...], "exhausted", "stopped_by_time", "elapsed_seconds", "longest_schedule",
//    "findings": [{"key", "schedule_index", "occurrences", "schedule", "preemptions", "shrunk",
//                  "shrunk_preemptions", "shrunk_minimal", "replay", "interleaving", "trace_file",
//                  "finding": (one finding of wdmlab/report.hpp's to_json)}]}
//
// Reading gives back the ExploreResult (findings included, stacks and all), so a merged report
// is the same text an unsharded exploration prints.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wdmlab/explore.hpp"

namespace wdmlab::cli {

// One worker's exploration, or several merged, with what says which exploration it is part of.
struct ExplorationFile {
  std::string command;  // the command line that made it ("wdmlab merge ..." once merged)
  std::string sample;
  std::uint64_t seed = 1;             // the exploration's first seed (ExploreOptions::seed)
  std::uint64_t schedules_asked = 0;  // ExploreOptions::schedules, over the whole exploration
  unsigned shard_count = 1;
  std::vector<unsigned> shards;            // the shards it holds, ascending
  bool interleavings_upper_bound = false;  // summed over shards, which may have met the same one
  ExploreResult result;
  std::vector<std::string> trace_files;  // per finding: where its Chrome trace was written, or ""
};

std::string to_json(const ExplorationFile& exploration);
// The inverse of to_json; throws UsageError naming `origin` (a file name) and what is wrong.
ExplorationFile exploration_from_json(std::string_view text, const std::string& origin);

}  // namespace wdmlab::cli
