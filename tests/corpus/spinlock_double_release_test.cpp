// spinlock_double_release (samples/buggy): the "device full" path releases the spin lock, then
// falls through to the common release.
//
// Machine: 2 processors, seed 1. Three pushes from one thread; the third finds the device full.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/ioctl_corpus.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kMachine{.processors = 2, .seed = 1};

Outcome three_pushes(const Machine& machine = kMachine) {
  const DWORD push = corpus_ioctl(0x800);
  return send_ioctls(machine, SPINLOCK_DOUBLE_RELEASE_IMAGE, u"\\\\.\\SpinlockDoubleRelease", {push, push, push});
}

// Standard settings: DDI compliance checking sees KeReleaseSpinLock below DISPATCH_LEVEL first,
// 0xC4/0x20015 IrqlKeReleaseSpinLock [rule, message, 0, caller].
TEST(SpinlockDoubleRelease, IsIrqlKeReleaseSpinLock) {
  const Outcome run = three_pushes();
  expect_verifier_stop(run, 0x00020015, "spinlock_double_release");
  expect_ddi_rule_parameters(run.finding(), "IrqlKeReleaseSpinLock");
  EXPECT_EQ(culprit_function(run.finding()), "SpinlockDoubleReleaseDeviceControl");
  expect_replayed(run, three_pushes());
}

// Without DDI compliance checking, the automatic check: 0xC4/0x32 [IRQL, lock, 0, 0].
TEST(SpinlockDoubleRelease, WithoutDdiComplianceIsKeReleaseSpinLockNotAtDispatch) {
  const Machine machine{.processors = 2,
                        .seed = 1,
                        .verifier_flags = kVerifierStandardFlags & ~kVerifierDdiCompliance};
  const Outcome run = three_pushes(machine);
  expect_verifier_stop(run, 0x32, "spinlock_double_release");
  EXPECT_EQ(run.finding().parameters[1], static_cast<std::uint64_t>(PASSIVE_LEVEL));
  EXPECT_EQ(run.finding().parameters[2], run.logged_address("lock "));
  expect_replayed(run, three_pushes(machine));
}

TEST(SpinlockDoubleRelease, SameFindingOnOtherMachines) {
  expect_same_subcode_on_other_machines([](const Machine& machine) { return three_pushes(machine); }, 0x00020015u);
}

}  // namespace
}  // namespace wdmlab::test
