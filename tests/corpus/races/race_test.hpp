// race_test.hpp - what the exploration tests of the corpus's races share.
//
// A race is a scenario (wdmlab::Scenario) in which app.exe's threads are started without any
// alignment in virtual time, so the interleaving alone decides whether the driver's bug shows; the
// finding it must give; and the numbers measured for it: within how many schedules PCT and random
// scheduling find it (the stated bounds carry a margin of about 2-3x over the measured index,
// docs/corpus.md), and how many preemptions its schedules keep once shrunk. A race's file holds
// its scenario and a `Race`; RACE_TESTS(Suite, race_function) defines the tests every race has:
//   - PCT finds it within `stated.pct` schedules, with the expected code, rule, driver, culprit
//     and P1, and as many distinct findings as the race makes;
//   - random scheduling finds it within `stated.random` schedules;
//   - the schedules found replay to the same findings, also after a round trip through their text;
//   - the shrunk schedules have the stated preemptions, no fewer make the finding, and they replay;
//   - the cooperative policy (no preemption) runs the scenario clean;
//   - the bounded search below the preemptions the race needs is exhausted clean, with at least
//     `stated.unpreempted` schedules without a preemption (with none needed, bounded(0) finds it);
//   - among the first 40 random schedules (or `stated.random`, if more), some make the finding
//     and some are clean.
// Each exploration runs once per program however many tests look at it (explorations_of), and
// prints what it measured ("[ measured ] ..."), which is where docs/corpus.md's figures come from.
// Exploration seed 1, on the race's machine (two processors, the standard verifier flags unless
// the race says otherwise).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "corpus/corpus_test.hpp"
#include "wdmlab/explore.hpp"
#include "wdmlab/lab.hpp"
#include "wdmlab/policy.hpp"

namespace wdmlab::test {

// What a race's explorations must achieve: the stated numbers (docs/corpus.md's tables).
struct RaceBounds {
  unsigned pct_depth = 2;
  std::uint64_t pct = 0;     // PCT finds the race among the first this many schedules
  std::uint64_t random = 0;  // the same for random scheduling
  // The preemptions PCT's schedule keeps once shrunk, and random's if it differs (the two may find
  // different sides of the race second).
  std::size_t shrunk = 0;
  std::optional<std::size_t> random_shrunk;
  // bounded(0) runs at least this many schedules before it is exhausted: 2 where app.exe's threads
  // are started together (which of them an idle processor takes is a choice), 1 where its first
  // thread starts the others (each then takes the idle processor unasked).
  std::uint64_t unpreempted = 1;

