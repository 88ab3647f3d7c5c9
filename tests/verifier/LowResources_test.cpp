// Low Resources Simulation (/flags 0x4) and Systematic Low Resources Simulation (/flags 0x40000):
// which calls fail, that a failure looks like the routine's real failure, the tag filter, the
// grace calls, the counter and the log line, and that a run replays from its seed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

constexpr ULONG kTag = 'tseT';  // "Test"
constexpr std::uint32_t kSystemThreadExceptionNotHandled = 0x7E;

VerifierOptions random_failures(unsigned probability) {
  VerifierOptions options;
  options.flags = kVerifierStandardFlags | kVerifierLowResources;
  options.low_resources.probability = probability;
  return options;
}

VerifierOptions systematic_failures() {
  return VerifierOptions{.flags = kVerifierStandardFlags | kVerifierSystematicLowResources};
}

// Which of `count` allocations of `tag` failed, from one call site, in a fresh lab.
std::vector<bool> failures(VerifierOptions options, int count, ULONG tag = kTag, std::uint64_t seed = 1) {
  std::vector<bool> failed;
  Lab lab({.processors = 1, .seed = seed, .verifier = std::move(options)});
  lab.spawn("allocator", [&] {
    for (int i = 0; i < count; ++i) {
      void* block = ExAllocatePoolWithTag(NonPagedPoolNx, 32, tag);
      failed.push_back(block == nullptr);
      if (block != nullptr) ExFreePoolWithTag(block, tag);
    }
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  for (const Finding& finding : lab.findings()) ADD_FAILURE() << finding.summary();
  return failed;
}

int count_failed(const std::vector<bool>& failed) {
  return static_cast<int>(std::count(failed.begin(), failed.end(), true));
}

TEST(LowResources, AtFullProbabilityEveryAllocationFails) {
  EXPECT_EQ(count_failed(failures(random_failures(10000), 10)), 10);
}

TEST(LowResources, AtZeroProbabilityOrUnverifiedNoneFails) {
  EXPECT_EQ(count_failed(failures(random_failures(0), 10)), 0);
  VerifierOptions unverified = random_failures(10000);
  unverified.flags = 0;
  EXPECT_EQ(count_failed(failures(unverified, 10)), 0);
}

TEST(LowResources, AboutTheGivenShareFailsAndTheSameSeedFailsTheSameCalls) {
  const std::vector<bool> first = failures(random_failures(5000), 200, kTag, 7);
  EXPECT_GT(count_failed(first), 50);
  EXPECT_LT(count_failed(first), 150);
  EXPECT_EQ(failures(random_failures(5000), 200, kTag, 7), first);
  EXPECT_NE(failures(random_failures(5000), 200, kTag, 8), first);
}

TEST(LowResources, OnlyTheListedTagsFail) {
  VerifierOptions options = random_failures(10000);
  options.low_resources.tags = {'rehO'};
  EXPECT_EQ(count_failed(failures(options, 5, kTag)), 0);
  EXPECT_EQ(count_failed(failures(options, 5, 'rehO')), 5);
}

TEST(LowResources, TheGraceCallsSucceed) {
  VerifierOptions options = random_failures(10000);
  options.low_resources.grace_calls = 3;
  EXPECT_EQ(failures(options, 5), (std::vector<bool>{false, false, false, true, true}));
}

TEST(LowResources, EachFaultIsCountedAndLogged) {
  Lab lab({.processors = 1, .seed = 1, .verifier = random_failures(10000)});
  lab.spawn("allocator", [] { EXPECT_EQ(ExAllocatePoolWithTag(NonPagedPoolNx, 32, kTag), nullptr); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(lab.verifier_counters("").faults_injected, 1u);
  EXPECT_TRUE(lab.log().contains("fault injected: ExAllocatePoolWithTag (tag 'Test') failed")) << lab.log().text();
}

TEST(LowResources, TheOtherRoutinesFailAsTheyReallyDo) {
  std::vector<const void*> results(3, reinterpret_cast<const void*>(1));
  runs_clean(
      [&] {
        results[0] = IoAllocateIrp(1, FALSE);
        results[1] = IoAllocateMdl(nullptr, 16, FALSE, FALSE, nullptr);
        static NPAGED_LOOKASIDE_LIST list;
        ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, 32, kTag, 0);
        results[2] = ExAllocateFromNPagedLookasideList(&list);  // through ExAllocatePoolWithTag
        ExDeleteNPagedLookasideList(&list);
      },
      1, 1, random_failures(10000));
  EXPECT_EQ(results, std::vector<const void*>(3, nullptr));
}

// IoSetCompletionRoutineEx allocates its context block: it fails with
// STATUS_INSUFFICIENT_RESOURCES and sets no routine (the IRP itself, the grace call, succeeds; the
// device is not looked at before the block is allocated).
TEST(LowResources, IoSetCompletionRoutineExFailsWithoutSettingARoutine) {
  VerifierOptions options = random_failures(10000);
  options.low_resources.grace_calls = 1;
  NTSTATUS status = STATUS_SUCCESS;
  bool routine_set = true;
  runs_clean(
      [&] {
        PIRP irp = IoAllocateIrp(2, FALSE);
        ASSERT_NE(irp, nullptr);
        status = IoSetCompletionRoutineEx(
            nullptr, irp, [](PDEVICE_OBJECT, PIRP, PVOID) -> NTSTATUS { return 0; }, nullptr, TRUE, TRUE, TRUE);
        routine_set = IoGetNextIrpStackLocation(irp)->CompletionRoutine != nullptr;
        IoFreeIrp(irp);
      },
      1, 1, options);
  EXPECT_EQ(status, STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_FALSE(routine_set);
}

TEST(LowResources, AnAllocationThatRaisesOnFailureRaises) {
  Lab lab({.processors = 1, .seed = 1, .verifier = random_failures(10000)});
  lab.spawn("allocator", [] {
    (void)ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 32, kTag);
    ADD_FAILURE() << "ExAllocatePool2 returned instead of raising";
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding finding = stop_finding(lab);
  EXPECT_EQ(finding.code, kSystemThreadExceptionNotHandled);
  EXPECT_EQ(finding.parameters[0], static_cast<std::uint32_t>(STATUS_INSUFFICIENT_RESOURCES));
}

TEST(LowResources, MmProbeAndLockPagesRaisesInsufficientResources) {
  Lab lab({.processors = 1, .seed = 1, .verifier = random_failures(10000)});
  lab.spawn("locker", [] {
    alignas(8) static char storage[sizeof(MDL) + 4 * sizeof(PFN_NUMBER)];
    static char data[64];
    auto* mdl = reinterpret_cast<PMDL>(storage);
    MmInitializeMdl(mdl, data, sizeof(data));
    MmProbeAndLockPages(mdl, KernelMode, IoReadAccess);
    ADD_FAILURE() << "MmProbeAndLockPages returned instead of raising";
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding finding = stop_finding(lab);
  EXPECT_EQ(finding.code, kSystemThreadExceptionNotHandled);
  EXPECT_EQ(finding.parameters[0], static_cast<std::uint32_t>(STATUS_INSUFFICIENT_RESOURCES));
}

TEST(SystematicLowResources, ACallFailsTheFirstTimeItsStackIsSeen) {
  EXPECT_EQ(failures(systematic_failures(), 3), (std::vector<bool>{true, false, false}));
}

void* allocate_here() { return ExAllocatePoolWithTag(NonPagedPoolNx, 16, kTag); }
void* allocate_there() { return ExAllocatePoolWithTag(NonPagedPoolNx, 16, kTag); }

TEST(SystematicLowResources, EachCallSiteFailsOnceAndAFreshLabStartsOver) {
  for (int run = 0; run < 2; ++run) {
    std::vector<bool> failed;
    Lab lab({.processors = 1, .seed = 1, .verifier = systematic_failures()});
    lab.spawn("allocator", [&] {
      for (int i = 0; i < 2; ++i) {
        for (void* block : {allocate_here(), allocate_there()}) {
          failed.push_back(block == nullptr);
          if (block != nullptr) ExFreePoolWithTag(block, kTag);
        }
      }
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
    EXPECT_EQ(failed, (std::vector<bool>{true, true, false, false})) << "run " << run;
    EXPECT_EQ(lab.verifier_counters("").faults_injected, 2u);
    EXPECT_TRUE(lab.log().contains("systematic low resources fault injected")) << lab.log().text();
  }
}

}  // namespace
}  // namespace wdmlab::test
