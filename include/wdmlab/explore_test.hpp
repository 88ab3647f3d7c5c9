// wdmlab/explore_test.hpp - GoogleTest integration of the race explorer: write one scenario, get
// an exploration.
//
//   WDMLAB_EXPLORE(CancelRace, ReadAgainstCancel, {.schedules = 10'000, .strategy = wdmlab::pct(2)}) {
//     lab.load_driver(DriverEntry, "sample");
//     lab.spawn("reader", [] { ... });
//     lab.spawn("canceller", [] { ... });
//   }
//
// The body is the scenario of every schedule, with `lab` a fresh wdmlab::Lab. Each distinct finding
// fails the test with its report (the !analyze-style text, the shrunk schedule, its preemption
// count) and the command that replays it:
//
//   WDMLAB_REPLAY='wdmlab-schedule 1 ...' <test program> --gtest_filter=CancelRace.ReadAgainstCancel
//
// With WDMLAB_REPLAY set, the test runs that one schedule instead of exploring (under a debugger
// if wanted) and fails with its findings, saying where a changed driver made it diverge. A
// GoogleTest assertion that fails inside a schedule (in a lab thread) is a finding too,
// WDMLAB_SCENARIO_CHECK_FAILED, so its schedule is shrunk and replayable like any other.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "wdmlab/explore.hpp"

namespace wdmlab::testing {

// Failed assertions recorded for the running test so far.
inline int failed_parts() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) return 0;
  int failed = 0;
  for (int i = 0; i < info->result()->total_part_count(); ++i) failed += info->result()->GetTestPartResult(i).failed();
  return failed;
}

inline std::string program_path() {
  char path[4096];
  const ssize_t length = readlink("/proc/self/exe", path, sizeof path - 1);
  return length > 0 ? std::string(path, static_cast<std::size_t>(length)) : std::string("<test program>");
}

// Runs the exploration (or, with WDMLAB_REPLAY set, the one schedule) of the running test.
inline void run_exploration(ExploreOptions options, const Scenario& body) {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string test = std::string(info->test_suite_name()) + "." + info->name();
  // An assertion failing in a schedule makes that schedule's end state wrong.
  auto failures_before = std::make_shared<int>(0);
  const Scenario scenario = [&body, failures_before](Lab& lab) {
    *failures_before = failed_parts();
    body(lab);
  };
  EndCheck user_check = options.check;
  options.check = [user_check, failures_before](Lab& lab) -> std::string {
    if (failed_parts() > *failures_before) return "a test assertion failed in this schedule (see above)";
    return user_check ? user_check(lab) : std::string();
  };
  if (const char* text = std::getenv("WDMLAB_REPLAY"); text != nullptr && *text != '\0') {
    const Schedule schedule = Schedule::parse(text);
    if (!schedule.build_id.empty() && schedule.build_id != build_id()) {
      std::cout << "note: the schedule was made by build " << schedule.build_id << "; this is build " << build_id()
                << "\n";
    }
    const ReplayResult result = replay(scenario, schedule, options.lab, options.check);
    if (result.diverged) std::cout << "the run left the schedule at " << result.divergence << "\n";
    for (const Finding& finding : result.findings) ADD_FAILURE() << finding.to_text();
    return;
  }
  if (options.replay_command.empty()) {
    options.replay_command = "WDMLAB_REPLAY=@SCHEDULE@ " + program_path() + " --gtest_filter=" + test;
  }
  const ExploreResult result = explore(scenario, options);
  std::cout << result.strategy << ": " << result.schedules << " schedule(s), " << result.distinct_interleavings
            << " distinct interleaving(s)" << (result.exhausted ? ", bounded space exhausted" : "") << ", "
            << result.findings.size() << " finding(s)\n";
  for (const ExploredFinding& found : result.findings) {
    ADD_FAILURE() << found.report() << "\nREPLAY: " << found.replay_command << "\n";
  }
}

}  // namespace wdmlab::testing

// A GoogleTest test that explores the scenario written as its body (see above). The third argument
// is a braced ExploreOptions initializer.
#define WDMLAB_EXPLORE(Suite, Name, ...)                                                        \
  static void wdmlab_explore_##Suite##_##Name(::wdmlab::Lab& lab);                              \
  TEST(Suite, Name) {                                                                           \
    ::wdmlab::testing::run_exploration(::wdmlab::ExploreOptions __VA_ARGS__,                    \
                                       &wdmlab_explore_##Suite##_##Name);                       \
  }                                                                                             \
  static void wdmlab_explore_##Suite##_##Name([[maybe_unused]] ::wdmlab::Lab& lab)
