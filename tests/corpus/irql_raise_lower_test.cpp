// irql_raise_lower (samples/buggy): KeRaiseIrql(APC_LEVEL) from code that holds a spin lock.
//
// Machine: 2 processors, seed 1. One IOCTL; nothing races.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/ioctl_corpus.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kMachine{.processors = 2, .seed = 1};

Outcome hit(const Machine& machine = kMachine) {
  return send_ioctls(machine, IRQL_RAISE_LOWER_IMAGE, u"\\\\.\\IrqlRaiseLower", {corpus_ioctl(0x800)});
}

// 0xC4/0x30 [current IRQL, requested IRQL, 0, 0] in the counter helper.
TEST(IrqlRaiseLower, IsKeRaiseIrqlToALowerIrql) {
  const Outcome run = hit();
  expect_verifier_stop(run, 0x30, "irql_raise_lower");
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.parameters[1], static_cast<std::uint64_t>(DISPATCH_LEVEL));
  EXPECT_EQ(finding.parameters[2], static_cast<std::uint64_t>(APC_LEVEL));
  EXPECT_EQ(finding.parameters[3], 0u);
  EXPECT_EQ(culprit_function(finding), "IrqlRaiseLowerCount");
  EXPECT_EQ(finding.context.name, "main");
  expect_replayed(run, hit());
}

TEST(IrqlRaiseLower, UnverifiedIsBugCheck9) {
  const Outcome run = hit({.processors = 2, .seed = 1, .verifier_flags = 0});
  ASSERT_EQ(run.findings.size(), 1u) << run.summaries();
  EXPECT_EQ(run.findings[0].code, IRQL_NOT_GREATER_OR_EQUAL);
  EXPECT_EQ(run.findings[0].parameters[0], static_cast<std::uint64_t>(DISPATCH_LEVEL));
  EXPECT_EQ(run.findings[0].parameters[1], static_cast<std::uint64_t>(APC_LEVEL));
}

TEST(IrqlRaiseLower, SameFindingOnOtherMachines) {
  expect_same_subcode_on_other_machines([](const Machine& machine) { return hit(machine); }, 0x30u);
}

}  // namespace
}  // namespace wdmlab::test