  std::size_t shrunk_by_random() const { return random_shrunk.value_or(shrunk); }
  // The fewest preemptions that show the race: every schedule with fewer is clean.
  std::size_t needed_preemptions() const { return std::min(shrunk, shrunk_by_random()); }
};

// One race: its scenario, the machine it runs on, its stated numbers and the finding it must give.
struct Race {
  Scenario scenario;
  LabOptions lab = ExploreOptions::default_lab();  // 2 processors, the verifier as the race needs
  RaceBounds stated;
  std::string driver;      // the driver it is charged to; "" if the finding names none
  std::uint32_t code = 0;  // the finding's bug check code
  std::string rule;        // its rule name, "" when it has none
  // The function of its culprit frame is one of these (whichever side of the race comes second);
  // empty: not asserted.
  std::vector<std::string> culprits;
  std::optional<std::uint64_t> p1;  // its first parameter, when that is a constant (a subcode)
  // The distinct findings a schedule that shows the race makes; the race's own is the first.
  std::size_t findings = 1;
};

// For the scenarios' threads (app.exe): a manual-reset event, unsignaled.
inline HANDLE new_event() { return win32::CreateEventW(nullptr, TRUE, FALSE, nullptr); }

// For the scenarios' threads: an overlapped request on `overlapped` (which has an event) that
// `started` (ReadFile's or WriteFile's result) says is pending is waited for.
inline void wait_if_pending(BOOL started, OVERLAPPED* overlapped) {
  if (!started && win32::GetLastError() == ERROR_IO_PENDING) {
    win32::WaitForSingleObject(overlapped->hEvent, INFINITE);
  }
}

// What a race's app.exe threads share: user memory (a 32-byte buffer, two OVERLAPPEDs, each
// with an event) and the device's handle with one more event, all set up by its first thread.
struct RaceApp {
  UserProcess* process = nullptr;
  char* buffer = nullptr;
  OVERLAPPED* overlapped = nullptr;
  HANDLE* device = nullptr;
  HANDLE* event = nullptr;  // a manual-reset event the scenario signals between its threads
};

// Loads `image`, creates app.exe and starts its thread `first`, which opens `device` for
// overlapped I/O, creates the events, then runs `body` (which starts the other threads).
inline void start_race(Lab& lab, const char* image, const char16_t* device, std::string first,
                       std::function<void(const RaceApp&)> body) {
  lab.load_driver(image);
  UserProcess& process = lab.create_process("app.exe");
  RaceApp app{.process = &process,
              .buffer = static_cast<char*>(process.alloc(32)),
              .overlapped = process.alloc_array<OVERLAPPED>(2),
              .device = process.alloc_array<HANDLE>(1),
              .event = process.alloc_array<HANDLE>(1)};
  process.run(std::move(first), [app, device, body = std::move(body)] {
    *app.device = open_device(device, FILE_FLAG_OVERLAPPED);
    *app.event = new_event();
    app.overlapped[0].hEvent = new_event();
    app.overlapped[1].hEvent = new_event();
    body(app);
  });
}

// A CancelIoEx from one thread of app.exe against a read from another, with no alignment in time
// (the scenario of no_cancel_recheck and cancel_lock_held). The canceller starts the reader and
// cancels every request on the handle, then signals; the reader reads, waits for the signal, then
// writes once so that a read the cancel missed (one not issued yet) ends too. Without a
// preemption the canceller cancels before the reader has issued its read.
inline Scenario cancel_against_read(const char* image, const char16_t* device) {
  return [image, device](Lab& lab) {
    using namespace wdmlab::win32;
    start_race(lab, image, device, "canceller", [](const RaceApp& app) {
      app.process->run("reader", [app] {
        const BOOL read = ReadFile(*app.device, app.buffer, 16, nullptr, &app.overlapped[0]);
        WaitForSingleObject(*app.event, INFINITE);
        wait_if_pending(WriteFile(*app.device, app.buffer + 16, 4, nullptr, &app.overlapped[1]), &app.overlapped[1]);
        wait_if_pending(read, &app.overlapped[0]);
      });
      CancelIoEx(*app.device, nullptr);
      SetEvent(*app.event);
    });
  };
}

// The finding is the race's: driver, code, rule, culprit and P1.
inline void expect_race_finding(const Finding& finding, const Race& race) {
  EXPECT_EQ(finding.driver, race.driver) << finding.summary();
  EXPECT_EQ(finding.code, race.code) << finding.to_text();
  EXPECT_EQ(finding.rule, race.rule) << finding.summary();
  if (!race.culprits.empty()) {
    const std::string culprit = culprit_function(finding);
    EXPECT_NE(std::find(race.culprits.begin(), race.culprits.end(), culprit), race.culprits.end())
        << "culprit \"" << culprit << "\"\n"
        << finding.to_text();
  }
  if (race.p1) {
    EXPECT_EQ(finding.parameters[0], *race.p1) << finding.summary();
  }
}

// An exploration of `race` with `strategy` from seed 1, at most `schedules` schedules, stopping at
// the first finding, without shrinking or a picture; callers change what they need.
inline ExploreOptions race_options(const Race& race, Strategy strategy, std::uint64_t schedules) {
  ExploreOptions options{.schedules = schedules, .strategy = std::move(strategy), .seed = 1, .stop_at_first = true};
  options.lab = race.lab;
  options.shrink = false;
  options.picture = false;
  return options;
}

// A race and its two explorations (PCT with the race's depth and random scheduling, each stopping
// at the first finding, within the stated bound, and shrinking what it finds), each run the first
// time a test asks for it.
class RaceExplorations {
 public:
  explicit RaceExplorations(Race race) : race_(std::move(race)) {}

  const Race& race() const { return race_; }
  const ExploreResult& by_pct() const { return explored(by_pct_, pct(race_.stated.pct_depth), race_.stated.pct); }
  const ExploreResult& by_random() const { return explored(by_random_, random_strategy(), race_.stated.random); }

  // The race's finding as each exploration found it, checked (finding, count, bound, machine); null
  // (and the test fails) if it found nothing.
  const ExploredFinding* found_by_pct() const { return found(by_pct(), race_.stated.pct); }
  const ExploredFinding* found_by_random() const { return found(by_random(), race_.stated.random); }

