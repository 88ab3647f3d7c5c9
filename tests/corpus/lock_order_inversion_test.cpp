// lock_order_inversion (samples/buggy): the queue path takes queue lock -> statistics lock, the
// reset path statistics lock -> queue lock.
//
// Machine: 2 processors, seed 1. One thread queues, then resets: the two paths never overlap, so
// nothing ever deadlocks; deadlock detection reports the inversion anyway.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/ioctl_corpus.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kMachine{.processors = 2, .seed = 1};

Outcome queue_then_reset(const Machine& machine = kMachine) {
  return send_ioctls(machine, LOCK_ORDER_INVERSION_IMAGE, u"\\\\.\\LockOrderInversion",
                     {corpus_ioctl(0x800), corpus_ioctl(0x801)});
}

// 0xC4/0x1001 [lock being acquired (queue lock), lock held (statistics lock), 0], with the
// stacks of the queue path's acquire and the reset path's.
TEST(LockOrderInversion, IsALockHierarchyViolationBeforeAnyDeadlock) {
  const Outcome run = queue_then_reset();
  expect_verifier_stop(run, 0x1001, "lock_order_inversion");
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.parameters[1], run.logged_address("queue lock "));
  EXPECT_EQ(finding.parameters[2], run.logged_address("statistics lock "));
  EXPECT_EQ(culprit_function(finding), "LockOrderInversionDeviceControl");
  ASSERT_EQ(finding.involved.size(), 2u) << finding.to_text();
  EXPECT_NE(finding.involved[0].name.find("earlier acquire"), std::string::npos) << finding.involved[0].name;
  expect_replayed(run, queue_then_reset());
}

TEST(LockOrderInversion, WithoutDeadlockDetectionRunsClean) {
  const Outcome run = queue_then_reset(
      {.processors = 2, .seed = 1, .verifier_flags = kVerifierStandardFlags & ~kVerifierDeadlockDetection});
  EXPECT_EQ(run.status, RunStatus::Idle);
  EXPECT_TRUE(run.findings.empty()) << run.summaries();
}

TEST(LockOrderInversion, SameFindingOnOtherMachines) {
  expect_same_subcode_on_other_machines([](const Machine& machine) { return queue_then_reset(machine); }, 0x1001u);
}

}  // namespace
}  // namespace wdmlab::test
