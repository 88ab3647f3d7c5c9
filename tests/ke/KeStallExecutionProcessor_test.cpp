// KeStallExecutionProcessor: a busy wait. The processor runs nothing else for the whole stall, so
// on a one-processor machine the stall and another thread's work cannot overlap in virtual time;
// a delay (KeDelayExecutionThread) gives the processor away and they do overlap.
#include <gtest/gtest.h>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

constexpr ULONG kStallMicroseconds = 100;
constexpr std::uint64_t kStallTicks = kStallMicroseconds * 10;
constexpr int kOtherSteps = 2 * static_cast<int>(kStallTicks);  // each a kernel call: one decision each

// One thread waits `kStallTicks` (stalling or delaying) while another makes kOtherSteps kernel
// calls; returns the virtual time both took together.
std::uint64_t time_for_both(bool stall, unsigned processors, std::uint64_t seed) {
  Lab lab({.processors = processors, .seed = seed});
  std::uint64_t waited = 0;
  lab.spawn("waiter", [&] {
    const std::uint64_t before = lab.now();
    if (stall) {
      KeStallExecutionProcessor(kStallMicroseconds);
    } else {
      LARGE_INTEGER delay = relative_ticks(kStallTicks);
      KeDelayExecutionThread(KernelMode, FALSE, &delay);
    }
    waited = lab.now() - before;
  });
  lab.spawn("other", [] {
    for (int i = 0; i < kOtherSteps; ++i) KeGetCurrentIrql();
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_GE(waited, kStallTicks);
  return lab.now();
}

TEST(KeStallExecutionProcessor, OnOneProcessorNothingElseRunsDuringTheStall) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    EXPECT_GE(time_for_both(true, 1, seed), kStallTicks + kOtherSteps) << "seed " << seed;
  }
}

TEST(KeStallExecutionProcessor, ADelayInsteadLetsTheOtherThreadRunMeanwhile) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    EXPECT_LT(time_for_both(false, 1, seed), kStallTicks + kOtherSteps) << "seed " << seed;
  }
}

TEST(KeStallExecutionProcessor, OnTwoProcessorsTheOtherThreadRunsMeanwhile) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    EXPECT_LT(time_for_both(true, 2, seed), kStallTicks + kOtherSteps) << "seed " << seed;
  }
}

TEST(KeStallExecutionProcessor, AdvancesVirtualTimeByTheStall) {
  std::uint64_t before = 0, after = 0;
  Lab lab;
  lab.spawn("staller", [&] {
    before = lab.now();
    KeStallExecutionProcessor(250);
    after = lab.now();
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(after - before, kDecisionTicks + 2500);
}

}  // namespace
}  // namespace wdmlab::test