 private:
  const ExploreResult& explored(std::optional<ExploreResult>& result, Strategy strategy, std::uint64_t within) const {
    if (!result) {
      ExploreOptions options = race_options(race_, std::move(strategy), within);
      options.shrink = true;
      result = explore(race_.scenario, options);
      for (const ExploredFinding& found : result->findings) {
        std::cout << "[ measured ] " << result->strategy << " found " << found.finding.name << " " << found.finding.rule
                  << " in schedule " << found.schedule_index + 1 << ", " << found.schedule.preemptions.size()
                  << " preemption(s), shrunk to " << found.shrunk.preemptions.size() << "\n";
      }
    }
    return *result;
  }

  const ExploredFinding* found(const ExploreResult& result, std::uint64_t within) const {
    EXPECT_EQ(result.findings.size(), race_.findings)
        << result.strategy << ": findings in " << result.schedules << " schedules\n"
        << result.report();
    if (result.findings.empty()) return nullptr;
    const ExploredFinding& first = result.findings.front();
    expect_race_finding(first.finding, race_);
    EXPECT_LE(first.schedule_index + 1, within) << result.report();
    EXPECT_EQ(result.schedules, first.schedule_index + 1);  // stopped at the first
    EXPECT_EQ(first.schedule.processors, race_.lab.processors);
    return &first;
  }

