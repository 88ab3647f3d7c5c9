// Force IRQL checking (verifier flag 0x2): a verified driver's paged blocks are trimmed (made
// inaccessible) whenever the processor runs at DISPATCH_LEVEL or above, so a touch there is
// 0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL at the faulting instruction, as a paged-out page would be.
#include "ex_support.hpp"

namespace wdmlab {
namespace {

using ex_test::fatal;
using ex_test::run_as_driver;

TEST(ForceIrqlChecking, TouchingPagedPoolAtDispatchLevelIsD1) {
  Lab lab;
  std::uintptr_t address = 0;
  run_as_driver(lab, "irqldrv", [&address] {
    auto* block = static_cast<volatile int*>(ExAllocatePoolWithTag(PagedPool, 64, 'egaP'));
    address = reinterpret_cast<std::uintptr_t>(block + 3);
    block[3] = 7;  // fine at PASSIVE_LEVEL
    KIRQL old_irql;
    KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
    (void)block[3];
    ADD_FAILURE() << "the read at DISPATCH_LEVEL did not fault";
  });
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, static_cast<std::uint32_t>(DRIVER_IRQL_NOT_LESS_OR_EQUAL));
  EXPECT_EQ(finding.parameters[0], address);
  EXPECT_EQ(finding.parameters[1], static_cast<std::uint64_t>(DISPATCH_LEVEL));
  EXPECT_EQ(finding.parameters[2], 0u);  // a read
  EXPECT_NE(finding.parameters[3], 0u);  // the faulting instruction
  EXPECT_NE(finding.description.find("tag 'Page', 64 bytes"), std::string::npos) << finding.description;
}

TEST(ForceIrqlChecking, HoldingASpinLockTrimsPagedPoolToo) {
  Lab lab;
  run_as_driver(lab, "irqldrv", [] {
    auto* block = static_cast<volatile int*>(ExAllocatePoolWithTag(PagedPool, 64, 'egaP'));
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    KIRQL old_irql;
    KeAcquireSpinLock(&lock, &old_irql);
    block[0] = 1;
  });
  EXPECT_EQ(fatal(lab).code, static_cast<std::uint32_t>(DRIVER_IRQL_NOT_LESS_OR_EQUAL));
  EXPECT_EQ(fatal(lab).parameters[2], 1u);  // a write
}

TEST(ForceIrqlChecking, PagedPoolComesBackBelowDispatchLevel) {
  Lab lab;
  run_as_driver(lab, "irqldrv", [] {
    auto* block = static_cast<volatile int*>(ExAllocatePoolWithTag(PagedPool, 64, 'egaP'));
    auto* nonpaged = static_cast<volatile int*>(ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'egaP'));
    for (int i = 0; i < 3; ++i) {
      KIRQL old_irql;
      KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
      nonpaged[0] = i;  // nonpaged pool stays resident
      KeLowerIrql(old_irql);
      block[0] = nonpaged[0];
      KeRaiseIrql(APC_LEVEL, &old_irql);
      block[1] = 1;  // APC_LEVEL may touch paged pool
      KeLowerIrql(old_irql);
    }
    ExFreePoolWithTag(const_cast<int*>(block), 'egaP');
    ExFreePoolWithTag(const_cast<int*>(nonpaged), 'egaP');
  });
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ForceIrqlChecking, WithoutTheOptionPagedPoolIsNotTrimmed) {
  LabOptions options;
  options.verifier.driver_flags["irqldrv"] = kVerifierStandardFlags & ~kVerifierForceIrqlChecking;
  Lab lab(options);
  run_as_driver(lab, "irqldrv", [] {
    auto* block = static_cast<volatile int*>(ExAllocatePoolWithTag(PagedPool, 64, 'egaP'));
    KIRQL old_irql;
    KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
    block[0] = 1;  // a latent bug Windows would only hit when the page happens to be out
    KeLowerIrql(old_irql);
    ExFreePoolWithTag(const_cast<int*>(block), 'egaP');
  });
  EXPECT_TRUE(lab.findings().empty());
}

// Trimming follows the processor that runs: a thread at PASSIVE_LEVEL on one processor keeps
// using paged pool while another processor holds a spin lock.
TEST(ForceIrqlChecking, AnotherProcessorAtDispatchLevelDoesNotTrimForThisOne) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    static volatile int* block = nullptr;
    run_as_driver(lab, "irqldrv",
                  [] { block = static_cast<volatile int*>(ExAllocatePool2(POOL_FLAG_PAGED, 64, 'egaP')); });
    static KSPIN_LOCK lock = 0;
    lab.spawn("holder", [] {
      for (int i = 0; i < 50; ++i) {
        KIRQL old_irql;
        KeAcquireSpinLock(&lock, &old_irql);
        KeStallExecutionProcessor(1);
        KeReleaseSpinLock(&lock, old_irql);
      }
    });
    lab.spawn("user", [] {
      for (int i = 0; i < 200; ++i) {
        block[0] = block[0] + 1;
        (void)KeGetCurrentIrql();  // a scheduling point: the other processor may run
      }
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle) << "seed " << seed;
    EXPECT_TRUE(lab.findings().empty()) << "seed " << seed << ": " << lab.findings().front().summary();
    EXPECT_EQ(block[0], 200) << "seed " << seed;
  }
}

}  // namespace
}  // namespace wdmlab
