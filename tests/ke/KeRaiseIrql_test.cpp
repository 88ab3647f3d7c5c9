// KeRaiseIrql and KeRaiseIrqlToDpcLevel: raising returns the previous IRQL and leaves the new
// one; a "raise" to a lower level is bug check 0x9 IRQL_NOT_GREATER_OR_EQUAL with parameter 1 =
// the current IRQL and parameter 2 = the requested one.
#include <gtest/gtest.h>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

struct Raise {
  KIRQL from;
  KIRQL to;
};

class KeRaiseIrqlLegal : public ::testing::TestWithParam<Raise> {};

TEST_P(KeRaiseIrqlLegal, ReturnsThePreviousIrqlAndLeavesTheNewOne) {
  const Raise row = GetParam();
  KIRQL returned = 0xFF, now = 0xFF;
  runs_clean([&] {
    KIRQL ignored;
    KeRaiseIrql(row.from, &ignored);
    KeRaiseIrql(row.to, &returned);
    now = KeGetCurrentIrql();
    KeLowerIrql(PASSIVE_LEVEL);
  });
  EXPECT_EQ(returned, row.from);
  EXPECT_EQ(now, row.to);
}

INSTANTIATE_TEST_SUITE_P(Levels, KeRaiseIrqlLegal,
                         ::testing::Values(Raise{PASSIVE_LEVEL, PASSIVE_LEVEL}, Raise{PASSIVE_LEVEL, APC_LEVEL},
                                           Raise{PASSIVE_LEVEL, DISPATCH_LEVEL}, Raise{APC_LEVEL, DISPATCH_LEVEL},
                                           Raise{DISPATCH_LEVEL, DISPATCH_LEVEL}, Raise{DISPATCH_LEVEL, HIGH_LEVEL},
                                           Raise{PASSIVE_LEVEL, HIGH_LEVEL}));

class KeRaiseIrqlToLower : public ::testing::TestWithParam<Raise> {};

TEST_P(KeRaiseIrqlToLower, UnverifiedIsBugCheck9WithCurrentAndRequestedIrql) {
  const Raise row = GetParam();
  const Finding finding = unverified_bug_check_of([&] {
    KIRQL old;
    KeRaiseIrql(row.from, &old);
    KeRaiseIrql(row.to, &old);
  });
  EXPECT_EQ(finding.code, IRQL_NOT_GREATER_OR_EQUAL);
  EXPECT_EQ(finding.parameters[0], row.from);
  EXPECT_EQ(finding.parameters[1], row.to);
}

INSTANTIATE_TEST_SUITE_P(Levels, KeRaiseIrqlToLower,
                         ::testing::Values(Raise{APC_LEVEL, PASSIVE_LEVEL}, Raise{DISPATCH_LEVEL, APC_LEVEL},
                                           Raise{DISPATCH_LEVEL, PASSIVE_LEVEL}, Raise{HIGH_LEVEL, DISPATCH_LEVEL}));

TEST(KeRaiseIrqlToDpcLevel, ReturnsThePreviousIrqlAndLeavesDispatchLevel) {
  for (KIRQL from : {PASSIVE_LEVEL, APC_LEVEL, DISPATCH_LEVEL}) {
    KIRQL returned = 0xFF, now = 0xFF;
    runs_clean([&] {
      KIRQL ignored;
      KeRaiseIrql(from, &ignored);
      returned = KeRaiseIrqlToDpcLevel();
      now = KeGetCurrentIrql();
      KeLowerIrql(PASSIVE_LEVEL);
    });
    EXPECT_EQ(returned, from);
    EXPECT_EQ(now, DISPATCH_LEVEL);
  }
}

TEST(KeRaiseIrqlToDpcLevel, UnverifiedFromAboveDispatchLevelIsBugCheck9) {
  const Finding finding = unverified_bug_check_of([] {
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    KeRaiseIrqlToDpcLevel();
  });
  EXPECT_EQ(finding.code, IRQL_NOT_GREATER_OR_EQUAL);
  EXPECT_EQ(finding.parameters[0], HIGH_LEVEL);
  EXPECT_EQ(finding.parameters[1], DISPATCH_LEVEL);
}

}  // namespace
}  // namespace wdmlab::test
