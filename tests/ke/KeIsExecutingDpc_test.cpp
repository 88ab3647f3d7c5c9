// KeIsExecutingDpc: TRUE in a DPC routine, FALSE in a thread, whatever the thread's IRQL.
#include <gtest/gtest.h>

#include "ke/dpc_probe.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeIsExecutingDpc, IsTrueOnlyInADpcRoutine) {
  DpcProbe probe;
  KDPC dpc;
  BOOLEAN at_passive = TRUE, at_dispatch = TRUE;
  runs_clean([&] {
    at_passive = KeIsExecutingDpc();
    const KIRQL old = KeRaiseIrqlToDpcLevel();
    at_dispatch = KeIsExecutingDpc();
    KeLowerIrql(old);
    KeInitializeDpc(&dpc, DpcProbe::Routine, &probe);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
  });
  EXPECT_FALSE(at_passive);
  EXPECT_FALSE(at_dispatch);
  EXPECT_EQ(probe.runs, 1);
  EXPECT_TRUE(probe.executing_dpc);
}

}  // namespace
}  // namespace wdmlab::test
