// PAGED_CODE(): pageable code may run at IRQL <= APC_LEVEL; at DISPATCH_LEVEL it is bug check
// 0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL, verifier rule PagedCode.
#include <gtest/gtest.h>

#include "ke/driver_scenario.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(PAGED_CODE, BelowDispatchLevelIsFine) {
  runs_clean([] {
    KtdPagedRoutine();
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    KtdPagedRoutine();
    KeLowerIrql(old);
  });
}

TEST(PAGED_CODE, AtDispatchLevelIsBugCheckD1WithRulePagedCode) {
  Lab lab;
  EXPECT_FALSE(run_in_driver(lab, [] {
    KeRaiseIrqlToDpcLevel();
    KtdPagedRoutine();
  }));
  const Finding finding = stop_finding(lab);
  EXPECT_EQ(finding.code, DRIVER_IRQL_NOT_LESS_OR_EQUAL);
  EXPECT_EQ(finding.rule, "PagedCode");
  EXPECT_EQ(finding.parameters[1], DISPATCH_LEVEL);
  EXPECT_EQ(finding.driver, kTestDriverName);
  ASSERT_NE(finding.culprit_frame(), nullptr);
  EXPECT_EQ(finding.culprit_frame()->function, "KtdPagedRoutine");
}

}  // namespace
}  // namespace wdmlab::test
