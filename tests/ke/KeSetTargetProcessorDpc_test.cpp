// KeSetTargetProcessorDpc(Ex): the DPC runs on the processor it names, whichever processor
// inserts it.
#include <gtest/gtest.h>

#include "ke/dpc_probe.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeSetTargetProcessorDpc, TheDpcRunsOnTheTargetProcessor) {
  constexpr unsigned kProcessors = 4;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    DpcProbe probes[kProcessors];
    KDPC dpcs[kProcessors];
    ULONG inserted_on[kProcessors] = {};
    runs_clean(
        [&] {
          for (unsigned target = 0; target < kProcessors; ++target) {
            KeInitializeDpc(&dpcs[target], DpcProbe::Routine, &probes[target]);
            KeSetTargetProcessorDpc(&dpcs[target], static_cast<CCHAR>(target));
            const KIRQL old = KeRaiseIrqlToDpcLevel();  // stay on one processor while inserting
            inserted_on[target] = KeGetCurrentProcessorNumber();
            KeInsertQueueDpc(&dpcs[target], nullptr, nullptr);
            KeLowerIrql(old);
          }
          KeFlushQueuedDpcs();
        },
        kProcessors, seed);
    for (ULONG target = 0; target < kProcessors; ++target) {
      EXPECT_EQ(probes[target].runs, 1);
      EXPECT_EQ(probes[target].processor, target) << "inserted on " << inserted_on[target];
      EXPECT_EQ(probes[target].irql, DISPATCH_LEVEL);
    }
  }
}

TEST(KeSetTargetProcessorDpcEx, TheDpcRunsOnTheTargetProcessorAndAnInvalidOneIsRejected) {
  DpcProbe probe;
  KDPC dpc;
  NTSTATUS valid = -1, out_of_range = -1, other_group = -1;
  runs_clean(
      [&] {
        KeInitializeDpc(&dpc, DpcProbe::Routine, &probe);
        PROCESSOR_NUMBER number{};
        number.Number = 5;
        out_of_range = KeSetTargetProcessorDpcEx(&dpc, &number);
        number.Group = 1;
        number.Number = 0;
        other_group = KeSetTargetProcessorDpcEx(&dpc, &number);
        number.Group = 0;
        number.Number = 1;
        valid = KeSetTargetProcessorDpcEx(&dpc, &number);
        KeInsertQueueDpc(&dpc, nullptr, nullptr);
        KeFlushQueuedDpcs();
      },
      2);
  EXPECT_EQ(valid, STATUS_SUCCESS);
  EXPECT_EQ(out_of_range, STATUS_INVALID_PARAMETER);
  EXPECT_EQ(other_group, STATUS_INVALID_PARAMETER);
  EXPECT_EQ(probe.processor, 1u);
}

}  // namespace
}  // namespace wdmlab::test
