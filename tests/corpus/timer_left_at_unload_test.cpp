// timer_left_at_unload (samples/buggy): DriverUnload leaves its periodic timer set; the timer and
// its DPC live in the image being unloaded (0xC7).
#include <gtest/gtest.h>
#include <wdm.h>

#include <chrono>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kMachine{.processors = 1, .seed = 1};

// The image's size as the driver logged it ("size <hex>").
std::uint64_t logged_size(const Outcome& run) {
  for (const std::string& line : run.lines("timer_left_at_unload: timer ")) {
    return std::stoull(line.substr(line.find("size ") + 5), nullptr, 16);
  }
  ADD_FAILURE() << "no size in the log";
  return 0;
}

Outcome load_and_unload(const Machine& machine = kMachine) {
  // The timer fires a few times before the unload: 35 ms of virtual time.
  return play(
      machine, TIMER_LEFT_AT_UNLOAD_IMAGE, [](Lab& lab, UserProcess&) { lab.run_for(std::chrono::milliseconds(35)); },
      true);
}

TEST(TimerLeftAtUnload, IsC7WithTheTimerInTheImage) {
  const Outcome run = load_and_unload();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, TIMER_OR_DPC_INVALID) << finding.to_text();
  const std::uint64_t image = run.logged_address("image ");
  EXPECT_EQ(finding.parameters[0], 0u);  // a timer object
  EXPECT_EQ(finding.parameters[1], run.logged_address("timer "));
  EXPECT_EQ(finding.parameters[2], image);
  EXPECT_EQ(finding.parameters[3], image + logged_size(run));
  EXPECT_EQ(finding.driver, "timer_left_at_unload");
  EXPECT_EQ(finding.context.name, "DriverUnload(timer_left_at_unload)");

  const Outcome again = load_and_unload();
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[1], again.logged_address("timer "));
}

TEST(TimerLeftAtUnload, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = load_and_unload(machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].code, TIMER_OR_DPC_INVALID) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[1], run.logged_address("timer ")) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
