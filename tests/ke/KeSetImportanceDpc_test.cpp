// KeSetImportanceDpc: a HighImportance DPC goes to the front of the queue; the others run in the
// order they were queued.
#include <gtest/gtest.h>

#include "ke/dpc_probe.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeSetImportanceDpc, HighImportanceRunsFirstAndTheRestInQueueOrder) {
  std::vector<int> order;
  DpcProbe probes[4];
  KDPC dpcs[4];
  const KDPC_IMPORTANCE importance[4] = {MediumImportance, LowImportance, HighImportance, MediumImportance};
  runs_clean([&] {
    const KIRQL old = KeRaiseIrqlToDpcLevel();
    for (int i = 0; i < 4; ++i) {
      probes[i].order = &order;
      probes[i].id = i;
      KeInitializeDpc(&dpcs[i], DpcProbe::Routine, &probes[i]);
      KeSetImportanceDpc(&dpcs[i], importance[i]);
      KeInsertQueueDpc(&dpcs[i], nullptr, nullptr);
    }
    KeLowerIrql(old);
  });
  EXPECT_EQ(order, (std::vector<int>{2, 0, 1, 3}));
}

}  // namespace
}  // namespace wdmlab::test
