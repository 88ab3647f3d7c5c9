// KeLowerIrql: lowering restores a level; "lowering" to a higher level is bug check 0xA
// IRQL_NOT_LESS_OR_EQUAL; and a DPC pending on the processor runs the moment its IRQL drops
// below DISPATCH_LEVEL, before the routine that lowered it returns.
#include <gtest/gtest.h>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeLowerIrql, RestoresTheGivenLevel) {
  std::vector<KIRQL> seen;
  runs_clean([&] {
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    for (KIRQL level : {DISPATCH_LEVEL, APC_LEVEL, PASSIVE_LEVEL}) {
      KeLowerIrql(level);
      seen.push_back(KeGetCurrentIrql());
    }
  });
  EXPECT_EQ(seen, (std::vector<KIRQL>{DISPATCH_LEVEL, APC_LEVEL, PASSIVE_LEVEL}));
}

TEST(KeLowerIrql, UnverifiedToAHigherLevelIsBugCheckA) {
  const Finding finding = unverified_bug_check_of([] {
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    KeLowerIrql(DISPATCH_LEVEL);
  });
  EXPECT_EQ(finding.code, IRQL_NOT_LESS_OR_EQUAL);
  EXPECT_EQ(finding.parameters[1], APC_LEVEL);  // the IRQL at the time
}

int g_runs = 0;
void CountRun(PKDPC, PVOID, PVOID, PVOID) { ++g_runs; }

struct Drop {
  const char* name;
  KIRQL raised;    // the level the DPC is queued at
  KIRQL lowered;   // the level KeLowerIrql goes to
  int runs_after;  // DPC runs right after KeLowerIrql returns
};

class KeLowerIrqlPendingDpc : public ::testing::TestWithParam<Drop> {};

TEST_P(KeLowerIrqlPendingDpc, RunsAsSoonAsTheIrqlDropsBelowDispatchLevel) {
  const Drop row = GetParam();
  g_runs = 0;
  int before = -1, after = -1;
  KDPC dpc;
  runs_clean(
      [&] {
        KeInitializeDpc(&dpc, CountRun, nullptr);
        KIRQL old;
        KeRaiseIrql(row.raised, &old);
        KeInsertQueueDpc(&dpc, nullptr, nullptr);
        KeGetCurrentIrql();  // a scheduling point: the other processor cannot take this DPC
        before = g_runs;
        KeLowerIrql(row.lowered);
        after = g_runs;
        KeLowerIrql(PASSIVE_LEVEL);
      },
      2);
  EXPECT_EQ(before, 0);
  EXPECT_EQ(after, row.runs_after);
  EXPECT_EQ(g_runs, 1);
}

INSTANTIATE_TEST_SUITE_P(Levels, KeLowerIrqlPendingDpc,
                         ::testing::Values(Drop{"DispatchToPassive", DISPATCH_LEVEL, PASSIVE_LEVEL, 1},
                                           Drop{"DispatchToApc", DISPATCH_LEVEL, APC_LEVEL, 1},
                                           Drop{"HighToDispatch", HIGH_LEVEL, DISPATCH_LEVEL, 0},
                                           Drop{"HighToPassive", HIGH_LEVEL, PASSIVE_LEVEL, 1}),
                         RowName());

TEST(KeLowerIrql, ReleasingASpinLockRunsTheDpcsQueuedWhileItWasHeld) {
  g_runs = 0;
  int while_held = -1, after_release = -1;
  KDPC dpc;
  KSPIN_LOCK lock;
  runs_clean([&] {
    KeInitializeDpc(&dpc, CountRun, nullptr);
    KeInitializeSpinLock(&lock);
    KIRQL old;
    KeAcquireSpinLock(&lock, &old);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
    while_held = g_runs;
    KeReleaseSpinLock(&lock, old);
    after_release = g_runs;
  });
  EXPECT_EQ(while_held, 0);
  EXPECT_EQ(after_release, 1);
}

}  // namespace
}  // namespace wdmlab::test
