// Critical and guarded regions: inside a critical region normal kernel APCs are disabled
// (KeAreApcsDisabled) but special ones are not (KeAreAllApcsDisabled); a guarded region disables
// both; regions nest; at APC_LEVEL or above all APCs are disabled whatever the regions.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

using Apcs = std::pair<bool, bool>;  // (KeAreApcsDisabled, KeAreAllApcsDisabled)

Apcs apcs() { return {KeAreApcsDisabled() != FALSE, KeAreAllApcsDisabled() != FALSE}; }

TEST(KeEnterCriticalRegion, DisablesNormalKernelApcsOnlyAndNests) {
  std::vector<Apcs> seen;
  runs_clean([&] {
    seen.push_back(apcs());
    KeEnterCriticalRegion();
    seen.push_back(apcs());
    KeEnterCriticalRegion();
    KeLeaveCriticalRegion();
    seen.push_back(apcs());  // still inside the outer region
    KeLeaveCriticalRegion();
    seen.push_back(apcs());
  });
  EXPECT_EQ(seen, (std::vector<Apcs>{{false, false}, {true, false}, {true, false}, {false, false}}));
}

TEST(KeEnterGuardedRegion, DisablesAllApcsAndNests) {
  std::vector<Apcs> seen;
  runs_clean([&] {
    KeEnterGuardedRegion();
    seen.push_back(apcs());
    KeEnterGuardedRegion();
    KeLeaveGuardedRegion();
    seen.push_back(apcs());
    KeLeaveGuardedRegion();
    seen.push_back(apcs());
  });
  EXPECT_EQ(seen, (std::vector<Apcs>{{true, true}, {true, true}, {false, false}}));
}

TEST(KeAreApcsDisabled, AtApcLevelAndAboveEveryApcIsDisabled) {
  std::vector<Apcs> seen;
  runs_clean([&] {
    for (KIRQL level : {APC_LEVEL, DISPATCH_LEVEL}) {
      KIRQL old;
      KeRaiseIrql(level, &old);
      seen.push_back(apcs());
    }
    KeLowerIrql(PASSIVE_LEVEL);
    seen.push_back(apcs());
  });
  EXPECT_EQ(seen, (std::vector<Apcs>{{true, true}, {true, true}, {false, false}}));
}

TEST(KeAreApcsDisabled, RegionsBelongToTheThread) {
  Lab lab({.processors = 2, .seed = 7});
  LONG inside = 0, checked = 0;
  Apcs other{true, true};
  lab.spawn("in region", [&] {
    KeEnterGuardedRegion();
    InterlockedExchange(&inside, 1);
    while (ReadAcquire(&checked) == 0) YieldProcessor();
    KeLeaveGuardedRegion();
  });
  lab.spawn("other", [&] {
    while (ReadAcquire(&inside) == 0) YieldProcessor();
    other = apcs();
    InterlockedExchange(&checked, 1);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(other, (Apcs{false, false}));
}

}  // namespace
}  // namespace wdmlab::test
