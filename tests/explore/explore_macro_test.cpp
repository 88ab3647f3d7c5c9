// WDMLAB_EXPLORE: a test written as one scenario gets an exploration; a finding fails it with the
// command that replays it, and that command replays it. The explorations that must fail are
// DISABLED_ tests of this program, run in a child process so their failures are what is checked.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <memory>
#include <string>

#include "wdmlab/explore_test.hpp"

namespace {

void touch_the_kernel() {
  LARGE_INTEGER now;
  KeQuerySystemTimePrecise(&now);
}

// Correct: the increments are interlocked, so no schedule within two preemptions loses one.
WDMLAB_EXPLORE(ExploreMacro, InterlockedIncrementsSurviveABoundedSearch,
               {.schedules = 10'000, .strategy = wdmlab::bounded(2), .stop_at_first = false}) {
  auto counter = std::make_shared<LONG>(0);
  for (const char* name : {"first", "second"}) {
    lab.spawn(name, [counter] {
      touch_the_kernel();
      InterlockedIncrement(counter.get());
      touch_the_kernel();
    });
  }
  lab.spawn("reader", [counter] { EXPECT_LE(*counter, 2); });
}

// Buggy on purpose: the increments are not atomic, and the thread that ends last asserts that
// both counted.
WDMLAB_EXPLORE(ExploreMacroDemo, DISABLED_AssertionInALabThread, {.schedules = 100, .strategy = wdmlab::pct(2)}) {
  auto counter = std::make_shared<LONG>(0);
  auto finished = std::make_shared<LONG>(0);
  for (const char* name : {"first", "second"}) {
    lab.spawn(name, [counter, finished] {
      const LONG seen = *counter;
      touch_the_kernel();
      *counter = seen + 1;
      if (InterlockedIncrement(finished.get()) == 2) {
        EXPECT_EQ(*counter, 2) << "an increment was lost";
      }
    });
  }
}

struct Child {
  int status = 0;
  std::string output;
};

// This program with `arguments`, its environment extended by `environment` (a shell prefix).
Child run_self(const std::string& environment, const std::string& arguments) {
  const std::string command =
      environment + " " + wdmlab::testing::program_path() + " --gtest_also_run_disabled_tests " + arguments + " 2>&1";
  Child child;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return child;
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) child.output.append(buffer, n);
  child.status = pclose(pipe);
  return child;
}

TEST(ExploreMacro, AnAssertionFailingInAScheduleFailsTheTestWithACommandThatReplaysIt) {
  const Child explored = run_self("", "--gtest_filter=ExploreMacroDemo.DISABLED_AssertionInALabThread");
  ASSERT_TRUE(WIFEXITED(explored.status));
  EXPECT_NE(WEXITSTATUS(explored.status), 0) << explored.output;
  EXPECT_NE(explored.output.find("an increment was lost"), std::string::npos) << explored.output;
  EXPECT_NE(explored.output.find("WDMLAB_SCENARIO_CHECK_FAILED"), std::string::npos) << explored.output;
  EXPECT_NE(explored.output.find("1 after shrinking (the fewest"), std::string::npos) << explored.output;
  const std::string marker = "REPLAY: WDMLAB_REPLAY='";
  const std::size_t at = explored.output.find(marker);
  ASSERT_NE(at, std::string::npos) << explored.output;
  const std::size_t end = explored.output.find('\'', at + marker.size());
  ASSERT_NE(end, std::string::npos);
  const std::string schedule = explored.output.substr(at + marker.size(), end - at - marker.size());
  EXPECT_NO_THROW(wdmlab::Schedule::parse(schedule));
  EXPECT_NE(explored.output.find("--gtest_filter=ExploreMacroDemo.DISABLED_AssertionInALabThread", at),
            std::string::npos);

  const Child replayed =
      run_self("WDMLAB_REPLAY='" + schedule + "'", "--gtest_filter=ExploreMacroDemo.DISABLED_AssertionInALabThread");
  ASSERT_TRUE(WIFEXITED(replayed.status));
  EXPECT_NE(WEXITSTATUS(replayed.status), 0) << replayed.output;
  EXPECT_NE(replayed.output.find("an increment was lost"), std::string::npos) << replayed.output;
  EXPECT_EQ(replayed.output.find("left the schedule"), std::string::npos) << replayed.output;
  EXPECT_EQ(replayed.output.find("schedule(s)"), std::string::npos) << "it explored instead of replaying";
}

}  // namespace
