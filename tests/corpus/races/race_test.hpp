// race_test.hpp - what the exploration tests of the corpus's races share.
//
// A race is a scenario (wdmlab::Scenario) in which app.exe's threads are started without any
// alignment in virtual time, so the interleaving alone decides whether the driver's bug shows, and
// the numbers measured for it: within how many schedules PCT and random scheduling find it (the
// stated bounds carry a margin of about 2-3x over the measured index, docs/corpus.md), and how
// many preemptions its schedule keeps once shrunk. RACE_TESTS(Suite, race_function) defines the
// tests every race has:
//   - PCT finds it within `pct_within` schedules, with the expected code, rule, culprit, subcode;
//   - random scheduling finds it within `random_within` schedules;
//   - the schedules found replay to the same finding, also after a round trip through their text;
//   - the shrunk schedules have `shrunk_preemptions` preemptions and replay to the same finding;
//   - the cooperative policy (no preemption) runs the scenario without a finding;
//   - among the first 40 random schedules, some make the finding and some are clean.
// Each test prints what it measured ("[ measured ] ..."), which is where docs/corpus.md's figures
// come from. Machine: two processors, the standard verifier flags, exploration seed 1.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iostream>
#include <optional>
#include <string>

#include "corpus/corpus_test.hpp"
#include "wdmlab/explore.hpp"
#include "wdmlab/lab.hpp"
#include "wdmlab/policy.hpp"

