// KeRemoveQueueDpc: takes a queued DPC off its queue (TRUE), so it does not run; for a DPC that
// is not queued it returns FALSE.
#include <gtest/gtest.h>

#include "ke/dpc_probe.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeRemoveQueueDpc, DequeuesAQueuedDpcSoItNeverRuns) {
  DpcProbe probe;
  KDPC dpc;
  BOOLEAN removed = FALSE, again = TRUE, never_queued = TRUE;
  runs_clean([&] {
    KeInitializeDpc(&dpc, DpcProbe::Routine, &probe);
    never_queued = KeRemoveQueueDpc(&dpc);
    const KIRQL old = KeRaiseIrqlToDpcLevel();
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
    removed = KeRemoveQueueDpc(&dpc);
    again = KeRemoveQueueDpc(&dpc);
    KeLowerIrql(old);
  });
  EXPECT_FALSE(never_queued);
  EXPECT_TRUE(removed);
  EXPECT_FALSE(again);
  EXPECT_EQ(probe.runs, 0);
}

TEST(KeRemoveQueueDpc, LeavesTheOtherQueuedDpcsInPlace) {
  std::vector<int> order;
  DpcProbe probes[3];
  KDPC dpcs[3];
  runs_clean([&] {
    const KIRQL old = KeRaiseIrqlToDpcLevel();
    for (int i = 0; i < 3; ++i) {
      probes[i].order = &order;
      probes[i].id = i;
      KeInitializeDpc(&dpcs[i], DpcProbe::Routine, &probes[i]);
      KeInsertQueueDpc(&dpcs[i], nullptr, nullptr);
    }
    KeRemoveQueueDpc(&dpcs[1]);
    KeLowerIrql(old);
  });
  EXPECT_EQ(order, (std::vector<int>{0, 2}));
}

TEST(KeRemoveQueueDpc, AfterTheDpcRanReturnsFalse) {
  DpcProbe probe;
  KDPC dpc;
  BOOLEAN removed = TRUE;
  runs_clean([&] {
    KeInitializeDpc(&dpc, DpcProbe::Routine, &probe);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
    removed = KeRemoveQueueDpc(&dpc);
  });
  EXPECT_EQ(probe.runs, 1);
  EXPECT_FALSE(removed);
}

}  // namespace
}  // namespace wdmlab::test
