// A run is fully determined by (program, seed, policy, processor count): the same two-processor
// driver under 100 seeds, each run twice.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "wdmlab/lab.hpp"

extern "C" {
DRIVER_INITIALIZE interleave_DriverEntry;
extern char interleave_trace[512];
}

namespace wdmlab {
namespace {

struct Outcome {
  std::uint64_t digest;
  std::uint64_t decisions;
  std::uint64_t time;
  std::string trace;
  std::string log;
};

Outcome run_once(std::uint64_t seed) {
  Lab lab({.processors = 2, .seed = seed});
  LoadedDriver& driver = lab.load_driver(interleave_DriverEntry, "interleave");
  EXPECT_EQ(driver.entry_status, STATUS_SUCCESS) << "seed " << seed;
  EXPECT_TRUE(lab.findings().empty()) << "seed " << seed;
  return {lab.schedule_digest(), lab.decisions(), lab.now(), interleave_trace, lab.log().text()};
}

TEST(Determinism, EachSeedReplaysExactlyAndSeedsDiffer) {
  std::set<std::string> traces;
  std::set<std::uint64_t> digests;
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    const Outcome first = run_once(seed);
    const Outcome second = run_once(seed);
    ASSERT_EQ(first.digest, second.digest) << "seed " << seed;
    ASSERT_EQ(first.decisions, second.decisions) << "seed " << seed;
    ASSERT_EQ(first.time, second.time) << "seed " << seed;
    ASSERT_EQ(first.trace, second.trace) << "seed " << seed;
    ASSERT_EQ(first.log, second.log) << "seed " << seed;
    // Every interleaving is a complete one: 6 steps of each thread.
    EXPECT_EQ(first.trace.size(), 12u * 4u) << first.trace;
    traces.insert(first.trace);
    digests.insert(first.digest);
  }
  // Different seeds explore different interleavings (the trace text, and the scheduler's digest).
  EXPECT_GT(traces.size(), 10u);
  EXPECT_GT(digests.size(), 10u);
}

TEST(Determinism, CooperativePolicyGivesOneInterleavingWhateverTheSeed) {
  std::set<std::string> traces;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    Lab lab({.processors = 2, .seed = seed, .policy = make_cooperative_policy()});
    lab.load_driver(interleave_DriverEntry, "interleave");
    traces.insert(interleave_trace);
  }
  EXPECT_EQ(traces.size(), 1u);
}

}  // namespace
}  // namespace wdmlab