  Race race_;
  mutable std::optional<ExploreResult> by_pct_;
  mutable std::optional<ExploreResult> by_random_;
};

// The explorations of the race `make()` returns, shared by every test of the program.
template <Race (*make)()>
const RaceExplorations& explorations_of() {
  static const RaceExplorations explorations(make());
  return explorations;
}

// `schedule` replays to the race's findings on a fresh lab without diverging, and so does the
// schedule its text parses back to.
inline void expect_replays(const Race& race, const Schedule& schedule) {
  const std::string text = schedule.to_string();
  const Schedule parsed = Schedule::parse(text);
  EXPECT_EQ(parsed.to_string(), text);
  EXPECT_EQ(parsed.choices, schedule.choices);
  EXPECT_EQ(parsed.preemptions, schedule.preemptions);
  for (const Schedule* played : {&schedule, &parsed}) {
    const ReplayResult replayed = replay(race.scenario, *played, race.lab);
    EXPECT_FALSE(replayed.diverged) << replayed.divergence;
    EXPECT_EQ(replayed.choices, schedule.choices.size());
    ASSERT_EQ(replayed.findings.size(), race.findings) << text;
    expect_race_finding(replayed.findings.front(), race);
  }
}

inline void expect_pct_finds(const RaceExplorations& race) {
  if (const ExploredFinding* found = race.found_by_pct()) {
    EXPECT_EQ(found->schedule.strategy.rfind("pct(", 0), 0u) << found->schedule.strategy;
  }
}

inline void expect_random_finds(const RaceExplorations& race) { race.found_by_random(); }

inline void expect_schedules_replay(const RaceExplorations& race) {
  for (const ExploredFinding* found : {race.found_by_pct(), race.found_by_random()}) {
    if (found != nullptr) expect_replays(race.race(), found->schedule);
  }
}

// `found`'s schedule shrinks to `preemptions` preemptions, with nothing fewer making the finding,
// and the shrunk schedule replays to it.
inline void expect_shrunk_to(const Race& race, const ExploredFinding* found, std::size_t preemptions) {
  if (found == nullptr) return;
  EXPECT_EQ(found->shrunk.preemptions.size(), preemptions) << found->shrunk.to_string();
  EXPECT_LE(found->shrunk.preemptions.size(), found->schedule.preemptions.size());
  EXPECT_TRUE(found->shrunk_minimal) << found->report();
  expect_replays(race, found->shrunk);
}

// Both PCT's and random scheduling's schedules shrink to the stated preemptions.
inline void expect_shrinks(const RaceExplorations& explorations) {
  const Race& race = explorations.race();
  expect_shrunk_to(race, explorations.found_by_pct(), race.stated.shrunk);
  expect_shrunk_to(race, explorations.found_by_random(), race.stated.shrunk_by_random());
}

// Without preemptions (the cooperative policy: each thread runs until it blocks) the bug does not
// show: it is the interleaving, not the scenario, that makes it.
inline void expect_cooperative_clean(const RaceExplorations& explorations) {
  const Race& race = explorations.race();
  LabOptions options = race.lab;
  options.policy = make_cooperative_policy();
  Lab lab(std::move(options));
  race.scenario(lab);
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_GT(lab.log().records().size(), 0u);  // the driver logged the requests it saw
  std::string found;
  for (const Finding& finding : lab.findings()) found += finding.summary() + "\n";
  EXPECT_TRUE(lab.findings().empty()) << found;
}

// A bounded search is exhausted within this many schedules, or the test fails.
inline constexpr std::uint64_t kBoundedSchedules = 1000;

// The race needs the preemptions its shrunk schedules keep: for each count below, every schedule
// with at most that many (bounded(count), run to exhaustion) is clean. A race that needs none is
// found by bounded(0).
inline void expect_needs_stated_preemptions(const RaceExplorations& explorations) {
  const Race& race = explorations.race();
  const std::size_t needed = race.stated.needed_preemptions();
  for (unsigned preemptions = 0; preemptions < needed; ++preemptions) {
    ExploreOptions options = race_options(race, bounded(preemptions), kBoundedSchedules);
    options.stop_at_first = false;
    const ExploreResult result = explore(race.scenario, options);
    EXPECT_TRUE(result.exhausted) << result.report();
    EXPECT_GE(result.schedules, preemptions == 0 ? race.stated.unpreempted : 2u);
    EXPECT_TRUE(result.findings.empty()) << result.report();
    std::cout << "[ measured ] " << result.strategy << ": " << result.schedules << " schedules, "
              << result.findings.size() << " findings\n";
  }
  if (needed == 0) {
    const ExploreResult result = explore(race.scenario, race_options(race, bounded(0), kBoundedSchedules));
    ASSERT_FALSE(result.findings.empty()) << result.report();
    expect_race_finding(result.findings.front().finding, race);
    EXPECT_TRUE(result.findings.front().schedule.preemptions.empty()) << result.findings.front().schedule.to_string();
    std::cout << "[ measured ] " << result.strategy << " found it in schedule "
              << result.findings.front().schedule_index + 1 << "\n";
  }
}

// Among the first `kMixedSchedules` random schedules (or the race's random bound, if more) some
// make the race's finding and some are clean: which one a run takes is the interleaving's doing.
inline constexpr std::uint64_t kMixedSchedules = 40;

inline void expect_some_schedules_clean(const RaceExplorations& explorations) {
  const Race& race = explorations.race();
  const std::uint64_t schedules = std::max(kMixedSchedules, race.stated.random);
  ExploreOptions options = race_options(race, random_strategy(), schedules);
  options.stop_at_first = false;
  const ExploreResult result = explore(race.scenario, options);
  EXPECT_EQ(result.schedules, schedules);
  EXPECT_GT(result.schedules_with_findings, 0u);
  EXPECT_LT(result.schedules_with_findings, result.schedules);
  // Every distinct finding is the race's, but for those that follow it in a race that makes several.
  for (std::size_t i = 0; i < (race.findings == 1 ? result.findings.size() : 1); ++i) {
    EXPECT_EQ(result.findings[i].finding.code, race.code) << result.findings[i].finding.summary();
  }
  std::cout << "[ measured ] random: " << result.schedules_with_findings << " of " << result.schedules
            << " schedules make it\n";
}

// The exploration tests of one race (the `Race` that `race_function()` returns). For use inside
// namespace wdmlab::test (the tests name its checks unqualified); a race's own tests reach the same
// explorations through explorations_of<race_function>().
#define RACE_TESTS(Suite, race_function)                                                                          \
  TEST(Suite, PctFindsItWithinTheStatedBound) { expect_pct_finds(explorations_of<race_function>()); }             \
  TEST(Suite, RandomFindsItWithinTheStatedBound) { expect_random_finds(explorations_of<race_function>()); }       \
  TEST(Suite, TheScheduleFoundReplaysIt) { expect_schedules_replay(explorations_of<race_function>()); }           \
  TEST(Suite, ItShrinksToTheStatedPreemptions) { expect_shrinks(explorations_of<race_function>()); }              \
  TEST(Suite, NoPreemptionNoFinding) { expect_cooperative_clean(explorations_of<race_function>()); }              \
  TEST(Suite, ItNeedsTheStatedPreemptions) { expect_needs_stated_preemptions(explorations_of<race_function>()); } \
  TEST(Suite, SomeRandomSchedulesMakeItOthersAreClean) {                                                          \
    expect_some_schedules_clean(explorations_of<race_function>());                                                \
  }

}  // namespace wdmlab::test
