// Special pool (verifier flag 0x1): each small block of a verified driver on a page of its own,
// ending where the page ends, next to an inaccessible page. Overruns fault at the faulting
// instruction (0xD6), bytes written around the block on its page are found at free (0xC1), and a
// freed block's page stays inaccessible (0xD5).
#include <algorithm>
#include <vector>

#include "ex_support.hpp"

namespace wdmlab {
namespace {

using ex_test::fatal;
using ex_test::run_as_driver;

constexpr std::uint64_t kPage = 4096;

// Whether the finding names the block (tag and size) in its description and shows where it was
// allocated.
bool names_block(const Finding& finding, const char* tag, std::size_t size) {
  const std::string text = std::string("tag '") + tag + "', " + std::to_string(size) + " bytes";
  if (finding.description.find(text) == std::string::npos) return false;
  return std::any_of(finding.involved.begin(), finding.involved.end(),
                     [&](const ContextSnapshot& stack) { return stack.name.find(text) != std::string::npos; });
}

TEST(SpecialPool, ABlockEndsWhereItsPageEnds) {
  Lab lab;
  run_as_driver(lab, "spdrv", [] {
    for (SIZE_T size : {SIZE_T{1}, SIZE_T{16}, SIZE_T{100}, SIZE_T{4000}}) {
      auto* block = static_cast<unsigned char*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, size, 'dnEP'));
      ASSERT_NE(block, nullptr);
      const auto address = reinterpret_cast<std::uintptr_t>(block);
      EXPECT_EQ(address % MEMORY_ALLOCATION_ALIGNMENT, 0u) << size;
      EXPECT_LT(kPage - address % kPage - size, MEMORY_ALLOCATION_ALIGNMENT) << size;  // at the page's end
      EXPECT_TRUE(std::all_of(block, block + size, [](unsigned char b) { return b == 0; })) << size;
      ExFreePoolWithTag(block, 'dnEP');
    }
  });
  EXPECT_TRUE(lab.findings().empty());
  const VerifierCounters counters = lab.verifier_counters("spdrv");
  EXPECT_EQ(counters.pool_allocations_attempted, 4u);
  EXPECT_EQ(counters.pool_allocations_succeeded, 4u);
  EXPECT_EQ(counters.pool_allocations_special, 4u);
}

TEST(SpecialPool, AWritePastTheEndIsD6AtTheFaultingInstruction) {
  Lab lab;
  std::uintptr_t end = 0;
  run_as_driver(lab, "spdrv", [&end] {
    auto* block = static_cast<volatile char*>(ExAllocatePoolWithTag(NonPagedPoolNx, 32, 'nurO'));
    end = reinterpret_cast<std::uintptr_t>(block + 32);
    block[32] = 1;
    ADD_FAILURE() << "the overrun did not fault";
  });
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, static_cast<std::uint32_t>(DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION));
  EXPECT_EQ(finding.parameters[0], end);
  EXPECT_EQ(finding.parameters[1], 1u);  // a write
  EXPECT_NE(finding.parameters[2], 0u);  // the faulting instruction
  EXPECT_EQ(finding.parameters[3], 0u);
  EXPECT_EQ(finding.driver, "spdrv");
  EXPECT_TRUE(names_block(finding, "Orun", 32)) << finding.to_text();
}

TEST(SpecialPool, AReadPastTheEndIsD6WithARead) {
  Lab lab;
  run_as_driver(lab, "spdrv", [] {
    auto* block = static_cast<volatile char*>(ExAllocatePoolWithTag(PagedPool, 48, 'nurO'));
    (void)block[48 + 100];
    ADD_FAILURE() << "the overrun did not fault";
  });
  EXPECT_EQ(fatal(lab).code, static_cast<std::uint32_t>(DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION))
      << fatal(lab).to_text();
  EXPECT_EQ(fatal(lab).parameters[1], 0u);
}

// Rows: what the driver writes, and what freeing the block reports (0xC1, parameter 4).
struct Corruption {
  const char* what;
  SIZE_T size;
  std::ptrdiff_t offset;  // from the block's start
  std::uint64_t subtype;
};
const Corruption kCorruptions[] = {
    {"a byte in the alignment slack after a 13-byte block", 13, 13, 0x24},
    {"the byte before the block", 64, -1, 0x23},
    {"a byte 100 bytes before the block", 64, -100, 0x23},
};

