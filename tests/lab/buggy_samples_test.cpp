// The deliberately buggy samples: each bug becomes the Windows bug check, with a stack that names
// the driver function responsible, and the test process carries on. cancel_race's bug shows in
// some interleavings only; the others end clean.
#include <gtest/gtest.h>

#include "wdmlab/lab.hpp"

extern "C" {
DRIVER_INITIALIZE lock_order_deadlock_DriverEntry;
DRIVER_INITIALIZE null_deref_DriverEntry;
DRIVER_INITIALIZE cancel_race_DriverEntry;
}

namespace wdmlab {
namespace {

bool stack_names(const std::vector<StackFrame>& stack, const std::string& function) {
  for (const StackFrame& frame : stack) {
    if (frame.function == function) return true;
  }
  return false;
}

// The finding's own stack is one of the two threads and its first involved stack the other.
bool names_both_threads(const Finding& finding) {
  const auto pair = [&](const char* self, const char* other) {
    return stack_names(finding.context.stack, self) && stack_names(finding.involved[0].stack, other);
  };
  return pair("LockOrderThreadA", "LockOrderThreadB") || pair("LockOrderThreadB", "LockOrderThreadA");
}

TEST(BuggySamples, OppositeLockOrderIsALockHierarchyViolationBeforeTheDeadlock) {
  // Deadlock detection (in the standard flags) sees the second order taken while the first is
  // recorded, and stops the machine before either thread spins.
  for (std::uint64_t seed : {1, 2, 3, 42, 1000}) {
    Lab lab({.processors = 2, .seed = seed});
    lab.load_driver(lock_order_deadlock_DriverEntry, "lock_order_deadlock");
    lab.run_until_idle();
    ASSERT_TRUE(lab.stopped()) << "seed " << seed;
    const Finding* finding = lab.fatal_finding();
    ASSERT_NE(finding, nullptr);
    EXPECT_EQ(finding->code, DRIVER_VERIFIER_DETECTED_VIOLATION) << finding->summary();
    EXPECT_EQ(finding->parameters[0], 0x1001u) << finding->summary();
    EXPECT_EQ(finding->driver, "lock_order_deadlock");
    ASSERT_EQ(finding->involved.size(), 2u);  // the earlier acquire and this one
    EXPECT_TRUE(names_both_threads(*finding)) << finding->to_text();
  }
}

TEST(BuggySamples, OppositeLockOrderDeadlocksOnTwoProcessorsWithoutDeadlockDetection) {
  // Whatever the interleaving, the two threads meet holding one lock each.
  for (std::uint64_t seed : {1, 2, 3, 42, 1000}) {
    Lab lab({.processors = 2,
             .seed = seed,
             .verifier = {.flags = kVerifierStandardFlags & ~kVerifierDeadlockDetection}});
    lab.load_driver(lock_order_deadlock_DriverEntry, "lock_order_deadlock");
    lab.run_until_idle();
    ASSERT_TRUE(lab.stopped()) << "seed " << seed;
    const Finding* finding = lab.fatal_finding();
    ASSERT_NE(finding, nullptr);
    EXPECT_EQ(finding->code, 0x133u);           // DPC_WATCHDOG_VIOLATION
    EXPECT_EQ(finding->parameters[0], 1u);      // cumulative time at DISPATCH_LEVEL
    EXPECT_EQ(finding->driver, "lock_order_deadlock");
    ASSERT_EQ(finding->involved.size(), 1u);    // the other thread in the cycle
    EXPECT_TRUE(names_both_threads(*finding)) << finding->to_text();
    EXPECT_EQ(finding->context.irql, DISPATCH_LEVEL);
  }
}

TEST(BuggySamples, NullDereferenceInASystemThreadIsBugCheck7E) {
  Lab lab({.processors = 2, .seed = 9});
  try {
    lab.load_driver(null_deref_DriverEntry, "null_deref");
    lab.run_until_idle();
  } catch (const UsageError&) {
    // The worker may crash the machine before DriverEntry returns; either way there is a finding.
  }
  const Finding* finding = lab.fatal_finding();
  ASSERT_NE(finding, nullptr);
  EXPECT_EQ(finding->code, 0x7Eu);  // SYSTEM_THREAD_EXCEPTION_NOT_HANDLED
  EXPECT_EQ(finding->parameters[0], 0xC0000005u);
  ASSERT_NE(finding->culprit_frame(), nullptr);
  EXPECT_EQ(finding->culprit_frame()->function, "NullDerefReadCount");
  EXPECT_EQ(finding->context.stack.front().function, "NullDerefReadCount");
  EXPECT_NE(finding->context.stack.front().line, 0);
  EXPECT_TRUE(stack_names(finding->context.stack, "NullDerefWorker"));
}

TEST(BuggySamples, CancelRaceCompletesTheIrpTwiceInSomeInterleavingsOnly) {
  // What `wdmlab run cancel_race --seed S` does, for twenty seeds of the random policy.
  int raced = 0;
  int clean = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    LoadedDriver& driver = lab.load_driver(cancel_race_DriverEntry, "cancel_race");
    ASSERT_TRUE(driver.loaded()) << "seed " << seed;
    if (!lab.stopped()) lab.run_for(std::chrono::milliseconds(100));
    if (!lab.stopped()) lab.unload_driver(driver);
    const Finding* finding = lab.fatal_finding();
    if (finding == nullptr) {
      // Both threads ended, the DPC was flushed and the IRP freed by the end of DriverUnload.
      EXPECT_TRUE(lab.findings().empty()) << "seed " << seed << ": " << lab.findings().front().to_text();
      ++clean;
      continue;
    }
    ++raced;
    // The second completion: while the first is still under way, 0x44; after the completion
    // routine kept the IRP, the I/O manager gets back an IRP no thread issued (0x1E).
    EXPECT_TRUE(finding->code == MULTIPLE_IRP_COMPLETE_REQUESTS || finding->code == KMODE_EXCEPTION_NOT_HANDLED)
        << finding->summary();
    EXPECT_EQ(finding->driver, "cancel_race");
    EXPECT_TRUE(stack_names(finding->context.stack, "CancelRaceDpc") ||
                stack_names(finding->context.stack, "CancelRaceCancel"))
        << finding->to_text();
  }
  EXPECT_GT(raced, 0);
  EXPECT_GT(clean, 0);
}

TEST(BuggySamples, TheProcessSurvivesAndTheNextLabIsClean) {
  {
    Lab lab({.processors = 2, .seed = 1});
    lab.load_driver(lock_order_deadlock_DriverEntry, "lock_order_deadlock");
    lab.run_until_idle();
    ASSERT_TRUE(lab.stopped());
  }
  Lab lab;
  int ran = 0;
  lab.spawn("after", [&] { ++ran; });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(ran, 1);
  EXPECT_TRUE(lab.findings().empty());
}

}  // namespace
}  // namespace wdmlab
