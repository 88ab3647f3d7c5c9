// ExAllocatePoolWithTag and its relatives: ExAllocatePool ('None'), the priority and quota forms,
// the zeroing wrappers of the current WDK, pool types, and the BAD_POOL_CALLER checks of the
// request itself.
#include <algorithm>
#include <cstring>

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

TEST(ExAllocatePoolWithTag, BlocksAreUninitializedAndTheWrappersZero) {
  Lab lab;
  lab.spawn("allocator", [] {
    void* plain = ExAllocatePoolWithTag(NonPagedPoolNx, 96, 'tinI');
    void* uninitialized = ExAllocatePoolUninitialized(NonPagedPoolNx, 96, 'tinI');
    void* zero = ExAllocatePoolZero(PagedPool, 96, 'tinI');
    void* priority_zero = ExAllocatePoolPriorityZero(NonPagedPoolNx, 96, 'tinI', NormalPoolPriority);
    void* quota_zero = ExAllocatePoolQuotaZero(PagedPool, 96, 'tinI');
    void* quota_uninitialized = ExAllocatePoolQuotaUninitialized(PagedPool, 96, 'tinI');
    EXPECT_TRUE(all_bytes(plain, 96, ex::kUninitializedFill));
    EXPECT_TRUE(all_bytes(uninitialized, 96, ex::kUninitializedFill));
    EXPECT_TRUE(all_bytes(quota_uninitialized, 96, ex::kUninitializedFill));
    EXPECT_TRUE(all_bytes(zero, 96, 0));
    EXPECT_TRUE(all_bytes(priority_zero, 96, 0));
    EXPECT_TRUE(all_bytes(quota_zero, 96, 0));
    // POOL_ZERO_ALLOCATION is a request modifier, not part of the recorded pool type.
    EXPECT_EQ(record_of(zero)->pool_type, PagedPool);
    for (void* block : {plain, uninitialized, zero, priority_zero, quota_zero, quota_uninitialized}) {
      ExFreePoolWithTag(block, 'tinI');
    }
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

struct TypeCase {
  ULONG type;
  bool succeeds;
  bool paged;
};

const TypeCase kTypeCases[] = {
    {NonPagedPool, true, false},
    {PagedPool, true, true},
    {NonPagedPoolNx, true, false},
    {NonPagedPoolCacheAligned, true, false},
    {PagedPoolCacheAligned, true, true},
    {NonPagedPoolNxCacheAligned, true, false},
    {NonPagedPoolSession, true, false},
    {PagedPoolSession, true, true},
    {NonPagedPoolSessionNx, true, false},
    {NonPagedPoolCacheAlignedSession, true, false},
    {PagedPoolCacheAlignedSession, true, true},
    {PagedPool | POOL_COLD_ALLOCATION, true, true},
    {DontUseThisType, false, false},
    {DontUseThisTypeSession, false, false},
    {MaxPoolType, false, false},
    {0x4000, false, false},
};

TEST(ExAllocatePoolWithTag, PoolTypeTable) {
  Lab lab;
  lab.spawn("allocator", [] {
    for (const TypeCase& c : kTypeCases) {
      void* block = ExAllocatePoolWithTag(static_cast<POOL_TYPE>(c.type), 64, 'epyT');
      EXPECT_EQ(block != nullptr, c.succeeds) << "pool type " << c.type;
      if (block == nullptr) continue;
      EXPECT_EQ(record_of(block)->paged(), c.paged) << "pool type " << c.type;
      if ((c.type & 4) != 0) {
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block) % SYSTEM_CACHE_ALIGNMENT_SIZE, 0u) << c.type;
      }
      ExFreePoolWithTag(block, 'epyT');
    }
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExAllocatePoolWithTag, ExAllocatePoolTagsTheBlockNone) {
  Lab lab;
  lab.spawn("allocator", [] {
    void* block = ExAllocatePool(NonPagedPool, 10);
    void* quota = ExAllocatePoolWithQuota(PagedPool, 10);
    ASSERT_NE(block, nullptr);
    ASSERT_NE(quota, nullptr);
    const ULONG tag = record_of(block)->tag;
    EXPECT_EQ(std::memcmp(&tag, "None", 4), 0);
    EXPECT_EQ(record_of(quota)->tag, tag);
    EXPECT_EQ(pool_books().by_tag('enoN').current_count, 2u);
    ExFreePool(block);
    ExFreePool(quota);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExAllocatePoolWithTag, FailureReturnsNullAndRaisesOnlyWhenAsked) {
  Lab lab;
  lab.spawn("allocator", [] {
    EXPECT_EQ(ExAllocatePoolWithTag(NonPagedPoolNx, SIZE_T{1} << 40, 'giB!'), nullptr);
    EXPECT_EQ(ExAllocatePoolWithTagPriority(PagedPool, ~SIZE_T{0}, 'giB!', HighPoolPriority), nullptr);
    EXPECT_EQ(ExAllocatePoolWithQuotaTag(static_cast<POOL_TYPE>(PagedPool | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE),
                                         SIZE_T{1} << 40, 'giB!'),
              nullptr);
    EXPECT_EQ(pool_books().by_tag('giB!').failures, 3u);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExAllocatePoolWithTag, RaiseIfAllocationFailureRaises) {
  Lab lab;
  lab.spawn("allocator", [] {
    (void)ExAllocatePoolWithTag(static_cast<POOL_TYPE>(NonPagedPoolNx | POOL_RAISE_IF_ALLOCATION_FAILURE),
                                SIZE_T{1} << 40, 'esiR');
    ADD_FAILURE() << "returned instead of raising";
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  EXPECT_EQ(fatal(lab).code, ex_test::kSystemThreadExceptionNotHandled);
  EXPECT_EQ(fatal(lab).parameters[0], static_cast<std::uint32_t>(STATUS_INSUFFICIENT_RESOURCES));
}

TEST(ExAllocatePoolWithTag, QuotaAllocationsRaiseByDefault) {
  Lab lab;
  lab.spawn("allocator", [] {
    (void)ExAllocatePoolWithQuotaTag(PagedPool, SIZE_T{1} << 40, 'atoQ');
    ADD_FAILURE() << "returned instead of raising";
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  EXPECT_EQ(fatal(lab).code, ex_test::kSystemThreadExceptionNotHandled);
  EXPECT_EQ(fatal(lab).parameters[0], static_cast<std::uint32_t>(STATUS_INSUFFICIENT_RESOURCES));
}

// Each row: what the request does wrong, and bug check 0xC2's parameters for it (a machine
// without Driver Verifier).
struct BadRequest {
  const char* what;
  ULONG type;
  SIZE_T bytes;
  ULONG tag;
  KIRQL irql;
  std::uint64_t subcode;
  std::uint64_t parameter2;
  std::uint64_t parameter3;
};

const BadRequest kBadRequests[] = {
    {"paged pool at DISPATCH_LEVEL", PagedPool, 40, 'daB!', DISPATCH_LEVEL, 0x08, DISPATCH_LEVEL, PagedPool},
    {"paged pool (raise on failure) at DISPATCH_LEVEL", PagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE, 40, 'daB!',
     DISPATCH_LEVEL, 0x08, DISPATCH_LEVEL, PagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE},
    {"nonpaged pool above DISPATCH_LEVEL", NonPagedPoolNx, 40, 'daB!', HIGH_LEVEL, 0x08, HIGH_LEVEL, NonPagedPoolNx},
    {"MustSucceed pool", NonPagedPoolMustSucceed, 40, 'daB!', PASSIVE_LEVEL, 0x9A, NonPagedPoolMustSucceed, 40},
    {"cache-aligned MustSucceed pool", NonPagedPoolCacheAlignedMustS, 40, 'daB!', PASSIVE_LEVEL, 0x9A,
     NonPagedPoolCacheAlignedMustS, 40},
    {"tag 0", NonPagedPool, 40, 0, PASSIVE_LEVEL, 0x9B, NonPagedPool, 40},
    {"the tag \"BIG \"", PagedPool, 40, ' GIB', PASSIVE_LEVEL, 0x9C, PagedPool, 40},
    {"a tag without letters or digits", PagedPool, 40, '----', PASSIVE_LEVEL, 0x9D, '----', PagedPool},
};

TEST(ExAllocatePoolWithTag, BadRequestsAreBadPoolCallerWhenNotVerified) {
  for (const BadRequest& bad : kBadRequests) {
    Lab lab({.verifier = VerifierOptions::off()});
    lab.spawn("allocator", [&bad] {
      KIRQL old_irql;
      if (bad.irql != PASSIVE_LEVEL) KeRaiseIrql(bad.irql, &old_irql);
      (void)ExAllocatePoolWithTag(static_cast<POOL_TYPE>(bad.type), bad.bytes, bad.tag);
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped) << bad.what;
    const Finding& finding = fatal(lab);
    EXPECT_EQ(finding.code, ex_test::kBadPoolCaller) << bad.what;
    EXPECT_EQ(finding.parameters[0], bad.subcode) << bad.what;
    EXPECT_EQ(finding.parameters[1], bad.parameter2) << bad.what;
    EXPECT_EQ(finding.parameters[2], bad.parameter3) << bad.what;
  }
}

// With Driver Verifier, the IRQL rows are its automatic checks (0xC4, rule IrqlExAllocatePool)
// and the other rows stay the kernel's own 0xC2 checks.
TEST(ExAllocatePoolWithTag, BadRequestsAreVerifierViolationsOrBadPoolCaller) {
  for (const BadRequest& bad : kBadRequests) {
    Lab lab;
    lab.spawn("allocator", [&bad] {
      KIRQL old_irql;
      if (bad.irql != PASSIVE_LEVEL) KeRaiseIrql(bad.irql, &old_irql);
      (void)ExAllocatePoolWithTag(static_cast<POOL_TYPE>(bad.type), bad.bytes, bad.tag);
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped) << bad.what;
    const Finding& finding = fatal(lab);
    if (bad.subcode != 0x08) {
      EXPECT_EQ(finding.code, ex_test::kBadPoolCaller) << bad.what;
      EXPECT_EQ(finding.parameters[0], bad.subcode) << bad.what;
      continue;
    }
    const bool paged = (bad.type & PagedPool) != 0;
    EXPECT_EQ(finding.code, static_cast<std::uint32_t>(DRIVER_VERIFIER_DETECTED_VIOLATION)) << bad.what;
    EXPECT_EQ(finding.parameters[0], paged ? 0x01u : 0x02u) << bad.what;
    EXPECT_EQ(finding.parameters[1], bad.parameter2) << bad.what;
    EXPECT_EQ(finding.parameters[2], bad.parameter3) << bad.what;
    EXPECT_EQ(finding.parameters[3], bad.bytes) << bad.what;
    EXPECT_EQ(finding.rule, "IrqlExAllocatePool") << bad.what;
  }
}

TEST(ExAllocatePoolWithTag, TheAllocatingStackIsRecorded) {
  Lab lab;
  lab.spawn("allocator", [] {
    void* block = ExAllocatePoolWithTag(NonPagedPoolNx, 8, 'kcat');
    const ex::PoolAllocation* record = record_of(block);
    ASSERT_NE(record, nullptr);
    EXPECT_FALSE(record->stack.empty());
    EXPECT_EQ(record->driver, nullptr);  // test code, outside any driver
    EXPECT_GT(record->serial, 0u);
    ExFreePoolWithTag(block, 'kcat');
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
}

}  // namespace
}  // namespace wdmlab
