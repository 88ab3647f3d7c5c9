// KeGetCurrentIrql: a thread starts at PASSIVE_LEVEL, sees every level it raises to, and a DPC
// routine runs at DISPATCH_LEVEL.
#include <gtest/gtest.h>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeGetCurrentIrql, AThreadStartsAtPassiveLevel) {
  KIRQL seen = HIGH_LEVEL;
  runs_clean([&] { seen = KeGetCurrentIrql(); }, 2);
  EXPECT_EQ(seen, PASSIVE_LEVEL);
}

TEST(KeGetCurrentIrql, ReportsEachLevelTheThreadRaisesTo) {
  std::vector<KIRQL> seen;
  runs_clean([&] {
    for (KIRQL level : {APC_LEVEL, DISPATCH_LEVEL, CLOCK_LEVEL, HIGH_LEVEL}) {
      KIRQL old;
      KeRaiseIrql(level, &old);
      seen.push_back(KeGetCurrentIrql());
    }
    KeLowerIrql(PASSIVE_LEVEL);
    seen.push_back(KeGetCurrentIrql());
  });
  EXPECT_EQ(seen, (std::vector<KIRQL>{APC_LEVEL, DISPATCH_LEVEL, CLOCK_LEVEL, HIGH_LEVEL, PASSIVE_LEVEL}));
}

KIRQL g_dpc_irql = PASSIVE_LEVEL;
void RecordIrql(PKDPC, PVOID, PVOID, PVOID) { g_dpc_irql = KeGetCurrentIrql(); }

TEST(KeGetCurrentIrql, ADpcRoutineRunsAtDispatchLevel) {
  g_dpc_irql = PASSIVE_LEVEL;
  KDPC dpc;
  runs_clean([&] {
    KeInitializeDpc(&dpc, RecordIrql, nullptr);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
  });
  EXPECT_EQ(g_dpc_irql, DISPATCH_LEVEL);
}

TEST(KeGetCurrentIrql, IsPassiveLevelOnTheHost) {
  Lab lab;
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

}  // namespace
}  // namespace wdmlab::test
