// Driver Verifier's unload audit: pool still held at unload (pool tracking, flag 0x8: 0xC4/0x62),
// timers and DPCs left in memory that goes away with the driver (0xC7), lookaside lists and work
// items left behind (0xCE); and a block freed while it holds a set timer (0xC4/0x15).
#include <string>

#include "ex_support.hpp"

namespace wdmlab {
namespace {

using ex_test::fatal;

// What the test driver does in DriverEntry and in DriverUnload.
std::function<void(PDRIVER_OBJECT)> g_entry;
std::function<void(PDRIVER_OBJECT)> g_unload;

VOID NTAPI TestUnload(PDRIVER_OBJECT driver) {
  if (g_unload) g_unload(driver);
}

NTSTATUS NTAPI TestEntry(PDRIVER_OBJECT driver, PUNICODE_STRING) {
  driver->DriverUnload = &TestUnload;
  if (g_entry) g_entry(driver);
  return STATUS_SUCCESS;
}

// Loads the test driver as `name`, unloads it, and returns the lab's findings.
void load_and_unload(Lab& lab, std::function<void(PDRIVER_OBJECT)> entry, std::function<void(PDRIVER_OBJECT)> unload,
                     const std::string& name = "trackdrv") {
  g_entry = std::move(entry);
  g_unload = std::move(unload);
  LoadedDriver& driver = lab.load_driver(&TestEntry, name);
  ASSERT_TRUE(driver.loaded());
  lab.unload_driver(driver);
  g_entry = nullptr;
  g_unload = nullptr;
}

TEST(PoolTracking, UnloadWithLiveAllocationsIsC4_62ListingEachLeak) {
  Lab lab;
  std::uintptr_t name = 0;
  load_and_unload(
      lab,
      [&name](PDRIVER_OBJECT driver) {
        name = reinterpret_cast<std::uintptr_t>(&driver->DriverName);
        (void)ExAllocatePoolWithTag(NonPagedPoolNx, 48, 'kaeL');
        void* freed = ExAllocatePoolWithTag(NonPagedPoolNx, 8, 'eerF');
        (void)ExAllocatePoolWithTag(PagedPool, 200, '2aeL');
        ExFreePoolWithTag(freed, 'eerF');
      },
      nullptr);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, static_cast<std::uint32_t>(DRIVER_VERIFIER_DETECTED_VIOLATION));
  EXPECT_EQ(finding.parameters[0], 0x62u);
  EXPECT_EQ(finding.parameters[1], name);  // the driver's name
  EXPECT_EQ(finding.parameters[3], 2u);    // outstanding allocations
  EXPECT_EQ(finding.driver, "trackdrv");
  EXPECT_NE(finding.description.find("tag 'Leak' 48 bytes (nonpaged pool)"), std::string::npos) << finding.description;
  EXPECT_NE(finding.description.find("tag 'Lea2' 200 bytes (paged pool)"), std::string::npos) << finding.description;
  EXPECT_EQ(finding.description.find("'Free'"), std::string::npos);
  int allocation_stacks = 0;
  for (const ContextSnapshot& stack : finding.involved) {
    if (stack.name.rfind("allocation of ", 0) == 0) ++allocation_stacks;
  }
  EXPECT_EQ(allocation_stacks, 2);
}

TEST(PoolTracking, AllocationsFreedInDriverUnloadAreNoLeak) {
  Lab lab;
  static void* block = nullptr;
  load_and_unload(
      lab, [](PDRIVER_OBJECT) { block = ExAllocatePoolWithTag(NonPagedPoolNx, 48, 'kaeL'); },
      [](PDRIVER_OBJECT) { ExFreePoolWithTag(block, 'kaeL'); });
  EXPECT_TRUE(lab.findings().empty());
}

TEST(PoolTracking, WithoutPoolTrackingALeakIsNotReported) {
  LabOptions options;
  options.verifier.driver_flags["trackdrv"] = kVerifierStandardFlags & ~kVerifierPoolTracking;
  Lab lab(options);
  load_and_unload(
      lab, [](PDRIVER_OBJECT) { (void)ExAllocatePoolWithTag(NonPagedPoolNx, 48, 'kaeL'); }, nullptr);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(PoolTracking, AnUnverifiedDriverPaysNothingAtUnload) {
  Lab lab({.verifier = VerifierOptions::off()});
  load_and_unload(
      lab, [](PDRIVER_OBJECT) { (void)ExAllocatePoolWithTag(NonPagedPoolNx, 48, 'kaeL'); }, nullptr);
  EXPECT_TRUE(lab.findings().empty());
}

VOID NTAPI NothingToDo(PKDPC, PVOID, PVOID, PVOID) {}

struct TimerBlock {
  KTIMER timer;
  KDPC dpc;
};

TEST(PoolTracking, ATimerSetInLeakedPoolIsC7AtUnload) {
  Lab lab;
  std::uintptr_t block = 0;
  load_and_unload(
      lab,
      [&block](PDRIVER_OBJECT) {
        auto* timer = static_cast<TimerBlock*>(ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(TimerBlock), 'rmiT'));
        block = reinterpret_cast<std::uintptr_t>(timer);
        KeInitializeTimer(&timer->timer);
        KeInitializeDpc(&timer->dpc, &NothingToDo, nullptr);
        LARGE_INTEGER due;
        due.QuadPart = -10LL * 1000 * 1000 * 60;  // a minute
        KeSetTimer(&timer->timer, due, &timer->dpc);
      },
      nullptr);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, static_cast<std::uint32_t>(TIMER_OR_DPC_INVALID));
  EXPECT_EQ(finding.parameters[0], 0u);  // a timer
  EXPECT_EQ(finding.parameters[1], block + offsetof(TimerBlock, timer));
  EXPECT_EQ(finding.parameters[2], block);
  EXPECT_EQ(finding.parameters[3], block + sizeof(TimerBlock));
  EXPECT_EQ(finding.driver, "trackdrv");
}

TEST(PoolTracking, FreeingABlockThatHoldsASetTimerIsC4_15) {
  Lab lab;
  std::uintptr_t block = 0;
  ex_test::run_as_driver(lab, "trackdrv", [&block] {
    auto* timer = static_cast<TimerBlock*>(ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(TimerBlock), 'rmiT'));
    block = reinterpret_cast<std::uintptr_t>(timer);
    KeInitializeTimer(&timer->timer);
    LARGE_INTEGER due;
    due.QuadPart = -10LL * 1000 * 1000;
    KeSetTimer(&timer->timer, due, nullptr);
    ExFreePoolWithTag(timer, 'rmiT');
  });
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, static_cast<std::uint32_t>(DRIVER_VERIFIER_DETECTED_VIOLATION));
  EXPECT_EQ(finding.parameters[0], 0x15u);
  EXPECT_EQ(finding.parameters[1], block);  // the timer, at the block's start
  EXPECT_EQ(finding.parameters[2], static_cast<std::uint64_t>(NonPagedPoolNx));
  EXPECT_EQ(finding.parameters[3], block);
}

TEST(PoolTracking, ALookasideListLeftAtUnloadIsCE) {
  Lab lab;
  static NPAGED_LOOKASIDE_LIST list;
  load_and_unload(
      lab, [](PDRIVER_OBJECT) { ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, 64, 'tsiL', 0); }, nullptr);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, static_cast<std::uint32_t>(DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS));
  EXPECT_EQ(finding.parameters[0], reinterpret_cast<std::uintptr_t>(&list));
}

}  // namespace
}  // namespace wdmlab
