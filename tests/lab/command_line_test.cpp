// The wdmlab command line's report and verifier options: --json, --sarif, --source-root,
// --verifier, --disable-rule, --driver-verifier, --policy; malformed ones are bad usage (exit
// status 2) with a message naming the problem, explore's, replay's and merge's too; a finding's
// REPLAY line makes the same run again.
#include "support/command_line.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/lab_test.hpp"

namespace wdmlab {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// Runs the wdmlab command line; returns its exit status and its standard output and error.
std::pair<int, std::string> run_cli(const std::string& arguments) { return test::run_program(WDMLAB_CLI, arguments); }

using test::line_of;
using test::read_text_file;
using test::replay_arguments;

class CommandLineReports : public ::testing::Test {
 protected:
  test::ScratchDirectory directory_;
};

TEST_F(CommandLineReports, WritesJsonAndSarifForTheFindings) {
  const auto json_path = directory_ / "findings.json";
  const auto sarif_path = directory_ / "findings.sarif";
  const auto [status, output] =
      run_cli(fmt::format("run null_deref --seed 3 --processors 2 --json {} --sarif {} --source-root {}",
                          json_path.string(), sarif_path.string(), PROJECT_SOURCE_DIR));
  EXPECT_EQ(status, 1) << output;
  const json findings = json::parse(read_text_file(json_path));
  ASSERT_EQ(findings["findings"].size(), 1u);
  EXPECT_EQ(findings["findings"][0]["code"], "0x7E");
  EXPECT_EQ(findings["findings"][0]["driver"], "null_deref");
  EXPECT_EQ(findings["findings"][0]["replay"],
            "wdmlab run null_deref --seed 3 --processors 2 --policy random --verifier 0x209BB");

  const json sarif = json::parse(read_text_file(sarif_path));
  EXPECT_EQ(sarif["version"], "2.1.0");
  const json& result = sarif["runs"][0]["results"][0];
  EXPECT_EQ(result["level"], "error");
  const json& physical = result["locations"][0]["physicalLocation"];
  EXPECT_EQ(physical["artifactLocation"]["uri"], "samples/foundation/null_deref.c");
  EXPECT_EQ(physical["artifactLocation"]["uriBaseId"], "SRCROOT");
  EXPECT_GE(physical["region"]["startLine"].get<int>(), 1);
}

TEST_F(CommandLineReports, TheReplayLineMakesTheSameRunAgain) {
  const auto [status, output] = run_cli("run lock_order_deadlock --seed 11 --processors 2 --verifier standard");
  ASSERT_EQ(status, 1) << output;
  const std::string replay = replay_arguments(output);
  ASSERT_FALSE(replay.empty()) << output;
  const auto [again_status, again] = run_cli(replay);
  EXPECT_EQ(again_status, status);
  for (const char* prefix : {"FAILURE_BUCKET_ID:", "BUGCHECK_STR:", "SCHEDULING_DECISION:", "VIRTUAL_TIME:"}) {
    EXPECT_EQ(line_of(again, prefix), line_of(output, prefix)) << prefix;
    EXPECT_FALSE(line_of(output, prefix).empty()) << prefix;
  }
}

TEST_F(CommandLineReports, AnUnverifiedRunGetsTheKernelsOwnStop) {
  const auto [status, output] = run_cli("run null_deref --verifier 0 --policy cooperative");
  EXPECT_EQ(status, 1) << output;
  EXPECT_THAT(output, HasSubstr("SYSTEM_THREAD_EXCEPTION_NOT_HANDLED"));
  EXPECT_THAT(output, HasSubstr("--policy cooperative --verifier 0x0"));
}

// A malformed option: the exit status is 2 and the message names the problem.
struct BadOption {
  std::string name;
  std::string arguments;
  std::string message;
};

class CommandLineBadOptions : public ::testing::TestWithParam<BadOption> {};

TEST_P(CommandLineBadOptions, AreBadUsageWithAClearMessage) {
  const BadOption& row = GetParam();
  const auto [status, output] = run_cli(row.arguments);
  EXPECT_EQ(status, 2) << output;
  EXPECT_THAT(output, HasSubstr(row.message));
  EXPECT_THAT(output, ::testing::Not(HasSubstr("DriverEntry returned")));
}

INSTANTIATE_TEST_SUITE_P(
    CommandLine, CommandLineBadOptions,
    ::testing::Values(
        BadOption{"UnknownVerifierName", "run null_deref --verifier bogus", "'bogus' in verifier flags 'bogus'"},
        BadOption{"UnknownVerifierBits", "run null_deref --verifier 0x1000", "bits the lab does not know"},
        BadOption{"EmptyVerifier", "run null_deref --verifier ''", "empty verifier flags"},
        BadOption{"VerifierWithoutValue", "run null_deref --verifier", "--verifier"},
        BadOption{"RuleNotANumber", "run null_deref --disable-rule 0xZZ", "--disable-rule '0xZZ' is not a number"},
        BadOption{"NegativeRule", "run null_deref --disable-rule -1", "--disable-rule"},
        BadOption{"DriverVerifierWithoutFlags", "run null_deref --driver-verifier null_deref",
                  "--driver-verifier 'null_deref' should be NAME=FLAGS"},
        BadOption{"DriverVerifierBadFlags", "run null_deref --driver-verifier null_deref=zz", "'zz'"},
        BadOption{"UnknownPolicy", "run null_deref --policy fastest", "unknown policy 'fastest'"},
        BadOption{"NoProcessors", "run null_deref --processors 0", "--processors"},
        BadOption{"SeedNotANumber", "run null_deref --seed seven", "--seed"},
        BadOption{"UnwritableJson", "run null_deref --json /nonexistent/directory/findings.json",
                  "cannot write the report '/nonexistent/directory/findings.json'"},
        BadOption{"LoadBadVerifier", "load /nonexistent.so --verifier bogus", "'bogus'"},
        BadOption{"UnknownOption", "run null_deref --sarif-out x", "--sarif-out"},
        BadOption{"ExploreUnknownSample", "explore no_such_sample", "no sample named 'no_such_sample'"},
        BadOption{"ExploreUnknownStrategy", "explore cancel_race --strategy fastest",
                  "--strategy: unknown strategy 'fastest'"},
        BadOption{"ExplorePctDepthZero", "explore cancel_race --strategy pct:0", "PCT depth 0"},
        BadOption{"ExploreShardIndexNotBelowCount", "explore cancel_race --shard 3/2", "--shard: shard '3/2'"},
        BadOption{"ExploreShardNotIOverN", "explore cancel_race --shard 1", "--shard: shard '1' is not i/N"},
        BadOption{"ExploreBoundedSharded", "explore cancel_race --strategy bounded:2 --shard 1/2",
                  "--strategy bounded:2 cannot run as --shard 1/2"},
        BadOption{"ExploreNoSchedules", "explore cancel_race --schedules 0", "--schedules 0"},
        BadOption{"ExploreNegativeTimeBudget", "explore cancel_race --time-budget -1", "--time-budget -1"},
        BadOption{"ExploreUnwritableJson", "explore cancel_race --json /nonexistent/directory/x.json",
                  "'/nonexistent/directory/x.json'"},
        BadOption{"ExploreUnknownOption", "explore cancel_race --shards 2", "--shards"},
        BadOption{"ReplayWithoutSchedule", "replay cancel_race", "replay needs --schedule"},
        BadOption{"ReplayMalformedSchedule", "replay cancel_race --schedule 'wdmlab-schedule 1 processors=2'",
                  "--schedule: a schedule needs processors= and choices="},
        BadOption{"ReplayNotASchedule", "replay cancel_race --schedule 'seed=7'", "--schedule: not a schedule"},
        BadOption{"ReplayMissingScheduleFile", "replay cancel_race --schedule-file /nonexistent/schedule.txt",
                  "'/nonexistent/schedule.txt'"},
        BadOption{"ReplayScheduleFileWithoutSchedule",
                  std::string("replay cancel_race --schedule-file ") + PROJECT_SOURCE_DIR + "/README.md",
                  "holds no line that starts with 'wdmlab-schedule'"},
        BadOption{"MergeWithoutFiles", "merge", "files"},
        BadOption{"MergeMissingFile", "merge /nonexistent/shard-0.json", "'/nonexistent/shard-0.json'"},
        BadOption{"MergeNotJson", std::string("merge ") + PROJECT_SOURCE_DIR + "/README.md",
                  "README.md' is not an exploration's JSON"},
        BadOption{"MergeJsonThatIsNoExploration", std::string("merge ") + PROJECT_SOURCE_DIR + "/CMakePresets.json",
                  "CMakePresets.json' is not an exploration's JSON"},
        // The command line has no AddressSanitizer runtime: a KASAN image cannot be loaded, and
        // the loader names the runtime's symbol it misses.
        BadOption{"KasanImageWithoutTheRuntime",
                  std::string("load ") + KASAN_HEAP_OOB_IMAGE + " --verifier standard,kasan",
                  "undefined symbol: __asan_"}),
    test::RowName());

}  // namespace
}  // namespace wdmlab
