// KeInsertQueueDpc: inserted below DISPATCH_LEVEL, the DPC runs before the call returns, at
// DISPATCH_LEVEL, on the calling processor, with the system arguments given; inserting a DPC that
// is already queued returns FALSE and it still runs once; a DPC routine must return at
// DISPATCH_LEVEL, or it is bug check 0xC8 IRQL_UNEXPECTED_VALUE.
#include <gtest/gtest.h>

#include "ke/dpc_probe.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeInsertQueueDpc, FromPassiveLevelRunsTheDpcBeforeReturningAtDispatchLevelOnTheSameProcessor) {
  for (unsigned processors : {1u, 4u}) {
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
      DpcProbe probe;
      KDPC dpc;
      BOOLEAN inserted = FALSE;
      int runs_on_return = -1;
      ULONG before = 0xFF, after = 0xFE;
      int a1 = 0, a2 = 0;
      runs_clean(
          [&] {
            KeInitializeDpc(&dpc, DpcProbe::Routine, &probe);
            before = KeGetCurrentProcessorNumber();
            inserted = KeInsertQueueDpc(&dpc, &a1, &a2);
            runs_on_return = probe.runs;
            after = KeGetCurrentProcessorNumber();
          },
          processors, seed);
      EXPECT_TRUE(inserted);
      EXPECT_EQ(runs_on_return, 1);
      EXPECT_EQ(probe.irql, DISPATCH_LEVEL);
      EXPECT_EQ(before, after) << "a lone thread never migrates";
      EXPECT_EQ(probe.processor, before);
      EXPECT_EQ(probe.argument1, &a1);
      EXPECT_EQ(probe.argument2, &a2);
    }
  }
}

TEST(KeInsertQueueDpc, OfAQueuedDpcReturnsFalseAndTheDpcRunsOnce) {
  DpcProbe probe;
  KDPC dpc;
  BOOLEAN first = FALSE, second = TRUE, after_run = FALSE;
  int a = 0, b = 0;
  runs_clean([&] {
    KeInitializeDpc(&dpc, DpcProbe::Routine, &probe);
    const KIRQL old = KeRaiseIrqlToDpcLevel();
    first = KeInsertQueueDpc(&dpc, &a, nullptr);
    second = KeInsertQueueDpc(&dpc, &b, nullptr);
    KeLowerIrql(old);
    after_run = KeInsertQueueDpc(&dpc, nullptr, nullptr);  // runs again: it is no longer queued
  });
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  EXPECT_TRUE(after_run);
  EXPECT_EQ(probe.runs, 2);
}

TEST(KeInsertQueueDpc, TheSecondInsertDoesNotReplaceTheSystemArguments) {
  DpcProbe probe;
  KDPC dpc;
  int a = 0, b = 0;
  runs_clean([&] {
    KeInitializeDpc(&dpc, DpcProbe::Routine, &probe);
    const KIRQL old = KeRaiseIrqlToDpcLevel();
    KeInsertQueueDpc(&dpc, &a, &a);
    KeInsertQueueDpc(&dpc, &b, &b);
    KeLowerIrql(old);
  });
  EXPECT_EQ(probe.argument1, &a);
  EXPECT_EQ(probe.argument2, &a);
}

struct BadReturn {
  const char* name;
  KIRQL returns_at;
};

void ReturnAtLevel(PKDPC, PVOID context, PVOID, PVOID) {
  const KIRQL level = *static_cast<KIRQL*>(context);
  if (level > DISPATCH_LEVEL) {
    KIRQL old;
    KeRaiseIrql(level, &old);
  } else {
    KeLowerIrql(level);
  }
}

class DpcRoutineReturnsAtAnotherIrql : public ::testing::TestWithParam<BadReturn> {};

TEST_P(DpcRoutineReturnsAtAnotherIrql, UnverifiedIsBugCheckC8) {
  KIRQL level = GetParam().returns_at;
  KDPC dpc;
  const Finding finding = unverified_bug_check_of([&] {
    KeInitializeDpc(&dpc, ReturnAtLevel, &level);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
  });
  EXPECT_EQ(finding.code, IRQL_UNEXPECTED_VALUE);
  // (current IRQL << 16) | (expected IRQL << 8) | a unique value
  EXPECT_EQ((finding.parameters[0] >> 16) & 0xFF, level);
  EXPECT_EQ((finding.parameters[0] >> 8) & 0xFF, DISPATCH_LEVEL);
}

INSTANTIATE_TEST_SUITE_P(Levels, DpcRoutineReturnsAtAnotherIrql,
                         ::testing::Values(BadReturn{"Passive", PASSIVE_LEVEL}, BadReturn{"Apc", APC_LEVEL},
                                           BadReturn{"Clock", CLOCK_LEVEL}, BadReturn{"High", HIGH_LEVEL}),
                         RowName());

}  // namespace
}  // namespace wdmlab::test
