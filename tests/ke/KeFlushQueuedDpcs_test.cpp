// KeFlushQueuedDpcs: returns only once every DPC queued on any processor has run, even one queued
// to a processor that is held at DISPATCH_LEVEL for a while; it waits, so it needs PASSIVE_LEVEL
// (the IRQL table is in IrqlRules_test.cpp), and a DPC routine cannot call it.
#include <gtest/gtest.h>

#include "ke/dpc_probe.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeFlushQueuedDpcs, WaitsForADpcQueuedToABusyProcessor) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    DpcProbe probe;
    KDPC dpc;
    LONG busy_processor = -1, flushing = 0, lowered = 0;
    int runs_after_flush = -1, runs_before_lowering = -1;
    lab.spawn("busy", [&] {
      const KIRQL old = KeRaiseIrqlToDpcLevel();
      InterlockedExchange(&busy_processor, static_cast<LONG>(KeGetCurrentProcessorNumber()));
      while (ReadAcquire(&flushing) == 0) YieldProcessor();
      for (int i = 0; i < 50; ++i) YieldProcessor();  // keep the DPC waiting a while longer
      runs_before_lowering = probe.runs;
      InterlockedExchange(&lowered, 1);
      KeLowerIrql(old);
    });
    lab.spawn("flusher", [&] {
      while (ReadAcquire(&busy_processor) < 0) YieldProcessor();
      KeInitializeDpc(&dpc, DpcProbe::Routine, &probe);
      KeSetTargetProcessorDpc(&dpc, static_cast<CCHAR>(busy_processor));
      KeInsertQueueDpc(&dpc, nullptr, nullptr);
      InterlockedExchange(&flushing, 1);
      KeFlushQueuedDpcs();
      runs_after_flush = probe.runs;
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle) << "seed " << seed;
    EXPECT_EQ(runs_before_lowering, 0);
    EXPECT_EQ(runs_after_flush, 1);
    EXPECT_EQ(probe.processor, static_cast<ULONG>(busy_processor));
  }
}

TEST(KeFlushQueuedDpcs, ReturnsAtOnceWhenNothingIsQueued) {
  std::uint64_t before = 0, after = 0;
  Lab lab({.processors = 2, .seed = 1});
  lab.spawn("flusher", [&] {
    before = lab.now();
    KeFlushQueuedDpcs();
    after = lab.now();
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(after - before, kDecisionTicks);
}

void FlushInDpc(PKDPC, PVOID, PVOID, PVOID) { KeFlushQueuedDpcs(); }

TEST(KeFlushQueuedDpcs, InADpcRoutineIsBugCheckA) {
  KDPC dpc;
  const Finding finding = bug_check_of([&] {
    KeInitializeDpc(&dpc, FlushInDpc, nullptr);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
  });
  EXPECT_EQ(finding.code, IRQL_NOT_LESS_OR_EQUAL);
  EXPECT_EQ(finding.parameters[1], DISPATCH_LEVEL);
}

}  // namespace
}  // namespace wdmlab::test
