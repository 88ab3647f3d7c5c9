// new_race_test.hpp - what the exploration tests of the corpus's races share.
//
// A race's test file has its scenario (a wdmlab::Scenario: load the driver image, start app.exe's
// threads, no Sleep to line them up), what its finding must look like (a Race), and its measured
// numbers. The checks are the same for every race:
//   - PCT and random exploration, from seed 1 and stopping at the first finding, find it within
//     the stated number of schedules;
//   - the schedule that found it replays it exactly, also after a round trip through its text;
//   - the shrunk schedule has the stated number of preemptions and replays it too;
//   - no schedule without preemptions shows it (bounded(0), run to exhaustion, is clean).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wdmlab/explore.hpp"
#include "wdmlab/lab.hpp"

namespace wdmlab::test {

// One race of the corpus: its scenario, the machine it runs on, and the finding it must give.
struct Race {
  Scenario scenario;
  LabOptions lab = ExploreOptions::default_lab();  // 2 processors; the verifier as the race needs
  std::uint32_t code = 0;
  std::optional<std::uint64_t> parameter1;  // P1, when it is a constant (a subcode, not an address)
  std::string rule;                         // "" if the finding names none
  std::string driver;                       // the driver charged with it
  // The function of the finding's culprit frame is one of these (whichever side of the race came
  // second); empty: not asserted.
  std::vector<std::string> culprits;
  // The distinct findings a schedule that shows the race makes; the race's own is the first.
  std::size_t findings = 1;

  void expect_finding(const Finding& finding) const {
    EXPECT_EQ(finding.code, code) << finding.to_text();
    if (parameter1) {
      EXPECT_EQ(finding.parameters[0], *parameter1) << finding.to_text();
    }
    EXPECT_EQ(finding.rule, rule) << finding.to_text();
    EXPECT_EQ(finding.driver, driver) << finding.to_text();
    if (!culprits.empty()) {
      const StackFrame* frame = finding.culprit_frame();
      ASSERT_NE(frame, nullptr) << finding.to_text();
      EXPECT_NE(std::find(culprits.begin(), culprits.end(), frame->function), culprits.end()) << finding.to_text();
    }
  }
};

// Explores `race` with `strategy` from seed 1, at most `within` schedules, stopping at the first
// finding; no picture (the tests do not look at it).
inline ExploreResult explore_race(const Race& race, const Strategy& strategy, std::uint64_t within) {
  ExploreOptions options{.schedules = within, .strategy = strategy, .seed = 1, .stop_at_first = true};
  options.lab = race.lab;
  options.picture = false;
  return explore(race.scenario, options);
}

// The exploration found the race's finding, and no later than schedule `within`. Returns it.
inline const ExploredFinding& expect_found(const Race& race, const ExploreResult& result, std::uint64_t within) {
  static const ExploredFinding none;
  EXPECT_EQ(result.findings.size(), race.findings) << result.report();
  if (result.findings.empty()) return none;
  const ExploredFinding& found = result.findings.front();
  race.expect_finding(found.finding);
  EXPECT_LE(found.schedule_index + 1, within) << result.report();
  EXPECT_EQ(found.schedule.processors, race.lab.processors);
  return found;
}

// `schedule` replays the race's finding on a fresh lab, through its text form, without diverging.
inline void expect_replays(const Race& race, const Schedule& schedule) {
  const Schedule parsed = Schedule::parse(schedule.to_string());
  EXPECT_EQ(parsed.to_string(), schedule.to_string());
  const ReplayResult again = replay(race.scenario, parsed, race.lab);
  EXPECT_FALSE(again.diverged) << again.divergence;
  EXPECT_EQ(again.choices, schedule.choices.size());
  ASSERT_EQ(again.findings.size(), race.findings) << schedule.to_string();
  race.expect_finding(again.findings.front());
}

// The found schedule and its shrunk form replay the finding; the shrunk one has `preemptions`
// preemptions, no more than the found one, and nothing with fewer makes the finding.
inline void expect_replays_and_shrinks(const Race& race, const ExploredFinding& found, std::size_t preemptions) {
  expect_replays(race, found.schedule);
  EXPECT_EQ(found.shrunk.preemptions.size(), preemptions) << found.report();
  EXPECT_LE(found.shrunk.preemptions.size(), found.schedule.preemptions.size());
  EXPECT_TRUE(found.shrunk_minimal) << found.report();
  expect_replays(race, found.shrunk);
}

// A race and its two explorations (PCT and random, from seed 1, stopping at the first finding),
// each run once however many tests look at it.
class RaceExplorations {
 public:
  RaceExplorations(Race race, Strategy pct, std::uint64_t pct_within, std::uint64_t random_within)
      : race_(std::move(race)), pct_(std::move(pct)), pct_within_(pct_within), random_within_(random_within) {}

  const Race& race() const { return race_; }
  const ExploreResult& by_pct() const {
    if (!by_pct_) by_pct_ = explore_race(race_, pct_, pct_within_);
    return *by_pct_;
  }
  const ExploreResult& by_random() const {
    if (!by_random_) by_random_ = explore_race(race_, random_strategy(), random_within_);
    return *by_random_;
  }
  // The race's finding as each exploration found it (the test fails if it did not, in time).
  const ExploredFinding& found_by_pct() const { return expect_found(race_, by_pct(), pct_within_); }
  const ExploredFinding& found_by_random() const { return expect_found(race_, by_random(), random_within_); }

 private:
  Race race_;
  Strategy pct_;
  std::uint64_t pct_within_;
  std::uint64_t random_within_;
  mutable std::optional<ExploreResult> by_pct_;
  mutable std::optional<ExploreResult> by_random_;
};

// The finding needs more than `preemptions` preemptions: every schedule with at most that many
// runs clean (bounded(preemptions), run to exhaustion).
inline void expect_clean_within(const Race& race, unsigned preemptions) {
  ExploreOptions options{.schedules = 1000, .strategy = bounded(preemptions), .seed = 1, .stop_at_first = false};
  options.lab = race.lab;
  options.shrink = false;
  options.picture = false;
  const ExploreResult result = explore(race.scenario, options);
  EXPECT_TRUE(result.exhausted) << result.report();
  EXPECT_GT(result.schedules, 1u);
  EXPECT_TRUE(result.findings.empty()) << result.report();
}

}  // namespace wdmlab::test
