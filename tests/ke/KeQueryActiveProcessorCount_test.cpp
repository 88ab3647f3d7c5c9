// Processor counts, affinity and numbers: a lab with N processors reports N everywhere, the
// active affinity has the low N bits set, and every processor number a thread sees is below N.
#include <gtest/gtest.h>

#include <set>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

class Processors : public ::testing::TestWithParam<unsigned> {};

TEST_P(Processors, CountsAndAffinityMatchTheLab) {
  const unsigned n = GetParam();
  ULONG count = 0, count_ex = 0, all_groups = 0, maximum = 0, other_group = 99;
  KAFFINITY affinity = 0, active = 0;
  CCHAR number_processors = 0;
  USHORT groups = 0;
  runs_clean(
      [&] {
        count = KeQueryActiveProcessorCount(&affinity);
        count_ex = KeQueryActiveProcessorCountEx(0);
        all_groups = KeQueryActiveProcessorCountEx(ALL_PROCESSOR_GROUPS);
        other_group = KeQueryActiveProcessorCountEx(1);
        maximum = KeQueryMaximumProcessorCount();
        active = KeQueryActiveProcessors();
        number_processors = KeNumberProcessors;
        groups = KeQueryActiveGroupCount();
      },
      n);
  EXPECT_EQ(count, n);
  EXPECT_EQ(count_ex, n);
  EXPECT_EQ(all_groups, n);
  EXPECT_EQ(other_group, 0u);
  EXPECT_EQ(maximum, n);
  EXPECT_EQ(affinity, (KAFFINITY{1} << n) - 1);
  EXPECT_EQ(active, affinity);
  EXPECT_EQ(static_cast<unsigned>(number_processors), n);
  EXPECT_EQ(groups, 1u);
}

TEST_P(Processors, EveryProcessorNumberIsBelowTheCountAndTheExFormAgrees) {
  const unsigned n = GetParam();
  Lab lab({.processors = n, .seed = 4});
  std::set<ULONG> seen;
  bool agree = true;
  for (unsigned t = 0; t < n; ++t) {
    lab.spawn("thread", [&] {
      for (int i = 0; i < 20; ++i) {
        const KIRQL old = KeRaiseIrqlToDpcLevel();  // no migration between the two reads
        PROCESSOR_NUMBER number{};
        const ULONG plain = KeGetCurrentProcessorNumber();
        const ULONG ex = KeGetCurrentProcessorNumberEx(&number);
        agree = agree && plain == ex && number.Group == 0 && number.Number == ex && KeGetCurrentProcessorIndex() == ex;
        seen.insert(ex);
        KeLowerIrql(old);
      }
    });
  }
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(agree);
  ASSERT_FALSE(seen.empty());
  EXPECT_LT(*seen.rbegin(), n);
}

TEST_P(Processors, IndexAndNumberConvertBothWays) {
  const unsigned n = GetParam();
  bool round_trips = true;
  NTSTATUS beyond = STATUS_SUCCESS;
  runs_clean(
      [&] {
        for (ULONG index = 0; index < n; ++index) {
          PROCESSOR_NUMBER number{};
          round_trips = round_trips && KeGetProcessorNumberFromIndex(index, &number) == STATUS_SUCCESS &&
                        number.Group == 0 && number.Number == index && KeGetProcessorIndexFromNumber(&number) == index;
        }
        PROCESSOR_NUMBER number{};
        beyond = KeGetProcessorNumberFromIndex(n, &number);
      },
      n);
  EXPECT_TRUE(round_trips);
  EXPECT_EQ(beyond, STATUS_INVALID_PARAMETER);
}

INSTANTIATE_TEST_SUITE_P(Counts, Processors, ::testing::Values(1u, 2u, 4u, 8u));

}  // namespace
}  // namespace wdmlab::test
