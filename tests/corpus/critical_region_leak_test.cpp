// critical_region_leak (samples/buggy): a worker thread's early return skips
// KeLeaveCriticalRegion.
//
// Machine: 2 processors, seed 1. One IOCTL starts the worker; the table is already current.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/ioctl_corpus.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kMachine{.processors = 2, .seed = 1};

Outcome refresh(const Machine& machine = kMachine) {
  return send_ioctls(machine, CRITICAL_REGION_LEAK_IMAGE, u"\\\\.\\CriticalRegionLeak", {corpus_ioctl(0x800)});
}

// DDI compliance: 0xC4/0x40003 CriticalRegions [rule, message, 0, 0] as the worker ends.
TEST(CriticalRegionLeak, IsCriticalRegionsWhenTheWorkerEnds) {
  const Outcome run = refresh();
  expect_verifier_stop(run, 0x00040003, "critical_region_leak");
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.rule, "CriticalRegions");
  ASSERT_NE(finding.parameters[1], 0u);
  EXPECT_EQ(finding.parameters[2], 0u);
  EXPECT_NE(finding.context.name, "main");  // the worker thread
  EXPECT_TRUE(run.logged("critical_region_leak: table current"));
  expect_replayed(run, refresh());
}

// The lab does not model the exit check an unverified Windows makes.
TEST(CriticalRegionLeak, UnverifiedRunsOn) {
  const Outcome run = refresh({.processors = 2, .seed = 1, .verifier_flags = 0});
  EXPECT_EQ(run.status, RunStatus::Idle);
  EXPECT_TRUE(run.findings.empty()) << run.summaries();
}

TEST(CriticalRegionLeak, SameFindingOnOtherMachines) {
  expect_same_subcode_on_other_machines([](const Machine& machine) { return refresh(machine); }, 0x00040003u);
}

}  // namespace
}  // namespace wdmlab::test