namespace wdmlab::test {

struct Race {
  Scenario scenario;
  std::string driver;               // the driver it is charged to
  std::uint32_t code = 0;           // the finding's bug check code
  std::string rule;                 // its rule name, "" when it has none
  std::string culprit;              // the function of its culprit frame, "" when not asserted
  std::optional<std::uint64_t> p1;  // its first parameter, when that is a subcode
  unsigned pct_depth = 2;
  std::uint64_t pct_within = 0;     // stated bound: PCT finds it among the first this many schedules
  std::uint64_t random_within = 0;  // the same for random scheduling
  std::size_t shrunk_preemptions = 0;
};

// Two processors, everything else as the explorer's default machine.
inline LabOptions race_lab() { return ExploreOptions::default_lab(); }

inline ExploreOptions race_options(Strategy strategy, std::uint64_t within, bool shrink) {
  ExploreOptions options{.schedules = within, .strategy = std::move(strategy), .seed = 1, .stop_at_first = true};
  options.lab = race_lab();
  options.shrink = shrink;
  options.picture = false;
  return options;
}

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

// The finding is the race's: driver, code, rule, culprit and subcode.
inline void expect_race_finding(const Finding& finding, const Race& race) {
  EXPECT_EQ(finding.driver, race.driver) << finding.summary();
  EXPECT_EQ(finding.code, race.code) << finding.to_text();
  EXPECT_EQ(finding.rule, race.rule) << finding.summary();
  if (!race.culprit.empty()) {
    EXPECT_EQ(culprit_function(finding), race.culprit) << finding.to_text();
  }
  if (race.p1) {
    EXPECT_EQ(finding.parameters[0], *race.p1) << finding.summary();
  }
}

// The first schedule `strategy` finds the race in, or nullopt (with a test failure) if it finds
// nothing within the race's stated bound. Prints the measured index, which docs/corpus.md quotes.
inline std::optional<ExploredFinding> find_race(const Race& race, Strategy strategy, std::uint64_t within,
                                                bool shrink = false) {
  const std::string name = strategy.name();
  const ExploreResult result = explore(race.scenario, race_options(std::move(strategy), within, shrink));
  if (result.findings.size() != 1u) {
    ADD_FAILURE() << name << ": " << result.findings.size() << " findings in " << result.schedules << " schedules\n"
                  << result.report();
    return std::nullopt;
  }
  const ExploredFinding& found = result.findings.front();
  expect_race_finding(found.finding, race);
  EXPECT_LE(found.schedule_index + 1, within);
  EXPECT_EQ(result.schedules, found.schedule_index + 1);  // stopped at the first
  std::cout << "[ measured ] " << name << " found " << found.finding.name << " " << found.finding.rule
            << " in schedule " << found.schedule_index + 1 << ", " << found.schedule.preemptions.size()
            << " preemption(s)";
  if (shrink) std::cout << ", shrunk to " << found.shrunk.preemptions.size();
  std::cout << "\n";
  return found;
}

// `schedule` replays to the race's finding, without diverging.
inline void expect_replays(const Race& race, const Schedule& schedule) {
  const ReplayResult replayed = replay(race.scenario, schedule, race_lab());
  EXPECT_FALSE(replayed.diverged) << replayed.divergence;
  ASSERT_FALSE(replayed.findings.empty()) << schedule.to_string();
  expect_race_finding(replayed.findings.front(), race);
}

inline void expect_pct_finds(const Race& race) {
  const auto found = find_race(race, pct(race.pct_depth), race.pct_within);
  if (found) {
    EXPECT_EQ(found->schedule.strategy.rfind("pct(", 0), 0u) << found->schedule.strategy;
  }
}

inline void expect_random_finds(const Race& race) { find_race(race, random_strategy(), race.random_within); }

inline void expect_schedule_replays(const Race& race) {
  for (auto found : {find_race(race, pct(race.pct_depth), race.pct_within),
                     find_race(race, random_strategy(), race.random_within)}) {
    if (!found) continue;
    expect_replays(race, found->schedule);
    const std::string text = found->schedule.to_string();
    const Schedule parsed = Schedule::parse(text);
    EXPECT_EQ(parsed.to_string(), text);
    EXPECT_EQ(parsed.choices, found->schedule.choices);
    EXPECT_EQ(parsed.preemptions, found->schedule.preemptions);
    expect_replays(race, parsed);
  }
}

// Both PCT's and random scheduling's schedules shrink to the stated preemptions, with nothing
// fewer making the finding, and the shrunk schedule replays to it.
inline void expect_shrinks(const Race& race) {
  for (auto found : {find_race(race, pct(race.pct_depth), race.pct_within, true),
                     find_race(race, random_strategy(), race.random_within, true)}) {
    if (!found) continue;
    EXPECT_EQ(found->shrunk.preemptions.size(), race.shrunk_preemptions) << found->shrunk.to_string();
    EXPECT_LE(found->shrunk.preemptions.size(), found->schedule.preemptions.size());
    EXPECT_TRUE(found->shrunk_minimal);
    expect_replays(race, found->shrunk);
  }
}

// Without preemptions (the cooperative policy: each thread runs until it blocks) the bug does not
// show: it is the interleaving, not the scenario, that makes it.
inline void expect_cooperative_clean(const Race& race) {
  LabOptions options = race_lab();
  options.policy = make_cooperative_policy();
  Lab lab(std::move(options));
  race.scenario(lab);
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_GT(lab.log().records().size(), 0u);  // the driver logged the requests it saw
  std::string found;
  for (const Finding& finding : lab.findings()) found += finding.summary() + "\n";
  EXPECT_TRUE(lab.findings().empty()) << found;
}

// Among the first `kMixedSchedules` random schedules some make the race's finding and some are
// clean: which one a run takes is the interleaving's doing.
inline constexpr std::uint64_t kMixedSchedules = 40;

inline void expect_some_schedules_clean(const Race& race) {
  ExploreOptions options = race_options(random_strategy(), kMixedSchedules, false);
  options.stop_at_first = false;
  const ExploreResult result = explore(race.scenario, options);
  EXPECT_EQ(result.schedules, kMixedSchedules);
  EXPECT_GT(result.schedules_with_findings, 0u);
  EXPECT_LT(result.schedules_with_findings, result.schedules);
  for (const ExploredFinding& found : result.findings) {
    EXPECT_EQ(found.finding.code, race.code) << found.finding.summary();
  }
  std::cout << "[ measured ] random: " << result.schedules_with_findings << " of " << result.schedules
            << " schedules make it\n";
}

// The exploration tests of one race (a `Race` returned by `race_function()`).
#define RACE_TESTS(Suite, race_function)                                                                   \
  TEST(Suite, PctFindsItWithinTheStatedBound) { ::wdmlab::test::expect_pct_finds(race_function()); }       \
  TEST(Suite, RandomFindsItWithinTheStatedBound) { ::wdmlab::test::expect_random_finds(race_function()); } \
  TEST(Suite, TheScheduleFoundReplaysIt) { ::wdmlab::test::expect_schedule_replays(race_function()); }     \
  TEST(Suite, ItShrinksToTheStatedPreemptions) { ::wdmlab::test::expect_shrinks(race_function()); }        \
  TEST(Suite, NoPreemptionNoFinding) { ::wdmlab::test::expect_cooperative_clean(race_function()); }        \
  TEST(Suite, SomeRandomSchedulesMakeItOthersAreClean) { ::wdmlab::test::expect_some_schedules_clean(race_function()); }

}  // namespace wdmlab::test
