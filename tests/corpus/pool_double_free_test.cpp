// pool_double_free (samples/buggy): a refused open frees its scratch buffer, and the common exit
// frees it again (0xC4/0x13).
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kMachine{.processors = 1, .seed = 1};
constexpr std::uint64_t kPoolHeaderBytes = 16;

Outcome open_once(const char16_t* path, const Machine& machine = kMachine) {
  return play(machine, POOL_DOUBLE_FREE_IMAGE,
              [path](Lab&, UserProcess& app) { app.run("main", [path] { (void)open_device(path, 0); }); });
}

TEST(PoolDoubleFree, IsC4_13OnTheSecondFree) {
  const Outcome run = open_once(u"\\\\.\\PoolDoubleFree\\missing");
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << finding.to_text();
  const std::uint64_t scratch = run.logged_address("scratch ");
  EXPECT_EQ(finding.parameters[0], 0x13u);
  EXPECT_EQ(finding.parameters[2], scratch - kPoolHeaderBytes);        // the block's pool header
  EXPECT_EQ(finding.parameters[3] >> 32, static_cast<ULONG>('fbdP'));  // the header's tag
  EXPECT_EQ(culprit_function(finding), "PoolDoubleFreeCreate");
  EXPECT_EQ(finding.driver, "pool_double_free");
  EXPECT_NE(finding.description.find("tag 'Pdbf', 128 bytes"), std::string::npos) << finding.description;

  const Outcome again = open_once(u"\\\\.\\PoolDoubleFree\\missing");
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[2], again.logged_address("scratch ") - kPoolHeaderBytes);
}

TEST(PoolDoubleFree, AnOpenOfTheDeviceItselfIsClean) {
  const Outcome run = open_once(u"\\\\.\\PoolDoubleFree");
  EXPECT_EQ(run.status, RunStatus::Idle);
  EXPECT_TRUE(run.findings.empty()) << run.summaries();
}

TEST(PoolDoubleFree, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = open_once(u"\\\\.\\PoolDoubleFree\\missing", machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].parameters[0], 0x13u) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
