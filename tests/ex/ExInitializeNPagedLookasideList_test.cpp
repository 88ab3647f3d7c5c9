// NPAGED_LOOKASIDE_LIST and PAGED_LOOKASIDE_LIST: initial state, the counters, the depth limit,
// custom allocate and free routines, pool charged with the list's tag, delete, and the checks.
#include <vector>

#include "ex_support.hpp"

namespace wdmlab {
namespace {

using ex_test::fatal;
using ex_test::pool_books;
using ex_test::run_as_driver;

TEST(ExInitializeNPagedLookasideList, InitialState) {
  Lab lab;
  lab.spawn("user", [] {
    NPAGED_LOOKASIDE_LIST list;
    RtlFillMemory(&list, sizeof(list), 0x5A);
    ExInitializeNPagedLookasideList(&list, nullptr, nullptr, POOL_NX_ALLOCATION, 48, 'tsiL', 0);
    EXPECT_EQ(ExQueryDepthSList(&list.L.ListHead), 0);
    EXPECT_EQ(list.L.Depth, ex::LookasideLists::kDepth);
    EXPECT_EQ(list.L.MaximumDepth, EX_MAXIMUM_LOOKASIDE_DEPTH_BASE);
    EXPECT_EQ(list.L.TotalAllocates, 0u);
    EXPECT_EQ(list.L.AllocateMisses, 0u);
    EXPECT_EQ(list.L.TotalFrees, 0u);
    EXPECT_EQ(list.L.FreeMisses, 0u);
    EXPECT_EQ(list.L.Type, NonPagedPoolNx);
    EXPECT_EQ(list.L.Tag, static_cast<ULONG>('tsiL'));
    EXPECT_EQ(list.L.Size, 48u);
    EXPECT_EQ(list.L.Allocate, &ExAllocatePoolWithTag);  // the documented defaults
    EXPECT_EQ(list.L.Free, &ExFreePool);
    ExDeleteNPagedLookasideList(&list);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExInitializeNPagedLookasideList, CountersAndDepth) {
  Lab lab;
  run_as_driver(lab, "lookaside", [] {
    NPAGED_LOOKASIDE_LIST list;
    ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, 64, 'tsiL', 0);
    std::vector<PVOID> entries;
    for (int i = 0; i < 6; ++i) entries.push_back(ExAllocateFromNPagedLookasideList(&list));
    EXPECT_EQ(list.L.TotalAllocates, 6u);
    EXPECT_EQ(list.L.AllocateMisses, 6u);  // the list starts empty
    // Entries are pool blocks charged to the driver with the list's tag.
    EXPECT_EQ(pool_books().by_driver_name("lookaside").current_count, 6u);
    EXPECT_EQ(pool_books().by_tag('tsiL').current_bytes, 6u * 64);
    for (PVOID entry : entries) ExFreeToNPagedLookasideList(&list, entry);
    // Depth entries stay cached; the rest went back to pool.
    EXPECT_EQ(list.L.TotalFrees, 6u);
    EXPECT_EQ(list.L.FreeMisses, 6u - ex::LookasideLists::kDepth);
    EXPECT_EQ(ExQueryDepthSList(&list.L.ListHead), ex::LookasideLists::kDepth);
    EXPECT_EQ(pool_books().by_tag('tsiL').current_count, ex::LookasideLists::kDepth);
    // Cached entries are handed out again without touching the pool.
    PVOID again = ExAllocateFromNPagedLookasideList(&list);
    EXPECT_EQ(again, entries[ex::LookasideLists::kDepth - 1]);  // the last entry cached comes out first
    EXPECT_EQ(list.L.TotalAllocates, 7u);
    EXPECT_EQ(list.L.AllocateMisses, 6u);
    ExFreeToNPagedLookasideList(&list, again);
    ExDeleteNPagedLookasideList(&list);
    EXPECT_EQ(pool_books().by_tag('tsiL').current_count, 0u);
  });
  EXPECT_TRUE(lab.findings().empty());
}

struct CustomRoutines {
  int allocations = 0;
  int frees = 0;
  POOL_TYPE type = NonPagedPool;
  SIZE_T size = 0;
  ULONG tag = 0;
};
CustomRoutines g_custom;

PVOID NTAPI CustomAllocate(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
  ++g_custom.allocations;
  g_custom.type = PoolType;
  g_custom.size = NumberOfBytes;
  g_custom.tag = Tag;
  return ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag);
}

VOID NTAPI CustomFree(PVOID Buffer) {
  ++g_custom.frees;
  ExFreePool(Buffer);
}

TEST(ExInitializeNPagedLookasideList, CustomRoutinesAreCalledWithTheListsParameters) {
  g_custom = {};
  Lab lab;
  lab.spawn("user", [] {
    NPAGED_LOOKASIDE_LIST list;
    ExInitializeNPagedLookasideList(&list, CustomAllocate, CustomFree, POOL_NX_ALLOCATION, 40, 'mtsC', 0);
    PVOID entries[6];
    for (PVOID& entry : entries) entry = ExAllocateFromNPagedLookasideList(&list);
    EXPECT_EQ(g_custom.allocations, 6);
    EXPECT_EQ(g_custom.type, NonPagedPoolNx);
    EXPECT_EQ(g_custom.size, 40u);
    EXPECT_EQ(g_custom.tag, static_cast<ULONG>('mtsC'));
    for (PVOID entry : entries) ExFreeToNPagedLookasideList(&list, entry);
    EXPECT_EQ(g_custom.frees, 6 - ex::LookasideLists::kDepth);
    ExDeleteNPagedLookasideList(&list);  // the cached entries go to Free too
    EXPECT_EQ(g_custom.frees, 6);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExInitializeNPagedLookasideList, UsableAtDispatchLevel) {
  Lab lab;
  lab.spawn("user", [] {
    NPAGED_LOOKASIDE_LIST list;
    ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, 32, 'tsiL', 0);
    KIRQL old_irql;
    KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
    PVOID entry = ExAllocateFromNPagedLookasideList(&list);
    EXPECT_NE(entry, nullptr);
    ExFreeToNPagedLookasideList(&list, entry);
    KeLowerIrql(old_irql);
    ExDeleteNPagedLookasideList(&list);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExInitializePagedLookasideList, EntriesArePagedPool) {
  Lab lab;
  lab.spawn("user", [] {
    PAGED_LOOKASIDE_LIST list;
    ExInitializePagedLookasideList(&list, nullptr, nullptr, 0, 128, 'gaPL', 0);
    EXPECT_EQ(list.L.Type, PagedPool);
    PVOID entry = ExAllocateFromPagedLookasideList(&list);
    ASSERT_NE(entry, nullptr);
    const ex::PoolAllocation* record =
        ex::Executive::require().pool().block_containing(reinterpret_cast<std::uintptr_t>(entry));
    ASSERT_NE(record, nullptr);
    EXPECT_TRUE(record->paged());
    EXPECT_EQ(record->tag, static_cast<ULONG>('gaPL'));
    ExFreeToPagedLookasideList(&list, entry);
    EXPECT_EQ(list.L.TotalFrees, 1u);
    EXPECT_EQ(list.L.FreeMisses, 0u);
    ExDeletePagedLookasideList(&list);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExInitializePagedLookasideList, AllocatingAtDispatchLevelIsIrqlNotLessOrEqual) {
  Lab lab({.verifier = {.flags = kVerifierStandardFlags & ~kVerifierDdiCompliance}});
  lab.spawn("user", [] {
    static PAGED_LOOKASIDE_LIST list;
    ExInitializePagedLookasideList(&list, nullptr, nullptr, 0, 128, 'gaPL', 0);
    KIRQL old_irql;
    KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
    (void)ExAllocateFromPagedLookasideList(&list);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, ex_test::kIrqlNotLessOrEqual);
  EXPECT_EQ(finding.parameters[1], static_cast<std::uint64_t>(DISPATCH_LEVEL));
  EXPECT_EQ(finding.rule, "IrqlExApcLte2");
}

TEST(ExInitializeNPagedLookasideList, FlagsArePassedToAllocateInThePoolType) {
  g_custom = {};
  Lab lab;
  lab.spawn("user", [] {
    NPAGED_LOOKASIDE_LIST list;
    ExInitializeNPagedLookasideList(&list, CustomAllocate, CustomFree,
                                    POOL_NX_ALLOCATION | POOL_RAISE_IF_ALLOCATION_FAILURE, 32, 'esiR', 0);
    EXPECT_EQ(static_cast<ULONG>(list.L.Type), static_cast<ULONG>(NonPagedPoolNx | POOL_RAISE_IF_ALLOCATION_FAILURE));
    PVOID entry = ExAllocateFromNPagedLookasideList(&list);
    EXPECT_EQ(static_cast<ULONG>(g_custom.type), static_cast<ULONG>(NonPagedPoolNx | POOL_RAISE_IF_ALLOCATION_FAILURE));
    ExFreeToNPagedLookasideList(&list, entry);
    ExDeleteNPagedLookasideList(&list);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

// Each row: a misuse of a lookaside list and verifier parameter 1 for it.
TEST(ExInitializeNPagedLookasideList, MisuseIsReported) {
  struct Misuse {
    const char* what;
    std::uint64_t subcode;
    void (*body)(NPAGED_LOOKASIDE_LIST* list);
  };
  const Misuse misuses[] = {
      {"initialised twice", 0xCA,
       [](NPAGED_LOOKASIDE_LIST* list) {
         ExInitializeNPagedLookasideList(list, nullptr, nullptr, 0, 32, 'tsiL', 0);
         ExInitializeNPagedLookasideList(list, nullptr, nullptr, 0, 32, 'tsiL', 0);
       }},
      {"deleted without being initialised", 0xCB,
       [](NPAGED_LOOKASIDE_LIST* list) { ExDeleteNPagedLookasideList(list); }},
      {"deleted twice", 0xCB,
       [](NPAGED_LOOKASIDE_LIST* list) {
         ExInitializeNPagedLookasideList(list, nullptr, nullptr, 0, 32, 'tsiL', 0);
         ExDeleteNPagedLookasideList(list);
         ExDeleteNPagedLookasideList(list);
       }},
      {"entries smaller than LOOKASIDE_MINIMUM_BLOCK_SIZE", 0xCD,
       [](NPAGED_LOOKASIDE_LIST* list) { ExInitializeNPagedLookasideList(list, nullptr, nullptr, 0, 4, 'tsiL', 0); }},
  };
  for (const Misuse& misuse : misuses) {
    Lab lab;
    static NPAGED_LOOKASIDE_LIST list;
    list = {};
    lab.spawn("user", [&misuse] { misuse.body(&list); });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped) << misuse.what;
    const Finding& finding = fatal(lab);
    EXPECT_EQ(finding.code, ex_test::kVerifier) << misuse.what;
    EXPECT_EQ(finding.parameters[0], misuse.subcode) << misuse.what;
    EXPECT_EQ(finding.parameters[1], reinterpret_cast<std::uintptr_t>(&list)) << misuse.what;
  }
}

TEST(ExInitializeNPagedLookasideList, TheRegistryKnowsEachDriversLists) {
  Lab lab;
  static NPAGED_LOOKASIDE_LIST kept;
  run_as_driver(lab, "owner", [] { ExInitializeNPagedLookasideList(&kept, nullptr, nullptr, 0, 32, 'tsiL', 0); });
  ex::LookasideLists& lists = ex::Executive::require().lookaside_lists();
  ASSERT_NE(lists.find(&kept), nullptr);
  ASSERT_NE(lists.find(&kept)->driver, nullptr);
  EXPECT_EQ(lists.find(&kept)->driver->name, "owner");
  EXPECT_EQ(lists.owned_by(lists.find(&kept)->driver).size(), 1u);
  lab.spawn("cleanup", [] { ExDeleteNPagedLookasideList(&kept); });
  lab.run_until_idle();
  EXPECT_EQ(lists.find(&kept), nullptr);
}

}  // namespace
}  // namespace wdmlab
