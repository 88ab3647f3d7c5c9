// The race explorer on small scenarios whose every schedule is understood: a lost update between
// two threads (one preemption between a read and a write loses it), a poller that only a fair
// schedule lets finish, and two bugs that show in different schedules.
#include <gtest/gtest.h>
#include <wdm.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "wdmlab/errors.hpp"
#include "wdmlab/explore.hpp"

namespace wdmlab {
namespace {

// Two system threads each read a shared counter, make a kernel call (a scheduling point), and
// write the counter plus one. The end-state check wants 2.
struct LostUpdate {
  std::shared_ptr<LONG> counter = std::make_shared<LONG>(0);

  Scenario scenario() const {
    return [counter = counter](Lab& lab) {
      *counter = 0;
      for (const char* name : {"first", "second"}) {
        lab.spawn(name, [counter] {
          const LONG seen = *counter;
          LARGE_INTEGER now;
          KeQuerySystemTimePrecise(&now);
          *counter = seen + 1;
        });
      }
    };
  }
  EndCheck check() const {
    return [counter = counter](Lab&) {
      return *counter == 2 ? std::string() : "the counter is " + std::to_string(*counter) + ", not 2";
    };
  }
  ExploreOptions options(Strategy strategy, std::uint64_t schedules) const {
    ExploreOptions options{.schedules = schedules, .strategy = std::move(strategy)};
    options.check = check();
    options.picture = false;
    return options;
  }
};

TEST(Explore, PctFindsTheLostUpdateAndShrinksItToOnePreemption) {
  const LostUpdate race;
  const ExploreResult result = explore(race.scenario(), race.options(pct(2), 50));
  ASSERT_EQ(result.findings.size(), 1u) << result.report();
  const ExploredFinding& found = result.findings.front();
  EXPECT_EQ(found.finding.code, WDMLAB_SCENARIO_CHECK_FAILED);
  EXPECT_NE(found.finding.description.find("the counter is 1, not 2"), std::string::npos);
  EXPECT_EQ(result.schedules, found.schedule_index + 1);  // stopped at the first
  EXPECT_LT(found.schedule_index, 50u);
  EXPECT_EQ(found.schedule.seed, 1 + found.schedule_index);
  EXPECT_EQ(found.schedule.processors, 2u);
  EXPECT_EQ(found.schedule.build_id, build_id());
  EXPECT_EQ(found.shrunk.preemptions.size(), 1u) << found.report();
  EXPECT_TRUE(found.shrunk_minimal);  // bounded(0) was exhausted without it
  EXPECT_LE(found.shrunk.preemptions.size(), found.schedule.preemptions.size());
  EXPECT_NE(found.report().find(found.shrunk.to_string()), std::string::npos);
}

TEST(Explore, RandomFindsTheLostUpdateToo) {
  const LostUpdate race;
  const ExploreResult result = explore(race.scenario(), race.options(random_strategy(), 50));
  ASSERT_EQ(result.findings.size(), 1u) << result.report();
  EXPECT_EQ(result.findings.front().shrunk.preemptions.size(), 1u);
}

TEST(Explore, AFoundScheduleAndItsShrunkScheduleReplayExactly) {
  const LostUpdate race;
  const ExploreResult result = explore(race.scenario(), race.options(random_strategy(), 50));
  ASSERT_EQ(result.findings.size(), 1u);
  for (const Schedule& schedule : {result.findings.front().schedule, result.findings.front().shrunk}) {
    const ReplayResult again =
        replay(race.scenario(), Schedule::parse(schedule.to_string()), ExploreOptions::default_lab(), race.check());
    EXPECT_FALSE(again.diverged) << again.divergence;
    EXPECT_EQ(again.choices, schedule.choices.size());
    ASSERT_EQ(again.findings.size(), 1u);
    EXPECT_EQ(again.findings.front().code, WDMLAB_SCENARIO_CHECK_FAILED);
  }
}

TEST(Explore, AScheduleReplayedAgainstAChangedScenarioSaysWhereItDiverged) {
  const LostUpdate race;
  const ExploreResult result = explore(race.scenario(), race.options(pct(2), 50));
  ASSERT_EQ(result.findings.size(), 1u);
  // The changed scenario has a third thread: the schedule's choices stop matching.
  const Scenario changed = [inner = race.scenario()](Lab& lab) {
    inner(lab);
    lab.spawn("third", [] {
      LARGE_INTEGER now;
      KeQuerySystemTimePrecise(&now);
    });
  };
  Schedule schedule = result.findings.front().shrunk;
  const ReplayResult again = replay(changed, schedule, ExploreOptions::default_lab(), race.check());
  EXPECT_TRUE(again.diverged);
  EXPECT_NE(again.divergence.find("choice "), std::string::npos) << again.divergence;
  // A schedule whose choices name a context the run never offers diverges at its first choice.
  schedule.choices.assign(schedule.choices.size(), 99);
  const ReplayResult wrong = replay(race.scenario(), schedule, ExploreOptions::default_lab(), race.check());
  EXPECT_TRUE(wrong.diverged);
  EXPECT_EQ(wrong.divergence.rfind("choice 0: the schedule ran context 99", 0), 0u) << wrong.divergence;
}

TEST(Explore, EachFindingComesWithAChromeTraceAndATextInterleavingOfItsShrunkSchedule) {
  const LostUpdate race;
  ExploreOptions options = race.options(pct(2), 50);
  options.picture = true;
  const ExploreResult result = explore(race.scenario(), options);
  ASSERT_EQ(result.findings.size(), 1u);
  const ExploredFinding& found = result.findings.front();
  const nlohmann::json trace = nlohmann::json::parse(found.chrome_trace);
  ASSERT_TRUE(trace.contains("traceEvents"));
  std::size_t preemptions = 0;
  std::size_t finding_marks = 0;
  for (const nlohmann::json& event : trace["traceEvents"]) {
    if (event.value("cat", "") == "preemption") ++preemptions;
    if (event.value("cat", "") == "finding") ++finding_marks;
  }
  EXPECT_EQ(preemptions, found.shrunk.preemptions.size()) << found.chrome_trace;
  EXPECT_EQ(finding_marks, 1u);
  EXPECT_NE(found.interleaving.find("first"), std::string::npos) << found.interleaving;
  EXPECT_NE(found.interleaving.find("second"), std::string::npos) << found.interleaving;
  EXPECT_NE(found.report().find("INTERLEAVING:\n" + found.interleaving), std::string::npos);
}

TEST(Explore, BoundedSearchWithoutPreemptionsIsExhaustedCleanAndWithOneFindsIt) {
  const LostUpdate race;
  ExploreOptions options = race.options(bounded(0), 1000);
  options.stop_at_first = false;
  const ExploreResult none = explore(race.scenario(), options);
  EXPECT_TRUE(none.findings.empty()) << none.report();
  EXPECT_TRUE(none.exhausted);
  EXPECT_EQ(none.schedules, none.distinct_interleavings);  // every bounded schedule is a new interleaving
  // Which thread runs first; the other runs when it has ended (starting it on the free processor
  // while the first could go on is a preemption too: it takes the next step from the first).
  EXPECT_EQ(none.schedules, 2u);
  options.strategy = bounded(1);
  const ExploreResult one = explore(race.scenario(), options);
  ASSERT_EQ(one.findings.size(), 1u);
  EXPECT_TRUE(one.exhausted);
  EXPECT_EQ(one.schedules, one.distinct_interleavings);
  EXPECT_GT(one.schedules, none.schedules);
  EXPECT_GT(one.findings.front().occurrences, 1u);
  EXPECT_EQ(one.findings.front().schedule.preemptions.size(), 1u);
}

TEST(Explore, CoverageCountsDistinctInterleavingsAtPowersOfTwo) {
  const LostUpdate race;
  ExploreOptions options = race.options(random_strategy(), 64);
  options.stop_at_first = false;
  options.shrink = false;
  const ExploreResult result = explore(race.scenario(), options);
  EXPECT_EQ(result.schedules, 64u);
  ASSERT_EQ(result.coverage.size(), 7u);  // 1, 2, 4, ..., 64
  std::uint64_t previous = 0;
  for (std::size_t i = 0; i < result.coverage.size(); ++i) {
    EXPECT_EQ(result.coverage[i].first, std::uint64_t{1} << i);
    EXPECT_GE(result.coverage[i].second, previous);
    EXPECT_LE(result.coverage[i].second, result.coverage[i].first);
    previous = result.coverage[i].second;
  }
  EXPECT_EQ(result.coverage.back().second, result.distinct_interleavings);
  EXPECT_GT(result.distinct_interleavings, 4u);
  EXPECT_LT(result.distinct_interleavings, 64u);  // a small scenario: random repeats itself
}

TEST(Explore, ShardsRunDisjointSchedulesThatMergeIntoOneResult) {
  const LostUpdate race;
  ExploreOptions options = race.options(random_strategy(), 40);
  options.stop_at_first = false;
  options.shrink = false;
  const ExploreResult whole = explore(race.scenario(), options);
  std::vector<ExploreResult> parts;
  for (unsigned index = 0; index < 3; ++index) {
    options.shard = Shard{index, 3};
    parts.push_back(explore(race.scenario(), options));
  }
  EXPECT_EQ(parts[0].schedules, 14u);  // 0, 3, ..., 39
  EXPECT_EQ(parts[1].schedules, 13u);
  EXPECT_EQ(parts[2].schedules, 13u);
  for (unsigned index = 0; index < 3; ++index) {
    for (const ExploredFinding& found : parts[index].findings) {
      EXPECT_EQ(found.schedule_index % 3, index);
      EXPECT_EQ(found.schedule.seed, 1 + found.schedule_index);
    }
  }
  const ExploreResult merged = merge(parts);
  EXPECT_EQ(merged.schedules, whole.schedules);
  EXPECT_EQ(merged.schedules_with_findings, whole.schedules_with_findings);
  ASSERT_EQ(merged.findings.size(), whole.findings.size());
  ASSERT_EQ(merged.findings.size(), 1u);
  EXPECT_EQ(merged.findings.front().schedule_index, whole.findings.front().schedule_index);
  EXPECT_EQ(merged.findings.front().occurrences, whole.findings.front().occurrences);
  options.strategy = bounded(1);
  EXPECT_THROW(explore(race.scenario(), options), UsageError);
}

TEST(Explore, APortfolioGivesTheSchedulesToItsMembersInTurn) {
  const LostUpdate race;
  ExploreOptions options = race.options(portfolio({bounded(0), random_strategy()}), 20);
  options.stop_at_first = false;
  options.shrink = false;
  const ExploreResult result = explore(race.scenario(), options);
  EXPECT_EQ(result.schedules, 20u);  // bounded(0) ran out after 4; random took the rest
  EXPECT_FALSE(result.exhausted);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings.front().schedule.strategy, "random");
}

// One processor, and a poller that spins until the other thread sets a flag. A strategy that
// keeps choosing the poller (PCT gives it the higher priority in about half the seeds) would
// livelock; past fair_after choices the choices become fair and the setter gets to run.
struct Poller {
  Scenario scenario() const {
    return [](Lab& lab) {
      auto flag = std::make_shared<volatile LONG>(0);
      lab.spawn("poller", [flag] {
        while (*flag == 0) KeStallExecutionProcessor(1);
      });
      lab.spawn("setter", [flag] {
        LARGE_INTEGER now;
        KeQuerySystemTimePrecise(&now);
        *flag = 1;
      });
    };
  }
  ExploreOptions options(std::uint64_t fair_after) const {
    ExploreOptions options{.schedules = 8, .strategy = pct(1, 10), .stop_at_first = false, .fair_after = fair_after};
    options.lab.processors = 1;
    options.lab.max_decisions = 200'000;
    options.shrink = false;
    options.picture = false;
    return options;
  }
};

TEST(Explore, TheFairFallbackEndsALivelockThatAStrategyWouldKeepUp) {
  const Poller poller;
  const ExploreResult unfair = explore(poller.scenario(), poller.options(~0ull));
  ASSERT_EQ(unfair.findings.size(), 1u) << unfair.report();
  EXPECT_EQ(unfair.findings.front().finding.code, WDMLAB_RUN_BUDGET_EXHAUSTED);
  const ExploreResult fair = explore(poller.scenario(), poller.options(1000));
  EXPECT_TRUE(fair.findings.empty()) << fair.report();
  EXPECT_EQ(fair.schedules, 8u);
}

// Two bugs in one driver-less scenario: whichever thread runs its check second finds the other
// one done and stops the machine with its own bug check code, so the two codes are two distinct
// findings, each first found by some schedule.
TEST(Explore, DistinctFindingsAreCollectedOnceEachWithTheirOccurrences) {
  const Scenario scenario = [](Lab& lab) {
    auto done = std::make_shared<LONG>(0);
    lab.spawn("a", [done] {
      LARGE_INTEGER now;
      KeQuerySystemTimePrecise(&now);
      if (InterlockedIncrement(done.get()) == 2) KeBugCheckEx(0xE2, 1, 0, 0, 0);
    });
    lab.spawn("b", [done] {
      LARGE_INTEGER now;
      KeQuerySystemTimePrecise(&now);
      if (InterlockedIncrement(done.get()) == 2) KeBugCheckEx(0xE2, 2, 0, 0, 0);
    });
  };
  ExploreOptions options{.schedules = 60, .strategy = random_strategy(), .stop_at_first = false};
  options.shrink = false;
  options.picture = false;
  const ExploreResult result = explore(scenario, options);
  EXPECT_EQ(result.schedules, 60u);
  EXPECT_EQ(result.schedules_with_findings, 60u);
  ASSERT_EQ(result.findings.size(), 2u) << result.report();
  std::set<std::uint64_t> which;
  std::uint64_t occurrences = 0;
  for (const ExploredFinding& found : result.findings) {
    EXPECT_EQ(found.finding.code, 0xE2u);
    which.insert(found.finding.parameters[0]);
    occurrences += found.occurrences;
  }
  EXPECT_EQ(which, (std::set<std::uint64_t>{1, 2}));
  EXPECT_EQ(occurrences, 60u);
  EXPECT_NE(result.findings[0].key, result.findings[1].key);
}

TEST(Explore, RejectsAnExplorationOfNothing) {
  const LostUpdate race;
  EXPECT_THROW(explore(race.scenario(), race.options(pct(2), 0)), UsageError);
  ExploreOptions options = race.options(pct(2), 10);
  options.shard = Shard{2, 2};
  EXPECT_THROW(explore(race.scenario(), options), UsageError);
  EXPECT_THROW(explore(race.scenario(), race.options(Strategy{.kind = Strategy::Kind::Pct, .depth = 0}, 10)),
               UsageError);
  EXPECT_THROW(explore(race.scenario(), race.options(Strategy{.kind = Strategy::Kind::Portfolio}, 10)), UsageError);
}

}  // namespace
}  // namespace wdmlab
