// The PCT scheduling policy: a lost update between two threads (a bug of depth 2: one thread must
// be preempted between its read and its write) is found within a bounded number of seeds, never
// by the cooperative policy, and every finding run replays from its seed.
#include <gtest/gtest.h>
#include <wdm.h>

#include <cstdint>
#include <memory>

#include "wdmlab/lab.hpp"
#include "wdmlab/policy.hpp"

namespace wdmlab {
namespace {

struct Outcome {
  LONG counter = 0;
  std::uint64_t digest = 0;
  std::uint64_t decisions = 0;
};

// Two system threads each read a shared counter, make a kernel call (a scheduling point), and
// write the counter plus one. Without a preemption between the read and the write the counter
// ends at 2.
Outcome increment_twice(std::shared_ptr<SchedulingPolicy> policy, unsigned processors = 2) {
  Lab lab({.processors = processors, .policy = std::move(policy)});
  auto counter = std::make_shared<LONG>(0);
  for (const char* name : {"first", "second"}) {
    lab.spawn(name, [counter] {
      const LONG seen = *counter;
      LARGE_INTEGER now;
      KeQuerySystemTimePrecise(&now);
      *counter = seen + 1;
    });
  }
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  return {*counter, lab.schedule_digest(), lab.decisions()};
}

constexpr std::uint64_t kSteps = 20;

// One processor: only a priority change between the first thread's read and write loses the
// update, so this is PCT's depth-2 guarantee at work, not parallel execution.
TEST(PctPolicy, FindsTheLostUpdateWithinAHundredSeedsOnOneProcessorAndReplaysIt) {
  std::uint64_t found_at = 0;
  for (std::uint64_t seed = 1; seed <= 100 && found_at == 0; ++seed) {
    const Outcome run = increment_twice(make_pct_policy(seed, 2, kSteps), 1);
    EXPECT_LE(run.decisions, kSteps) << "the step estimate is too small for the scenario";
    if (run.counter == 1) found_at = seed;
  }
  ASSERT_NE(found_at, 0u) << "PCT(depth 2) did not find the lost update in 100 seeds";
  const Outcome first = increment_twice(make_pct_policy(found_at, 2, kSteps), 1);
  const Outcome again = increment_twice(make_pct_policy(found_at, 2, kSteps), 1);
  EXPECT_EQ(first.counter, 1);
  EXPECT_EQ(again.counter, 1);
  EXPECT_EQ(again.digest, first.digest);
}

TEST(PctPolicy, DepthOneNeverPreemptsSoOneProcessorNeverLosesTheUpdate) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    EXPECT_EQ(increment_twice(make_pct_policy(seed, 1, kSteps), 1).counter, 2) << "seed " << seed;
  }
}

TEST(PctPolicy, TheCooperativePolicyNeverLosesTheUpdateOnOneProcessor) {
  EXPECT_EQ(increment_twice(std::shared_ptr<SchedulingPolicy>(make_cooperative_policy()), 1).counter, 2);
}

TEST(PctPolicy, RejectsDepthOrStepsOfZero) {
  EXPECT_THROW(make_pct_policy(1, 0, 10), UsageError);
  EXPECT_THROW(make_pct_policy(1, 2, 0), UsageError);
  EXPECT_NE(make_pct_policy(7, 2, 10)->name().find("pct(seed=7, depth=2"), std::string::npos);
}

}  // namespace
}  // namespace wdmlab
