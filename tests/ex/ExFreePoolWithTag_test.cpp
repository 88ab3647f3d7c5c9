// ExFreePool / ExFreePoolWithTag: accounting, the freed-memory pattern, and each BAD_POOL_CALLER
// (0xC2) and verifier (0xC4) check of a free.
#include <algorithm>

#include "ex_support.hpp"

namespace wdmlab {
namespace {

using ex_test::fatal;
using ex_test::pool_books;

TEST(ExFreePoolWithTag, FreedMemoryIsFilledSoStaleReadsShow) {
  Lab lab;
  lab.spawn("freer", [] {
    auto* block = static_cast<unsigned char*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'eerF'));
    ASSERT_NE(block, nullptr);
    block[0] = 42;
    ExFreePoolWithTag(block, 'eerF');
    // A use after free: the lab keeps the memory quarantined, so the read is defined here and
    // shows the fill pattern rather than the old contents.
    EXPECT_TRUE(std::all_of(block, block + 64, [](unsigned char b) { return b == ex::kFreedFill; }));
    EXPECT_EQ(pool_books().by_tag('eerF').frees, 1u);
    EXPECT_EQ(pool_books().by_tag('eerF').current_count, 0u);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExFreePoolWithTag, TagZeroAndExFreePoolSkipTheTagCheck) {
  Lab lab;
  lab.spawn("freer", [] {
    void* a = ExAllocatePoolWithTag(NonPagedPoolNx, 16, 'AgaT');
    void* b = ExAllocatePoolWithTag(NonPagedPoolNx, 16, 'BgaT');
    ExFreePoolWithTag(a, 0);
    ExFreePool(b);
    EXPECT_EQ(pool_books().total().current_count, 0u);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExFreePoolWithTag, PagedPoolAtApcLevelAndNonPagedAtDispatchLevelAreFine) {
  Lab lab;
  lab.spawn("freer", [] {
    void* paged = ExAllocatePool2(POOL_FLAG_PAGED, 16, 'lqrI');
    void* nonpaged = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, 'lqrI');
    KIRQL old_irql;
    KeRaiseIrql(APC_LEVEL, &old_irql);
    ExFreePoolWithTag(paged, 'lqrI');
    KeLowerIrql(old_irql);
    KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
    ExFreePoolWithTag(nonpaged, 'lqrI');
    KeLowerIrql(old_irql);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

// The block the scenarios below free wrongly.
std::uintptr_t g_block = 0;

void FreeTwice() {
  void* block = ExAllocatePoolWithTag(NonPagedPoolNx, 40, 'elbD');
  g_block = reinterpret_cast<std::uintptr_t>(block);
  ExFreePoolWithTag(block, 'elbD');
  ExFreePoolWithTag(block, 'elbD');
}

void FreePagedAtDispatchLevel() {
  void* block = ExAllocatePool2(POOL_FLAG_PAGED, 24, 'lqrI');
  g_block = reinterpret_cast<std::uintptr_t>(block);
  KIRQL old_irql;
  KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
  ExFreePoolWithTag(block, 'lqrI');
}

void FreeNonPagedAtHighLevel() {
  void* block = ExAllocatePool2(POOL_FLAG_NON_PAGED, 24, 'lqrI');
  g_block = reinterpret_cast<std::uintptr_t>(block);
  KIRQL old_irql;
  KeRaiseIrql(HIGH_LEVEL, &old_irql);
  ExFreePoolWithTag(block, 'lqrI');
}

TEST(ExFreePoolWithTag, DoubleFreeIsVerifierC4_13) {
  const Finding finding = ex_test::stopping_finding({}, &FreeTwice);
  EXPECT_EQ(finding.code, static_cast<std::uint32_t>(DRIVER_VERIFIER_DETECTED_VIOLATION));
  EXPECT_EQ(finding.parameters[0], 0x13u);
  EXPECT_EQ(finding.parameters[1], 0u);
  EXPECT_EQ(finding.parameters[2], g_block - 16);                      // the block's POOL_HEADER
  EXPECT_EQ(finding.parameters[3] >> 32, static_cast<ULONG>('elbD'));  // its contents show the tag
  EXPECT_NE(finding.description.find("'Dble'"), std::string::npos) << finding.description;
}

TEST(ExFreePoolWithTag, DoubleFreeIsBadPoolCaller07WhenNotVerified) {
  const Finding finding = ex_test::stopping_finding({.verifier = VerifierOptions::off()}, &FreeTwice);
  EXPECT_EQ(finding.code, ex_test::kBadPoolCaller);
  EXPECT_EQ(finding.parameters[0], 0x07u);
  EXPECT_EQ(finding.parameters[2] >> 32, static_cast<ULONG>('elbD'));  // the header shows the tag
  EXPECT_EQ(finding.parameters[3], g_block);                           // the block being freed
}

TEST(ExFreePoolWithTag, PagedPoolFreedAtDispatchLevelIsVerifierC4_11) {
  const Finding finding = ex_test::stopping_finding({}, &FreePagedAtDispatchLevel);
  EXPECT_EQ(finding.code, static_cast<std::uint32_t>(DRIVER_VERIFIER_DETECTED_VIOLATION));
  EXPECT_EQ(finding.parameters[0], 0x11u);
  EXPECT_EQ(finding.rule, "IrqlExFree1");
  EXPECT_EQ(finding.parameters[1], static_cast<std::uint64_t>(DISPATCH_LEVEL));
  EXPECT_EQ(finding.parameters[2], static_cast<std::uint64_t>(PagedPool));
  EXPECT_EQ(finding.parameters[3], g_block);
}

TEST(ExFreePoolWithTag, PagedPoolFreedAtDispatchLevelIsBadPoolCaller09WhenNotVerified) {
  const Finding finding = ex_test::stopping_finding({.verifier = VerifierOptions::off()}, &FreePagedAtDispatchLevel);
  EXPECT_EQ(finding.code, ex_test::kBadPoolCaller);
  EXPECT_EQ(finding.parameters[0], 0x09u);
  EXPECT_EQ(finding.parameters[1], static_cast<std::uint64_t>(DISPATCH_LEVEL));
  EXPECT_EQ(finding.parameters[2], static_cast<std::uint64_t>(PagedPool));
  EXPECT_EQ(finding.parameters[3], g_block);
}

TEST(ExFreePoolWithTag, NonPagedPoolFreedAboveDispatchLevelIsVerifierC4_12) {
  const Finding finding = ex_test::stopping_finding({}, &FreeNonPagedAtHighLevel);
  EXPECT_EQ(finding.code, static_cast<std::uint32_t>(DRIVER_VERIFIER_DETECTED_VIOLATION));
  EXPECT_EQ(finding.parameters[0], 0x12u);
  EXPECT_EQ(finding.parameters[1], static_cast<std::uint64_t>(HIGH_LEVEL));
  EXPECT_EQ(finding.parameters[2], static_cast<std::uint64_t>(NonPagedPoolNx));
  EXPECT_EQ(finding.parameters[3], g_block);
}

TEST(ExFreePoolWithTag, NonPagedPoolFreedAboveDispatchLevelIsBadPoolCaller09WhenNotVerified) {
  const Finding finding = ex_test::stopping_finding({.verifier = VerifierOptions::off()}, &FreeNonPagedAtHighLevel);
  EXPECT_EQ(finding.code, ex_test::kBadPoolCaller);
  EXPECT_EQ(finding.parameters[0], 0x09u);
  EXPECT_EQ(finding.parameters[1], static_cast<std::uint64_t>(HIGH_LEVEL));
}

TEST(ExFreePoolWithTag, FreeingAnAddressNeverAllocatedIsVerifierC4_10) {
  Lab lab;
  static int not_pool = 0;
  lab.spawn("freer", [] { ExFreePool(&not_pool); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, static_cast<std::uint32_t>(DRIVER_VERIFIER_DETECTED_VIOLATION));
  EXPECT_EQ(finding.parameters[0], 0x10u);
  EXPECT_EQ(finding.parameters[1], reinterpret_cast<std::uintptr_t>(&not_pool));
}

TEST(ExFreePoolWithTag, FreeingAnAddressNeverAllocatedIsBadPoolCaller42WhenNotVerified) {
  Lab lab({.verifier = VerifierOptions::off()});
  static int not_pool = 0;
  lab.spawn("freer", [] { ExFreePool(&not_pool); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, ex_test::kBadPoolCaller);
  EXPECT_EQ(finding.parameters[0], 0x42u);
  EXPECT_EQ(finding.parameters[1], reinterpret_cast<std::uintptr_t>(&not_pool));
}

TEST(ExFreePoolWithTag, FreeingInsideABlockIsBadPoolCaller99) {
  Lab lab;
  std::uintptr_t inside = 0;
  lab.spawn("freer", [&] {
    auto* block = static_cast<char*>(ExAllocatePoolWithTag(NonPagedPoolNx, 100, 'ddiM'));
    inside = reinterpret_cast<std::uintptr_t>(block + 16);
    ExFreePool(block + 16);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, ex_test::kBadPoolCaller);
  EXPECT_EQ(finding.parameters[0], 0x99u);
  EXPECT_EQ(finding.parameters[1], inside);
}

TEST(ExFreePoolWithTag, FreeingAUserModeAddressIsBadPoolCaller40) {
  Lab lab;
  void* user = lab.map_user_buffer(64);
  lab.spawn("freer", [user] { ExFreePool(user); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, ex_test::kBadPoolCaller);
  EXPECT_EQ(finding.parameters[0], 0x40u);
  EXPECT_EQ(finding.parameters[1], reinterpret_cast<std::uintptr_t>(user));
  EXPECT_EQ(finding.parameters[2], 0xFFFF800000000000ULL);  // start of system space on x64
}

TEST(ExFreePoolWithTag, FreeingNullIsAUserModeAddress) {
  Lab lab;
  lab.spawn("freer", [] { ExFreePool(nullptr); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  EXPECT_EQ(fatal(lab).code, ex_test::kBadPoolCaller);
  EXPECT_EQ(fatal(lab).parameters[0], 0x40u);
  EXPECT_EQ(fatal(lab).parameters[1], 0u);
}

TEST(ExFreePoolWithTag, WrongTagIsBadPoolCaller0A) {
  Lab lab;
  std::uintptr_t address = 0;
  lab.spawn("freer", [&] {
    void* block = ExAllocatePoolWithTag(PagedPool, 24, 'enoM');
    address = reinterpret_cast<std::uintptr_t>(block);
    ExFreePoolWithTag(block, 'sruY');
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, ex_test::kBadPoolCaller);
  EXPECT_EQ(finding.parameters[0], 0x0Au);
  EXPECT_EQ(finding.parameters[1], address);
  EXPECT_EQ(finding.parameters[2], static_cast<ULONG>('enoM'));  // the allocator's tag
  EXPECT_EQ(finding.parameters[3], static_cast<ULONG>('sruY'));  // the tag used to free
}

TEST(ExFreePoolWithTag, AProtectedTagMustBeGivenToFree) {
  Lab lab;
  lab.spawn("freer", [] {
    void* block = ExAllocatePoolWithTag(PagedPool, 24, 'torP' | PROTECTED_POOL);
    ExFreePool(block);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  EXPECT_EQ(fatal(lab).parameters[0], 0x0Au);
  EXPECT_EQ(fatal(lab).parameters[3], 0u);
}

TEST(ExFreePoolWithTag, FreeingALiveLookasideListIsVerifierCC) {
  Lab lab;
  std::uintptr_t list = 0;
  lab.spawn("freer", [&] {
    auto* holder = static_cast<NPAGED_LOOKASIDE_LIST*>(
        ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(NPAGED_LOOKASIDE_LIST), 'dloH'));
    list = reinterpret_cast<std::uintptr_t>(holder);
    ExInitializeNPagedLookasideList(holder, nullptr, nullptr, 0, 32, 'tsiL', 0);
    ExFreePoolWithTag(holder, 'dloH');
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, ex_test::kVerifier);
  EXPECT_EQ(finding.parameters[0], 0xCCu);
  EXPECT_EQ(finding.parameters[1], list);
  EXPECT_EQ(finding.parameters[2], list);
  EXPECT_EQ(finding.parameters[3], sizeof(NPAGED_LOOKASIDE_LIST));
}

TEST(ExFreePoolWithTag, FreeingALiveResourceIsVerifierD2) {
  Lab lab;
  std::uintptr_t resource = 0;
  lab.spawn("freer", [&] {
    auto* holder = static_cast<char*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 256, 'dloH'));
    auto* r = reinterpret_cast<ERESOURCE*>(holder + 64);
    resource = reinterpret_cast<std::uintptr_t>(r);
    ExInitializeResourceLite(r);
    ExFreePoolWithTag(holder, 'dloH');
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, ex_test::kVerifier);
  EXPECT_EQ(finding.parameters[0], 0xD2u);
  EXPECT_EQ(finding.parameters[1], resource);
  EXPECT_EQ(finding.parameters[2], resource - 64);
  EXPECT_EQ(finding.parameters[3], 256u);
}

VOID NTAPI NeverRuns(PVOID) {}

TEST(ExFreePoolWithTag, FreeingAQueuedWorkItemIsWorkerInvalid0) {
  Lab lab;
  std::uintptr_t item_address = 0;
  lab.spawn("freer", [&] {
    KIRQL old_irql;
    // At DISPATCH_LEVEL this thread keeps its processor: no worker runs before the free.
    KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
    auto* item = static_cast<WORK_QUEUE_ITEM*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(WORK_QUEUE_ITEM), 'krow'));
    item_address = reinterpret_cast<std::uintptr_t>(item);
    ExInitializeWorkItem(item, NeverRuns, nullptr);
    ExQueueWorkItem(item, DelayedWorkQueue);
    ExFreePoolWithTag(item, 'krow');
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, 0xE4u);  // WORKER_INVALID
  EXPECT_EQ(finding.parameters[0], 0x0u);
  EXPECT_EQ(finding.parameters[1], item_address);
  EXPECT_EQ(finding.parameters[2], item_address);
  EXPECT_EQ(finding.parameters[3], item_address + sizeof(WORK_QUEUE_ITEM));
}

TEST(ExFreePoolWithTag, FreeingAnIrpIsVerifierC4_105) {
  Lab lab;
  std::uintptr_t irp = 0;
  lab.spawn("freer", [&irp] {
    PIRP allocated = IoAllocateIrp(1, FALSE);
    irp = reinterpret_cast<std::uintptr_t>(allocated);
    ExFreePool(allocated);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, static_cast<std::uint32_t>(DRIVER_VERIFIER_DETECTED_VIOLATION));
  EXPECT_EQ(finding.parameters[0], 0x105u);
  EXPECT_EQ(finding.parameters[1], irp);
}

TEST(ExFreePoolWithTag, FreeingAnIrpIsBadPoolCaller42WhenNotVerified) {
  Lab lab({.verifier = VerifierOptions::off()});
  lab.spawn("freer", [] { ExFreePool(IoAllocateIrp(1, FALSE)); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  EXPECT_EQ(fatal(lab).code, ex_test::kBadPoolCaller);
  EXPECT_EQ(fatal(lab).parameters[0], 0x42u);
}

}  // namespace
}  // namespace wdmlab
