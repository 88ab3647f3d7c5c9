// irql_ddi_rule (samples/buggy): ZwClose under a spin lock.
//
// Machine: 2 processors, seed 1. One IOCTL; nothing races.
#include <gtest/gtest.h>
#include <wdm.h>

#include <string>

#include "corpus/ioctl_corpus.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kMachine{.processors = 2, .seed = 1};

Outcome retire(const Machine& machine = kMachine) {
  return send_ioctls(machine, IRQL_DDI_RULE_IMAGE, u"\\\\.\\IrqlDdiRule", {corpus_ioctl(0x800)});
}

// DDI compliance: 0xC4/0x2001F IrqlZwPassive [rule, message, 0, caller in the dispatch routine].
TEST(IrqlDdiRule, IsIrqlZwPassive) {
  const Outcome run = retire();
  expect_verifier_stop(run, 0x0002001F, "irql_ddi_rule");
  const Finding& finding = run.finding();
  expect_ddi_rule_parameters(finding, "IrqlZwPassive");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(finding.parameters[1])),
            "ZwClose should only be called at IRQL = PASSIVE_LEVEL.");
  const std::uint64_t routine = run.logged_address("device control ");
  EXPECT_GT(finding.parameters[3], routine);
  EXPECT_LT(finding.parameters[3], routine + 0x1000);
  EXPECT_EQ(culprit_function(finding), "IrqlDdiRuleDeviceControl");
  expect_replayed(run, retire());
}

TEST(IrqlDdiRule, UnverifiedIsBugCheckA) {
  const Outcome run = retire({.processors = 2, .seed = 1, .verifier_flags = 0});
  ASSERT_EQ(run.findings.size(), 1u) << run.summaries();
  EXPECT_EQ(run.findings[0].code, IRQL_NOT_LESS_OR_EQUAL);
  EXPECT_EQ(run.findings[0].parameters[1], static_cast<std::uint64_t>(DISPATCH_LEVEL));
}

TEST(IrqlDdiRule, SameFindingOnOtherMachines) {
  expect_same_subcode_on_other_machines([](const Machine& machine) { return retire(machine); }, 0x0002001Fu);
}

}  // namespace
}  // namespace wdmlab::test
