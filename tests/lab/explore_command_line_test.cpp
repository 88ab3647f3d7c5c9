// The race explorer from the command line (wdmlab explore, replay, merge) on the cancel_race
// sample: PCT finds its race within a stated number of schedules, the printed command replays it,
// two shards run exactly the schedules of one unsharded run and merge into its report.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <vector>

#include "support/command_line.hpp"

namespace wdmlab {
namespace {

using nlohmann::json;
using test::line_of;
using test::read_text_file;
using test::replay_arguments;
using ::testing::HasSubstr;

std::pair<int, std::string> run_cli(const std::string& arguments) { return test::run_program(WDMLAB_CLI, arguments); }

// The lines of `output` that start with `prefix`, in order.
std::vector<std::string> lines_of(const std::string& output, const std::string& prefix) {
  std::vector<std::string> lines;
  for (std::size_t at = output.find(prefix); at != std::string::npos; at = output.find(prefix, at + 1)) {
    if (at == 0 || output[at - 1] == '\n') lines.push_back(output.substr(at, output.find('\n', at) - at));
  }
  return lines;
}

// What identifies each finding of an exploration's JSON: (key, schedule index, occurrences).
std::vector<std::tuple<std::string, std::uint64_t, std::uint64_t>> findings_of(const json& exploration) {
  std::vector<std::tuple<std::string, std::uint64_t, std::uint64_t>> findings;
  for (const json& found : exploration["findings"]) {
    findings.emplace_back(found["key"], found["schedule_index"], found["occurrences"]);
  }
  return findings;
}

class ExploreCommandLine : public ::testing::Test {
 protected:
  test::ScratchDirectory directory_;
};

// PCT with depth 2 from seed 1 meets the race by its 12th schedule (index 11); the bound leaves
// room for a changed step estimate, not for a race PCT no longer finds.
constexpr std::uint64_t kPctFindsItWithin = 40;

TEST_F(ExploreCommandLine, PctFindsTheCancelRaceAndShrinksItToOnePreemption) {
  const auto path = directory_ / "pct.json";
  const auto [status, output] =
      run_cli(fmt::format("explore cancel_race --strategy pct:2 --schedules 200 --json {}", path.string()));
  ASSERT_EQ(status, 1) << output;
  const json exploration = json::parse(read_text_file(path));
  EXPECT_EQ(exploration["strategy"], "pct(2)");
  EXPECT_EQ(exploration["sample"], "cancel_race");
  EXPECT_LE(exploration["schedules"].get<std::uint64_t>(), kPctFindsItWithin);
  EXPECT_EQ(exploration["schedules_with_findings"], 1);  // it stops at the first
  ASSERT_FALSE(exploration["findings"].empty());
  for (const json& found : exploration["findings"]) {
    EXPECT_LT(found["schedule_index"].get<std::uint64_t>(), kPctFindsItWithin);
    EXPECT_EQ(found["finding"]["driver"], "cancel_race");
    // Both completions are the driver's: the DPC that ignored IoSetCancelRoutine's result and
    // the cancel routine that owned the IRP.
    EXPECT_THAT(found["key"].get<std::string>(),
                ::testing::AnyOf(HasSubstr("CancelRaceDpc"), HasSubstr("CancelRaceCancel")));
    // The race needs the canceller between the dispatch routine and the DPC: one preemption,
    // and no schedule without one makes it.
    EXPECT_EQ(found["shrunk_preemptions"], 1);
    EXPECT_TRUE(found["shrunk_minimal"]);
    EXPECT_GE(found["preemptions"].get<std::uint64_t>(), 1u);
    EXPECT_THAT(found["replay"].get<std::string>(), ::testing::StartsWith("wdmlab replay cancel_race"));
  }
  EXPECT_THAT(output, HasSubstr("strategy pct(2): "));
  EXPECT_THAT(output, HasSubstr("after shrinking (the fewest"));
}

TEST_F(ExploreCommandLine, TheReplayCommandReproducesTheFinding) {
  const auto [status, output] = run_cli("explore cancel_race --strategy pct:2 --schedules 200");
  ASSERT_EQ(status, 1) << output;
  const std::string replay = replay_arguments(output);
  ASSERT_THAT(replay, ::testing::StartsWith("replay cancel_race --verifier 0x209BB --schedule 'wdmlab-schedule 1 "));
  const auto [again_status, again] = run_cli(replay);
  EXPECT_EQ(again_status, 1) << again;
  EXPECT_THAT(again, HasSubstr("build: the same as the schedule's"));
  EXPECT_THAT(again, HasSubstr("the run followed the schedule to its end"));
  // The schedule's first finding, again (the exploration prints the findings of its schedule in
  // the order that schedule made them).
  EXPECT_EQ(line_of(again, "FAILURE_BUCKET_ID:"), line_of(output, "FAILURE_BUCKET_ID:"));
  EXPECT_FALSE(line_of(output, "FAILURE_BUCKET_ID:").empty());

  // The same schedule from a file, and the same schedule cut short: the run says where it left it.
  const std::string schedule =
      line_of(output, "  schedule: wdmlab-schedule").substr(std::string("  schedule: ").size());
  const auto file = directory_ / "schedule.txt";
  {
    std::ofstream out(file);
    out << "# found by wdmlab explore\n" << schedule << "\n";
  }
  const auto [file_status, from_file] = run_cli("replay cancel_race --schedule-file " + file.string());
  EXPECT_EQ(file_status, 1) << from_file;
  EXPECT_EQ(line_of(from_file, "FAILURE_BUCKET_ID:"), line_of(output, "FAILURE_BUCKET_ID:"));

  const auto [short_status, cut] = run_cli(
      "replay cancel_race --schedule 'wdmlab-schedule 1 build=- processors=2 seed=1 choices=3 strategy=pct(2)'");
  EXPECT_THAT(cut, HasSubstr("build: the schedule names none"));
  EXPECT_THAT(cut, HasSubstr("the run left the schedule: "));
  EXPECT_NE(short_status, 2) << cut;
}

TEST_F(ExploreCommandLine, TwoShardsRunTheSchedulesOfOneRunAndMergeIntoItsReport) {
  const std::string common = "explore cancel_race --strategy random --schedules 48 --all --no-shrink";
  const auto whole_path = directory_ / "whole.json";
  const auto [whole_status, whole_output] = run_cli(fmt::format("{} --json {}", common, whole_path.string()));
  ASSERT_EQ(whole_status, 1) << whole_output;
  std::vector<json> shards;
  std::string files;
  for (int shard = 0; shard < 2; ++shard) {
    const auto path = directory_ / fmt::format("shard-{}.json", shard);
    const auto [status, output] = run_cli(fmt::format("{} --shard {}/2 --json {}", common, shard, path.string()));
    EXPECT_NE(status, 2) << output;
    shards.push_back(json::parse(read_text_file(path)));
    files += " " + path.string();
  }
  const json whole = json::parse(read_text_file(whole_path));
  EXPECT_EQ(whole["schedules"], 48);

  // Disjoint: each shard's findings come from its own schedules (index i mod 2), each from the
  // seed the unsharded run gave that index; together: every schedule once.
  std::set<std::uint64_t> seeds;
  for (int shard = 0; shard < 2; ++shard) {
    EXPECT_EQ(shards[shard]["schedules"], 24);
    EXPECT_EQ(shards[shard]["shards"], json::array({shard}));
    for (const json& found : shards[shard]["findings"]) {
      const std::uint64_t index = found["schedule_index"];
      EXPECT_EQ(index % 2, static_cast<std::uint64_t>(shard));
      seeds.insert(index + 1);
      EXPECT_THAT(found["schedule"].get<std::string>(), HasSubstr(fmt::format(" seed={} ", index + 1)));
    }
  }
  std::set<std::uint64_t> whole_seeds;
  for (const json& found : whole["findings"]) whole_seeds.insert(found["schedule_index"].get<std::uint64_t>() + 1);
  EXPECT_TRUE(std::includes(seeds.begin(), seeds.end(), whole_seeds.begin(), whole_seeds.end()));

  const auto merged_path = directory_ / "merged.json";
  const auto [status, merged_output] = run_cli(fmt::format("merge{} --json {}", files, merged_path.string()));
  ASSERT_EQ(status, 1) << merged_output;
  const json merged = json::parse(read_text_file(merged_path));
  EXPECT_EQ(merged["schedules"], whole["schedules"]);
  EXPECT_EQ(merged["schedules_with_findings"], whole["schedules_with_findings"]);
  EXPECT_EQ(findings_of(merged), findings_of(whole));
  EXPECT_EQ(merged["shards"], json::array({0, 1}));
  EXPECT_TRUE(merged["distinct_interleavings_upper_bound"]);
  EXPECT_GE(merged["distinct_interleavings"].get<std::uint64_t>(),
            whole["distinct_interleavings"].get<std::uint64_t>());
  EXPECT_THAT(merged_output, HasSubstr("shard(s) 0,1 of 2, all of them"));
  EXPECT_THAT(merged_output, HasSubstr("an upper bound"));
  // One report, finding for finding the unsharded run's, read back from the shards' JSON.
  EXPECT_EQ(lines_of(merged_output, "FAILURE_BUCKET_ID:"), lines_of(whole_output, "FAILURE_BUCKET_ID:"));
  EXPECT_EQ(lines_of(merged_output, "  schedule: "), lines_of(whole_output, "  schedule: "));
  EXPECT_EQ(lines_of(merged_output, "SYMBOL_NAME:"), lines_of(whole_output, "SYMBOL_NAME:"));

  // A merge of what is not one exploration, or of one shard twice, is bad usage.
  const auto [twice_status, twice] = run_cli(fmt::format("merge {0} {0}", (directory_ / "shard-0.json").string()));
  EXPECT_EQ(twice_status, 2);
  EXPECT_THAT(twice, HasSubstr("shard 0/2 is in both"));
  const auto [other_status, other] = run_cli(fmt::format("merge {} {}", whole_path.string(), files));
  EXPECT_EQ(other_status, 2);
  EXPECT_THAT(other, HasSubstr("are not shards of one exploration: shard count 1 and 2"));
}

TEST_F(ExploreCommandLine, ACorrectSampleFindsNothing) {
  const auto path = directory_ / "timer_worker.json";
  const auto [status, output] =
      run_cli(fmt::format("explore timer_worker --strategy random --schedules 4 --json {}", path.string()));
  EXPECT_EQ(status, 0) << output;
  const json exploration = json::parse(read_text_file(path));
  EXPECT_EQ(exploration["schedules"], 4);
  EXPECT_TRUE(exploration["findings"].empty());
  const auto [merge_status, merged] = run_cli("merge " + path.string());
  EXPECT_EQ(merge_status, 0) << merged;
  EXPECT_THAT(merged, HasSubstr("strategy random: 4 schedule(s), 0 with findings"));
}

}  // namespace
}  // namespace wdmlab
