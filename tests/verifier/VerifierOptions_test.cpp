// Driver Verifier options: /flags values, per-driver selection, rules turned off, and the route
// of a violation to a finding.
#include <gtest/gtest.h>

#include "base/driver_identity.hpp"
#include "base/stack.hpp"
#include "verifier/verifier.hpp"
#include "wdmlab/lab.hpp"

namespace wdmlab {
namespace {

TEST(VerifierFlagsTest, ParsesNumbersAndNames) {
  EXPECT_EQ(parse_verifier_flags("0x209BB"), 0x209BBu);
  EXPECT_EQ(parse_verifier_flags("133563"), 0x209BBu);
  EXPECT_EQ(parse_verifier_flags("standard"), kVerifierStandardFlags);
  EXPECT_EQ(parse_verifier_flags("Standard | lowres"), kVerifierStandardFlags | kVerifierLowResources);
  EXPECT_EQ(parse_verifier_flags("iov,deadlock"), kVerifierIoVerification | kVerifierDeadlockDetection);
}

TEST(VerifierFlagsTest, RejectsUnknownNamesAndBits) {
  EXPECT_THROW(parse_verifier_flags("speshul"), UsageError);
  EXPECT_THROW(parse_verifier_flags(""), UsageError);
  EXPECT_THROW(parse_verifier_flags("0x100000"), UsageError);  // a bit the lab does not know
  EXPECT_THROW(parse_verifier_flags("0x"), UsageError);
  try {
    parse_verifier_flags("standard|bogus");
    FAIL() << "no error";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("'bogus'"), std::string::npos) << error.what();
  }
}

TEST(VerifierFlagsTest, DescribesEachBit) {
  EXPECT_EQ(describe_verifier_flags(0), "0x0 (not verified)");
  EXPECT_EQ(describe_verifier_flags(kVerifierSpecialPool | kVerifierDeadlockDetection),
            "0x21 (special pool, deadlock detection)");
}

TEST(VerifierFlagsTest, IoVerificationImpliesEnhancedAndStressesImplyIoVerification) {
  EXPECT_EQ(verifier::normalize_flags(kVerifierIoVerification),
            kVerifierIoVerification | kVerifierEnhancedIoVerification);
  EXPECT_EQ(verifier::normalize_flags(kVerifierForcePendingIo),
            kVerifierForcePendingIo | kVerifierIoVerification | kVerifierEnhancedIoVerification);
  EXPECT_EQ(verifier::normalize_flags(kVerifierSpecialPool), kVerifierSpecialPool);
}

TEST(VerifierTest, FlagsPerDriver) {
  VerifierOptions options;
  options.drivers = {"listed"};
  options.driver_flags["tuned"] = kVerifierDeadlockDetection;
  verifier::Verifier verifier(options, 1);
  base::DriverIdentity listed{"listed", 1}, other{"other", 2}, tuned{"tuned", 3};
  EXPECT_EQ(verifier.flags_for(&listed), verifier::normalize_flags(kVerifierStandardFlags));
  EXPECT_EQ(verifier.flags_for(&other), 0u);  // not in /driver
  EXPECT_EQ(verifier.flags_for(&tuned), kVerifierDeadlockDetection);
  EXPECT_EQ(verifier.flags_for(nullptr), verifier::normalize_flags(kVerifierStandardFlags));  // test code
}

TEST(VerifierTest, RejectsUnknownBitsAndProbabilities) {
  EXPECT_THROW(verifier::Verifier(VerifierOptions{.flags = 0x100000}, 1), UsageError);
  VerifierOptions options;
  options.low_resources.probability = 10001;
  EXPECT_THROW(verifier::Verifier(options, 1), UsageError);
}

TEST(VerifierTest, StressRandomnessFollowsTheSeedOnly) {
  verifier::Verifier a(VerifierOptions{}, 42);
  std::vector<std::uint64_t> first;
  for (int i = 0; i < 4; ++i) first.push_back(a.draw());
  verifier::Verifier b(VerifierOptions{}, 42);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(b.draw(), first[i]);
  verifier::Verifier c(VerifierOptions{}, 43);
  EXPECT_NE(c.draw(), first[0]);
}

// A check run from test code in a lab: what a routine's validation does.
void leak_check_violation() {
  verifier::violation({.code = DRIVER_VERIFIER_DETECTED_VIOLATION,
                       .parameters = {0x62, 0x1234, 0, 3},
                       .description = "three allocations left",
                       .related = {{"allocation of block 1", base::capture_stack()}}});
}

TEST(VerifierViolationTest, FatalCheckStopsTheRunWithItsRuleData) {
  Lab lab;
  bool after = false;
  lab.spawn("unload", [&] {
    leak_check_violation();
    after = true;
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  EXPECT_FALSE(after);
  ASSERT_EQ(lab.findings().size(), 1u);
  const Finding& finding = lab.findings()[0];
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
  EXPECT_EQ(finding.parameters, (std::array<std::uint64_t, 4>{0x62, 0x1234, 0, 3}));
  EXPECT_EQ(finding.severity, Severity::Fatal);
  EXPECT_EQ(finding.bucket(), "0xC4_62");
  ASSERT_EQ(finding.involved.size(), 1u);
  EXPECT_EQ(finding.involved[0].name, "allocation of block 1");
  EXPECT_FALSE(finding.involved[0].stack.empty());
}

TEST(VerifierViolationTest, RuleTurnedOffIsCountedNotReported) {
  LabOptions options;
  options.verifier.disabled_rules = {0x62};
  Lab lab(options);
  bool after = false;
  lab.spawn("unload", [&] {
    leak_check_violation();
    after = true;
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(after);
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_EQ(lab.verifier_counters("").findings_suppressed, 1u);
}

TEST(VerifierViolationTest, CheckOfAnOptionThatIsOffReportsNothing) {
  Lab lab({.verifier = {.flags = kVerifierSpecialPool}});  // no pool tracking
  bool after = false;
  lab.spawn("unload", [&] {
    leak_check_violation();
    after = true;
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(after);
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_EQ(lab.verifier_counters("").findings_suppressed, 0u);
}

TEST(VerifierViolationTest, NonFatalChecksAreAllRecordedAndTheRunGoesOn) {
  Lab lab;
  int reported = 0;
  lab.spawn("dispatch", [&] {
    for (std::uint64_t status : {0x0u, 0xC0000001u}) {
      reported += verifier::violation({.code = DRIVER_VERIFIER_IOMANAGER_VIOLATION,
                                       .parameters = {0x23E, 0x1000, 0x2000, status},
                                       .description = "marked pending, returned something else"})
                      ? 1
                      : 0;
    }
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(reported, 2);
  ASSERT_EQ(lab.findings().size(), 2u);
  for (const Finding& finding : lab.findings()) {
    EXPECT_EQ(finding.severity, Severity::NonFatal);
    EXPECT_EQ(finding.rule, "MarkIrpPending");
    EXPECT_EQ(finding.bucket(), "0xC9_23E");
  }
  EXPECT_EQ(lab.findings()[1].parameters[3], 0xC0000001u);
}

TEST(VerifierViolationTest, SdvRuleWithoutAnIdIsNamedAndNonFatal) {
  Lab lab;
  lab.spawn("dispatch", [] {
    verifier::rule_violation("LowerDriverReturn", 0x10, 0x20, 0, "returned STATUS_SUCCESS, lower said pending");
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  ASSERT_EQ(lab.findings().size(), 1u);
  EXPECT_EQ(lab.findings()[0].code, WDMLAB_DDI_RULE_VIOLATION);
  EXPECT_EQ(lab.findings()[0].rule, "LowerDriverReturn");
  EXPECT_EQ(lab.findings()[0].severity, Severity::NonFatal);
}

}  // namespace
}  // namespace wdmlab