TEST(SpecialPool, BytesWrittenAroundTheBlockAreC1AtFree) {
  for (const Corruption& row : kCorruptions) {
    Lab lab;
    std::uintptr_t block_address = 0;
    std::uintptr_t written = 0;
    run_as_driver(lab, "spdrv", [&] {
      auto* block = static_cast<char*>(ExAllocatePoolWithTag(NonPagedPoolNx, row.size, 'rroC'));
      block_address = reinterpret_cast<std::uintptr_t>(block);
      written = block_address + row.offset;
      *reinterpret_cast<volatile char*>(written) = 0x55;
      ExFreePoolWithTag(block, 'rroC');
    });
    const Finding& finding = fatal(lab);
    EXPECT_EQ(finding.code, static_cast<std::uint32_t>(SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION)) << row.what;
    EXPECT_EQ(finding.parameters[0], block_address) << row.what;
    EXPECT_EQ(finding.parameters[1], written) << row.what;
    EXPECT_EQ(finding.parameters[3], row.subtype) << row.what;
    EXPECT_TRUE(names_block(finding, "Corr", row.size)) << row.what;
  }
}

TEST(SpecialPool, TouchingAFreedBlockIsD5) {
  Lab lab;
  std::uintptr_t address = 0;
  run_as_driver(lab, "spdrv", [&address] {
    auto* block = static_cast<volatile int*>(ExAllocatePoolWithTag(NonPagedPoolNx, 40, 'eerF'));
    address = reinterpret_cast<std::uintptr_t>(block + 2);
    ExFreePoolWithTag(const_cast<int*>(block), 'eerF');
    (void)block[2];
  });
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, static_cast<std::uint32_t>(DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL));
  EXPECT_EQ(finding.parameters[0], address);
  EXPECT_EQ(finding.parameters[1], 0u);
  EXPECT_TRUE(names_block(finding, "Free", 40)) << finding.to_text();
}

TEST(SpecialPool, UnderrunPriorityPutsTheBlockAtThePageStart) {
  Lab lab;
  std::uintptr_t before = 0;
  run_as_driver(lab, "spdrv", [&before] {
    auto* block = static_cast<volatile char*>(
        ExAllocatePoolWithTagPriority(NonPagedPoolNx, 24, 'rdnU', NormalPoolPrioritySpecialPoolUnderrun));
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block) % kPage, 0u);
    before = reinterpret_cast<std::uintptr_t>(block - 1);
    block[-1] = 1;
  });
  EXPECT_EQ(fatal(lab).code, static_cast<std::uint32_t>(DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION));
  EXPECT_EQ(fatal(lab).parameters[0], before);
}

TEST(SpecialPool, ABlockOfAPageOrMoreStaysInNormalPool) {
  Lab lab;
  run_as_driver(lab, "spdrv", [] {
    void* big = ExAllocatePoolWithTag(NonPagedPoolNx, kPage, 'giB_');
    ASSERT_NE(big, nullptr);
    ExFreePoolWithTag(big, 'giB_');
  });
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_EQ(lab.verifier_counters("spdrv").pool_allocations_succeeded, 1u);
  EXPECT_EQ(lab.verifier_counters("spdrv").pool_allocations_special, 0u);
}

TEST(SpecialPool, WhenFullRequestsFallBackToNormalPool) {
  Lab lab;
  constexpr std::size_t kBlocks = 8192 + 100;
  run_as_driver(lab, "spdrv", [] {
    std::vector<void*> blocks;
    for (std::size_t i = 0; i < kBlocks; ++i) {
      blocks.push_back(ExAllocatePoolWithTag(NonPagedPoolNx, 8, 'lluF'));
      ASSERT_NE(blocks.back(), nullptr);
    }
    for (void* block : blocks) ExFreePoolWithTag(block, 'lluF');
  });
  EXPECT_TRUE(lab.findings().empty());
  const VerifierCounters counters = lab.verifier_counters("spdrv");
  EXPECT_EQ(counters.pool_allocations_succeeded, kBlocks);
  EXPECT_EQ(counters.pool_allocations_special, 8192u);
}

TEST(SpecialPool, ADriverWithoutSpecialPoolKeepsNormalPool) {
  LabOptions options;
  options.verifier.driver_flags["spdrv"] =
      kVerifierStandardFlags & ~(kVerifierSpecialPool | kVerifierForceIrqlChecking);
  Lab lab(options);
  run_as_driver(lab, "spdrv", [] {
    auto* block = static_cast<volatile char*>(ExAllocatePoolWithTag(NonPagedPoolNx, 32, 'nurO'));
    block[32] = 1;  // lands in the heap block's slack: nothing notices
    ExFreePoolWithTag(const_cast<char*>(block), 'nurO');
  });
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_EQ(lab.verifier_counters("spdrv").pool_allocations_special, 0u);
}

TEST(SpecialPool, TestCodeOutsideADriverKeepsNormalPool) {
  Lab lab;
  lab.spawn("test code", [] {
    void* block = ExAllocatePoolWithTag(NonPagedPoolNx, 32, 'tseT');
    EXPECT_FALSE(ex::Executive::require().pool().special().owns(reinterpret_cast<std::uintptr_t>(block)));
    ExFreePoolWithTag(block, 'tseT');
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

}  // namespace
}  // namespace wdmlab
