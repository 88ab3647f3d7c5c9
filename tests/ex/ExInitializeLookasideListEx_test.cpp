// LOOKASIDE_LIST_EX: the documented return values, flags, context-passing allocate/free routines,
// flush and delete.
#include "ex_support.hpp"

namespace wdmlab {
namespace {

using ex_test::fatal;
using ex_test::pool_books;

struct PrivateData {
  ULONG allocations = 0;
  ULONG frees = 0;
  LOOKASIDE_LIST_EX lookaside;
};

PVOID NTAPI CountingAllocate(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, PLOOKASIDE_LIST_EX Lookaside) {
  PrivateData* data = CONTAINING_RECORD(Lookaside, PrivateData, lookaside);
  ++data->allocations;
  return ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag);
}

VOID NTAPI CountingFree(PVOID Buffer, PLOOKASIDE_LIST_EX Lookaside) {
  PrivateData* data = CONTAINING_RECORD(Lookaside, PrivateData, lookaside);
  ++data->frees;
  ExFreePool(Buffer);
}

TEST(ExInitializeLookasideListEx, ReturnValues) {
  struct Case {
    ULONG pool_type;
    ULONG flags;
    NTSTATUS expected;
  };
  const Case cases[] = {
      {NonPagedPoolNx, 0, STATUS_SUCCESS},
      {PagedPool, 0, STATUS_SUCCESS},
      {NonPagedPool, EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL, STATUS_SUCCESS},
      {PagedPool, EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE, STATUS_SUCCESS},
      {DontUseThisType, 0, STATUS_INVALID_PARAMETER_4},
      {NonPagedPoolMustSucceed, 0, STATUS_INVALID_PARAMETER_4},
      {MaxPoolType, 0, STATUS_INVALID_PARAMETER_4},
      {NonPagedPoolNx, EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL | EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE,
       STATUS_INVALID_PARAMETER_5},
      {NonPagedPoolNx, 0x4, STATUS_INVALID_PARAMETER_5},
  };
  Lab lab;
  lab.spawn("user", [&cases] {
    for (const Case& c : cases) {
      LOOKASIDE_LIST_EX list;
      const NTSTATUS status = ExInitializeLookasideListEx(&list, nullptr, nullptr, static_cast<POOL_TYPE>(c.pool_type),
                                                          c.flags, 64, 'xEsL', 0);
      EXPECT_EQ(status, c.expected) << "pool type " << c.pool_type << ", flags " << c.flags;
      if (NT_SUCCESS(status)) ExDeleteLookasideListEx(&list);
    }
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExInitializeLookasideListEx, FlagsBecomePoolTypeModifiers) {
  Lab lab;
  lab.spawn("user", [] {
    LOOKASIDE_LIST_EX raising;
    LOOKASIDE_LIST_EX quiet;
    ASSERT_EQ(ExInitializeLookasideListEx(&raising, nullptr, nullptr, NonPagedPoolNx,
                                          EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL, 64, 'xEsL', 0),
              STATUS_SUCCESS);
    ASSERT_EQ(ExInitializeLookasideListEx(&quiet, CountingAllocate, CountingFree, PagedPool,
                                          EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE, 64, 'xEsL', 0),
              STATUS_SUCCESS);
    EXPECT_EQ(static_cast<ULONG>(raising.L.Type),
              static_cast<ULONG>(NonPagedPoolNx | POOL_RAISE_IF_ALLOCATION_FAILURE));
    EXPECT_EQ(static_cast<ULONG>(quiet.L.Type), static_cast<ULONG>(PagedPool | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE));
    ExDeleteLookasideListEx(&raising);
    ExDeleteLookasideListEx(&quiet);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExInitializeLookasideListEx, RoutinesReceiveTheListAndFlushEmptiesIt) {
  Lab lab;
  lab.spawn("user", [] {
    PrivateData data;
    ASSERT_EQ(
        ExInitializeLookasideListEx(&data.lookaside, CountingAllocate, CountingFree, NonPagedPoolNx, 0, 80, 'xEsL', 0),
        STATUS_SUCCESS);
    PVOID entries[3];
    for (PVOID& entry : entries) entry = ExAllocateFromLookasideListEx(&data.lookaside);
    EXPECT_EQ(data.allocations, 3u);
    EXPECT_EQ(data.lookaside.L.TotalAllocates, 3u);
    EXPECT_EQ(data.lookaside.L.AllocateMisses, 3u);
    for (PVOID entry : entries) ExFreeToLookasideListEx(&data.lookaside, entry);
    EXPECT_EQ(data.frees, 0u);  // all three cached (depth 4)
    EXPECT_EQ(ExQueryDepthSList(&data.lookaside.L.ListHead), 3);
    EXPECT_EQ(pool_books().by_tag('xEsL').current_count, 3u);

    ExFlushLookasideListEx(&data.lookaside);
    EXPECT_EQ(data.frees, 3u);
    EXPECT_EQ(ExQueryDepthSList(&data.lookaside.L.ListHead), 0);
    EXPECT_EQ(pool_books().by_tag('xEsL').current_count, 0u);

    // Still usable after a flush.
    PVOID entry = ExAllocateFromLookasideListEx(&data.lookaside);
    EXPECT_EQ(data.allocations, 4u);
    ExFreeToLookasideListEx(&data.lookaside, entry);
    ExDeleteLookasideListEx(&data.lookaside);
    EXPECT_EQ(data.frees, 4u);
    EXPECT_EQ(ex::Executive::require().lookaside_lists().find(&data.lookaside), nullptr);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExInitializeLookasideListEx, DefaultRoutinesUseThePool) {
  Lab lab;
  lab.spawn("user", [] {
    LOOKASIDE_LIST_EX list;
    ASSERT_EQ(ExInitializeLookasideListEx(&list, nullptr, nullptr, PagedPool, 0, 24, 'fDsL', 0), STATUS_SUCCESS);
    PVOID a = ExAllocateFromLookasideListEx(&list);
    PVOID b = ExAllocateFromLookasideListEx(&list);
    EXPECT_EQ(pool_books().by_tag('fDsL').current_count, 2u);
    ExFreeToLookasideListEx(&list, a);
    ExFreeToLookasideListEx(&list, b);
    ExDeleteLookasideListEx(&list);
    EXPECT_EQ(pool_books().by_tag('fDsL').current_count, 0u);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExInitializeLookasideListEx, PagedEntriesAtDispatchLevelIsIrqlNotLessOrEqual) {
  Lab lab;
  lab.spawn("user", [] {
    static LOOKASIDE_LIST_EX list;
    ASSERT_EQ(ExInitializeLookasideListEx(&list, nullptr, nullptr, PagedPool, 0, 24, 'fDsL', 0), STATUS_SUCCESS);
    KIRQL old_irql;
    KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
    (void)ExAllocateFromLookasideListEx(&list);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  EXPECT_EQ(fatal(lab).code, ex_test::kIrqlNotLessOrEqual);
  EXPECT_EQ(fatal(lab).parameters[1], static_cast<std::uint64_t>(DISPATCH_LEVEL));
}

}  // namespace
}  // namespace wdmlab
