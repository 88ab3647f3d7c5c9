// ExAllocatePool2: zeroing, the POOL_FLAGS rules, alignment, failure and raising, and the IRQL
// contract (Driver Verifier's 0xC4 with parameter 1 = 0x01 or 0x02; without the verifier, bug
// check 0xC2 with parameter 1 = 0x08).
#include <algorithm>
#include <vector>

#include "ex_support.hpp"

namespace wdmlab {
namespace {

using ex_test::fatal;
using ex_test::pool_books;

bool all_bytes(const void* block, std::size_t size, unsigned char value) {
  const auto* bytes = static_cast<const unsigned char*>(block);
  return std::all_of(bytes, bytes + size, [value](unsigned char b) { return b == value; });
}

const ex::PoolAllocation* record_of(const void* block) {
  return ex::Executive::require().pool().block_containing(reinterpret_cast<std::uintptr_t>(block));
}

TEST(ExAllocatePool2, ZeroesTheBlockUnlessUninitializedIsAsked) {
  Lab lab;
  lab.spawn("allocator", [] {
    void* zeroed = ExAllocatePool2(POOL_FLAG_NON_PAGED, 200, 'tseT');
    void* raw = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, 200, 'tseT');
    ASSERT_NE(zeroed, nullptr);
    ASSERT_NE(raw, nullptr);
    EXPECT_TRUE(all_bytes(zeroed, 200, 0));
    EXPECT_TRUE(all_bytes(raw, 200, ex::kUninitializedFill));  // never silently zero
    ExFreePoolWithTag(zeroed, 'tseT');
    ExFreePoolWithTag(raw, 'tseT');
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

struct FlagCase {
  POOL_FLAGS flags;
  bool succeeds;
  ULONG pool_type;  // the pool type the block is recorded with, when it succeeds
  const char* what;
};

const FlagCase kFlagCases[] = {
    {POOL_FLAG_NON_PAGED, true, NonPagedPoolNx, "nonpaged pool is NX"},
    {POOL_FLAG_NON_PAGED_EXECUTE, true, NonPagedPoolExecute, "executable nonpaged pool"},
    {POOL_FLAG_PAGED, true, PagedPool, "paged pool"},
    {POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED, true, NonPagedPoolNxCacheAligned, "cache aligned"},
    {POOL_FLAG_PAGED | POOL_FLAG_CACHE_ALIGNED, true, PagedPoolCacheAligned, "paged, cache aligned"},
    {POOL_FLAG_PAGED | POOL_FLAG_SESSION, true, PagedPoolSession, "session paged pool"},
    {POOL_FLAG_NON_PAGED | POOL_FLAG_SESSION, true, NonPagedPoolSessionNx, "session nonpaged pool"},
    {POOL_FLAG_PAGED | POOL_FLAG_USE_QUOTA, true, PagedPool, "quota"},
    {POOL_FLAG_NON_PAGED | POOL_FLAG_SPECIAL_POOL, true, NonPagedPoolNx, "a known optional flag"},
    {POOL_FLAG_NON_PAGED | 0x4000000000000000ULL, true, NonPagedPoolNx, "an unknown optional flag is ignored"},
    {0, false, 0, "no pool type"},
    {POOL_FLAG_USE_QUOTA | POOL_FLAG_CACHE_ALIGNED, false, 0, "attributes but no pool type"},
    {POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED, false, 0, "two pool types"},
    {POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE, false, 0, "two nonpaged types"},
    {POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED, false, 0, "three pool types"},
    {POOL_FLAG_NON_PAGED | POOL_FLAG_RESERVED1, false, 0, "reserved required flag 1"},
    {POOL_FLAG_PAGED | POOL_FLAG_RESERVED2, false, 0, "reserved required flag 2"},
    {POOL_FLAG_PAGED | POOL_FLAG_RESERVED3, false, 0, "reserved required flag 3"},
    {POOL_FLAG_NON_PAGED | 0x800, false, 0, "an unknown required flag"},
    {POOL_FLAG_NON_PAGED | POOL_FLAG_REQUIRED_END, false, 0, "the last required bit"},
};

TEST(ExAllocatePool2, FlagsTable) {
  Lab lab;
  lab.spawn("allocator", [] {
    for (const FlagCase& c : kFlagCases) {
      const std::uint64_t failures_before = pool_books().by_tag('galF').failures;
      void* block = ExAllocatePool2(c.flags, 48, 'galF');
      EXPECT_EQ(block != nullptr, c.succeeds) << c.what;
      if (block == nullptr) {
        EXPECT_EQ(pool_books().by_tag('galF').failures, failures_before + 1) << c.what;
        continue;
      }
      const ex::PoolAllocation* record = record_of(block);
      ASSERT_NE(record, nullptr) << c.what;
      EXPECT_EQ(static_cast<ULONG>(record->pool_type), c.pool_type) << c.what;
      EXPECT_EQ(record->size, 48u);
      EXPECT_EQ(record->tag, static_cast<ULONG>('galF'));
      ExFreePoolWithTag(block, 'galF');
    }
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExAllocatePool2, TagZeroFails) {
  Lab lab;
  lab.spawn("allocator", [] {
    EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, 0), nullptr);
    EXPECT_EQ(pool_books().by_tag(0).failures, 1u);
    EXPECT_EQ(pool_books().total().allocations, 0u);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExAllocatePool2, AlignmentFollowsTheDocumentation) {
  Lab lab;
  lab.spawn("allocator", [] {
    std::vector<void*> blocks;
    for (SIZE_T size : {SIZE_T{1}, SIZE_T{24}, SIZE_T{100}, SIZE_T{4000}}) {
      void* small = ExAllocatePool2(POOL_FLAG_NON_PAGED, size, 'nilA');
      void* cache = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED, size, 'nilA');
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(small) % MEMORY_ALLOCATION_ALIGNMENT, 0u) << size;
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(cache) % SYSTEM_CACHE_ALIGNMENT_SIZE, 0u) << size;
      blocks.push_back(small);
      blocks.push_back(cache);
    }
    for (SIZE_T size : {SIZE_T{PAGE_SIZE}, SIZE_T{PAGE_SIZE + 1}, SIZE_T{3 * PAGE_SIZE}}) {
      void* big = ExAllocatePool2(POOL_FLAG_PAGED, size, 'nilA');
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(big) % PAGE_SIZE, 0u) << size;
      blocks.push_back(big);
    }
    for (void* block : blocks) ExFreePoolWithTag(block, 'nilA');
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExAllocatePool2, ZeroBytesIsVerifierC4_00) {
  Lab lab;
  lab.spawn("allocator", [] { (void)ExAllocatePool2(POOL_FLAG_NON_PAGED, 0, 'oreZ'); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, static_cast<std::uint32_t>(DRIVER_VERIFIER_DETECTED_VIOLATION));
  EXPECT_EQ(finding.parameters[0], 0x00u);
  EXPECT_EQ(finding.parameters[1], static_cast<std::uint64_t>(PASSIVE_LEVEL));
  EXPECT_EQ(finding.parameters[2], static_cast<std::uint64_t>(NonPagedPoolNx));
  EXPECT_EQ(finding.parameters[3], 0u);
}

TEST(ExAllocatePool2, ZeroBytesYieldsAFreeableBlockWhenNotVerified) {
  Lab lab({.verifier = VerifierOptions::off()});
  lab.spawn("allocator", [] {
    void* block = ExAllocatePool2(POOL_FLAG_NON_PAGED, 0, 'oreZ');
    ASSERT_NE(block, nullptr);
    EXPECT_EQ(pool_books().by_tag('oreZ').current_count, 1u);
    EXPECT_EQ(pool_books().by_tag('oreZ').current_bytes, 0u);
    ExFreePoolWithTag(block, 'oreZ');
    EXPECT_EQ(pool_books().by_tag('oreZ').current_count, 0u);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExAllocatePool2, ARequestThePoolCannotHoldReturnsNull) {
  Lab lab;
  lab.spawn("allocator", [] {
    EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED, SIZE_T{1} << 40, 'giB!'), nullptr);
    EXPECT_EQ(ExAllocatePool2(POOL_FLAG_PAGED, ~SIZE_T{0}, 'giB!'), nullptr);
    EXPECT_EQ(pool_books().by_tag('giB!').failures, 2u);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExAllocatePool2, RaiseOnFailureRaisesInsufficientResources) {
  // Nothing handles the exception, so the system thread's unhandled exception stops the machine.
  for (POOL_FLAGS flags : {POOL_FLAG_RAISE_ON_FAILURE, POOL_FLAG_RAISE_ON_FAILURE | POOL_FLAG_NON_PAGED}) {
    Lab lab;
    lab.spawn("allocator", [flags] {
      const SIZE_T size = (flags & POOL_FLAG_NON_PAGED) != 0 ? SIZE_T{1} << 40 : 16;
      (void)ExAllocatePool2(flags, size, 'esiR');
      ADD_FAILURE() << "ExAllocatePool2 returned instead of raising";
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
    const Finding& finding = fatal(lab);
    EXPECT_EQ(finding.code, ex_test::kSystemThreadExceptionNotHandled);
    EXPECT_EQ(finding.parameters[0], static_cast<std::uint32_t>(STATUS_INSUFFICIENT_RESOURCES));
  }
}

TEST(ExAllocatePool2, RaiseOnFailureDoesNothingWhenTheAllocationSucceeds) {
  Lab lab;
  lab.spawn("allocator", [] {
    void* block = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 32, 'esiR');
    ASSERT_NE(block, nullptr);
    ExFreePool(block);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExAllocatePool2, NonPagedAtDispatchLevelIsFine) {
  Lab lab;
  lab.spawn("allocator", [] {
    KIRQL old_irql;
    KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
    void* block = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'lqrI');
    EXPECT_NE(block, nullptr);
    ExFreePoolWithTag(block, 'lqrI');
    KeLowerIrql(old_irql);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

void AllocatePagedAtDispatchLevel() {
  KIRQL old_irql;
  KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
  (void)ExAllocatePool2(POOL_FLAG_PAGED, 77, 'lqrI');
}

void AllocateNonPagedAtHighLevel() {
  KIRQL old_irql;
  KeRaiseIrql(HIGH_LEVEL, &old_irql);
  (void)ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, 'lqrI');
}

TEST(ExAllocatePool2, PagedAtDispatchLevelIsVerifierC4_01) {
  const Finding finding = ex_test::stopping_finding({}, &AllocatePagedAtDispatchLevel);
  EXPECT_EQ(finding.code, static_cast<std::uint32_t>(DRIVER_VERIFIER_DETECTED_VIOLATION));
  EXPECT_EQ(finding.parameters[0], 0x01u);                                       // paged above APC_LEVEL
  EXPECT_EQ(finding.parameters[1], static_cast<std::uint64_t>(DISPATCH_LEVEL));  // current IRQL
  EXPECT_EQ(finding.parameters[2], static_cast<std::uint64_t>(PagedPool));       // pool type
  EXPECT_EQ(finding.parameters[3], 77u);                                         // size
  EXPECT_EQ(finding.rule, "IrqlExAllocatePool");
}

TEST(ExAllocatePool2, PagedAtDispatchLevelIsBadPoolCaller08WhenNotVerified) {
  const Finding finding =
      ex_test::stopping_finding({.verifier = VerifierOptions::off()}, &AllocatePagedAtDispatchLevel);
  EXPECT_EQ(finding.code, ex_test::kBadPoolCaller);
  EXPECT_EQ(finding.parameters[0], 0x08u);  // allocation at a bad IRQL
  EXPECT_EQ(finding.parameters[1], static_cast<std::uint64_t>(DISPATCH_LEVEL));
  EXPECT_EQ(finding.parameters[2], static_cast<std::uint64_t>(PagedPool));
  EXPECT_EQ(finding.parameters[3], 77u);
  EXPECT_EQ(finding.name, "BAD_POOL_CALLER");
}

TEST(ExAllocatePool2, NonPagedAboveDispatchLevelIsVerifierC4_02) {
  const Finding finding = ex_test::stopping_finding({}, &AllocateNonPagedAtHighLevel);
  EXPECT_EQ(finding.code, static_cast<std::uint32_t>(DRIVER_VERIFIER_DETECTED_VIOLATION));
  EXPECT_EQ(finding.parameters[0], 0x02u);
  EXPECT_EQ(finding.parameters[1], static_cast<std::uint64_t>(HIGH_LEVEL));
  EXPECT_EQ(finding.parameters[2], static_cast<std::uint64_t>(NonPagedPoolNx));
  EXPECT_EQ(finding.parameters[3], 8u);
}

TEST(ExAllocatePool2, NonPagedAboveDispatchLevelIsBadPoolCaller08WhenNotVerified) {
  const Finding finding = ex_test::stopping_finding({.verifier = VerifierOptions::off()}, &AllocateNonPagedAtHighLevel);
  EXPECT_EQ(finding.code, ex_test::kBadPoolCaller);
  EXPECT_EQ(finding.parameters[0], 0x08u);
  EXPECT_EQ(finding.parameters[1], static_cast<std::uint64_t>(HIGH_LEVEL));
  EXPECT_EQ(finding.parameters[2], static_cast<std::uint64_t>(NonPagedPoolNx));
}

}  // namespace
}  // namespace wdmlab
