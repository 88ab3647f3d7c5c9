// fastmutex_at_dispatch (samples/buggy): ExAcquireFastMutex while holding a spin lock.
//
// Machine: 2 processors, seed 1. One IOCTL; nothing races.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/ioctl_corpus.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kMachine{.processors = 2, .seed = 1};

Outcome apply(const Machine& machine = kMachine) {
  return send_ioctls(machine, FASTMUTEX_AT_DISPATCH_IMAGE, u"\\\\.\\FastMutexAtDispatch", {corpus_ioctl(0x800)});
}

// Standard settings: 0xC4/0x20005 IrqlExApcLte1 [rule, message, 0, caller].
TEST(FastMutexAtDispatch, IsIrqlExApcLte1) {
  const Outcome run = apply();
  expect_verifier_stop(run, 0x00020005, "fastmutex_at_dispatch");
  expect_ddi_rule_parameters(run.finding(), "IrqlExApcLte1");
  EXPECT_EQ(culprit_function(run.finding()), "FastMutexAtDispatchDeviceControl");
  expect_replayed(run, apply());
}

// Without DDI compliance checking: 0xC4/0x33 [IRQL, fast mutex, 0, 0].
TEST(FastMutexAtDispatch, WithoutDdiComplianceIsFastMutexAboveApcLevel) {
  const Machine machine{.processors = 2,
                        .seed = 1,
                        .verifier_flags = kVerifierStandardFlags & ~kVerifierDdiCompliance};
  const Outcome run = apply(machine);
  expect_verifier_stop(run, 0x33, "fastmutex_at_dispatch");
  EXPECT_EQ(run.finding().parameters[1], static_cast<std::uint64_t>(DISPATCH_LEVEL));
  EXPECT_EQ(run.finding().parameters[2], run.logged_address("mutex "));
  expect_replayed(run, apply(machine));
}

TEST(FastMutexAtDispatch, SameFindingOnOtherMachines) {
  expect_same_subcode_on_other_machines([](const Machine& machine) { return apply(machine); }, 0x00020005u);
}

}  // namespace
}  // namespace wdmlab::test
