// The table of checks: ordered, unique, and carrying Microsoft's options and severities.
#include <gtest/gtest.h>

#include <wdm.h>

#include "verifier/rules.hpp"
#include "wdmlab/verifier.hpp"

namespace wdmlab::verifier {
namespace {

TEST(VerifierRulesTest, SubcodeTablesAreSortedAndUnique) {
  const Rule* previous = nullptr;
  for (const Rule& rule : all_rules()) {
    if (!keyed_by_subcode(rule.code)) continue;
    if (previous != nullptr && previous->code == rule.code) {
      EXPECT_LT(previous->subcode, rule.subcode) << std::hex << rule.code << " " << rule.subcode;
    }
    previous = &rule;
    ASSERT_NE(find_rule(rule.code, rule.subcode), nullptr);
    EXPECT_STREQ(find_rule(rule.code, rule.subcode)->meaning, rule.meaning);
  }
}

TEST(VerifierRulesTest, RowsCarryOptionSeverityAndName) {
  EXPECT_EQ(find_rule(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x62)->option, kVerifierPoolTracking);
  EXPECT_EQ(find_rule(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x1001)->option, kVerifierDeadlockDetection);
  EXPECT_EQ(find_rule(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xF6)->option, kVerifierMiscellaneousChecks);
  EXPECT_EQ(find_rule(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x30)->option, kAutomatic);
  EXPECT_EQ(find_rule(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x23E)->severity, Severity::NonFatal);
  EXPECT_EQ(find_rule(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x239)->severity, Severity::Warning);
  EXPECT_EQ(find_rule(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x226)->severity, Severity::Fatal);
  EXPECT_EQ(find_rule(DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, 0)->option, kVerifierSpecialPool);
  EXPECT_EQ(find_rule(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x999), nullptr);
  const Rule* spin_lock = find_rule_by_name("SpinLock");
  ASSERT_NE(spin_lock, nullptr);
  EXPECT_EQ(spin_lock->subcode, 0x00040009u);
  EXPECT_EQ(spin_lock->option, kVerifierDdiCompliance);
}

}  // namespace
}  // namespace wdmlab::verifier
