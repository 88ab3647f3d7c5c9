// wait_at_dispatch (samples/buggy): KeWaitForSingleObject with no timeout under a spin lock.
//
// Machine: 2 processors, seed 1. One IOCTL; nothing races.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/ioctl_corpus.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kMachine{.processors = 2, .seed = 1};

Outcome send(const Machine& machine = kMachine) {
  return send_ioctls(machine, WAIT_AT_DISPATCH_IMAGE, u"\\\\.\\WaitAtDispatch", {corpus_ioctl(0x800)});
}

// 0xC4/0x121 [IRQL, object, timeout (NULL)]: Windows 10's split of 0x3B for a wait at
// DISPATCH_LEVEL with no timeout.
TEST(WaitAtDispatch, IsWaitAtDispatchLevelWithoutTimeout) {
  const Outcome run = send();
  expect_verifier_stop(run, 0x121, "wait_at_dispatch");
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.parameters[1], static_cast<std::uint64_t>(DISPATCH_LEVEL));
  EXPECT_EQ(finding.parameters[2], run.logged_address("event "));
  EXPECT_EQ(finding.parameters[3], 0u);
  EXPECT_EQ(culprit_function(finding), "WaitAtDispatchDeviceControl");
  expect_replayed(run, send());
}

TEST(WaitAtDispatch, UnverifiedIsBugCheckA) {
  const Outcome run = send({.processors = 2, .seed = 1, .verifier_flags = 0});
  ASSERT_EQ(run.findings.size(), 1u) << run.summaries();
  EXPECT_EQ(run.findings[0].code, IRQL_NOT_LESS_OR_EQUAL);
  EXPECT_EQ(run.findings[0].parameters[0], run.logged_address("event "));
  EXPECT_EQ(run.findings[0].parameters[1], static_cast<std::uint64_t>(DISPATCH_LEVEL));
}

TEST(WaitAtDispatch, SameFindingOnOtherMachines) {
  expect_same_subcode_on_other_machines([](const Machine& machine) { return send(machine); }, 0x121u);
}

}  // namespace
}  // namespace wdmlab::test
