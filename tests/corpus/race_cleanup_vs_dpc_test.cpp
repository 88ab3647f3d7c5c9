// race_cleanup_vs_dpc (samples/buggy): IRP_MJ_CLEANUP and the DPC that delivers data both complete
// the same read, because the DPC releases the device lock before clearing the read's table entry.
//
// Machine: 2 processors, a random policy. Nothing lines the threads up: "reader" reads and closes
// its handle while "writer" writes, and the seed decides the interleaving. Seed 13 puts the
// cleanup inside the DPC's window; seed 1 does not. The exploration tests
// (races/race_cleanup_vs_dpc_race.cpp) find such schedules systematically.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"
#include "corpus/races/race_apps.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kRacing{.processors = 2, .seed = 13};
constexpr Machine kClean{.processors = 2, .seed = 1};

Outcome read_close_and_write(const Machine& machine) {
  return play(machine, RACE_CLEANUP_VS_DPC_IMAGE, [](Lab&, UserProcess& app) { start_cleanup_vs_dpc(app); });
}

TEST(RaceCleanupVsDpc, Is44WhenTheCleanupCompletesTheReadTheDpcIsCompleting) {
  const Outcome run = read_close_and_write(kRacing);
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, MULTIPLE_IRP_COMPLETE_REQUESTS) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], run.logged_address("read "));
  EXPECT_EQ(finding.parameters[1], 0u);
  EXPECT_EQ(finding.severity, Severity::Fatal);
  EXPECT_EQ(finding.driver, "race_cleanup_vs_dpc");
  EXPECT_EQ(culprit_function(finding), "RaceCleanupVsDpcCleanup");
  EXPECT_EQ(finding.context.name, "reader");

  const Outcome again = read_close_and_write(kRacing);
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[0], again.logged_address("read "));
}

TEST(RaceCleanupVsDpc, AnotherInterleavingIsClean) {
  const Outcome run = read_close_and_write(kClean);
  EXPECT_EQ(run.status, RunStatus::Idle);
  EXPECT_TRUE(run.logged("race_cleanup_vs_dpc: read "));
  EXPECT_TRUE(run.findings.empty()) << run.summaries();
}

}  // namespace
}  // namespace wdmlab::test
