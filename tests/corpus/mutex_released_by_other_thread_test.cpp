// mutex_released_by_other_thread (samples/buggy): the consumer releases the KMUTEX the producer
// acquired.
//
// Machine: 2 processors, seed 1. One IOCTL starts both workers; the consumer waits for the
// producer's signal, so the order is fixed.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/ioctl_corpus.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kMachine{.processors = 2, .seed = 1};

Outcome start(const Machine& machine = kMachine) {
  return send_ioctls(machine, MUTEX_RELEASED_BY_OTHER_THREAD_IMAGE, u"\\\\.\\MutexHandoff", {corpus_ioctl(0x800)});
}

// 0xC4/0x1004 [mutex, owning thread, releasing thread].
TEST(MutexReleasedByOtherThread, IsReleaseByANonOwner) {
  const Outcome run = start();
  expect_verifier_stop(run, 0x1004, "mutex_released_by_other_thread");
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.parameters[1], run.logged_address("owns mutex "));
  EXPECT_EQ(finding.parameters[2], run.logged_address("producer "));
  EXPECT_EQ(finding.parameters[3], run.logged_address("consumer "));
  EXPECT_EQ(culprit_function(finding), "MutexHandoffConsumer");
  expect_replayed(run, start());
}

// Unverified: KeReleaseMutex raises STATUS_MUTANT_NOT_OWNED, unhandled in a system thread: 0x7E.
TEST(MutexReleasedByOtherThread, UnverifiedIsAnUnhandledMutantNotOwned) {
  const Outcome run = start({.processors = 2, .seed = 1, .verifier_flags = 0});
  ASSERT_FALSE(run.findings.empty());
  EXPECT_EQ(run.findings[0].code, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED) << run.summaries();
  EXPECT_EQ(run.findings[0].parameters[0], static_cast<std::uint32_t>(STATUS_MUTANT_NOT_OWNED));
}

TEST(MutexReleasedByOtherThread, SameFindingOnOtherMachines) {
  expect_same_subcode_on_other_machines([](const Machine& machine) { return start(machine); }, 0x1004u);
}

}  // namespace
}  // namespace wdmlab::test
