// irql_and_lock_cases (samples/buggy): one IRQL, spin lock, wait, critical region or lock
// ownership bug per IOCTL, each fatal under Driver Verifier, so each case is one run that sends
// one IOCTL. Where a DDI compliance rule covers the call, the standard flags report the rule's ID
// and the same IOCTL with DDI compliance off reports Driver Verifier's own subcode: both are rows.
//
// Machine: 2 processors, seed 1 (some cases also on other_machines()). Nothing races: one
// synchronous request from app.exe, and for 0x80C the system thread it starts.
#include <gtest/gtest.h>
#include <wdm.h>

#include <string>

#include "corpus/ioctl_corpus.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kMachine{.processors = 2, .seed = 1};
constexpr std::uint32_t kWithoutDdi = kVerifierStandardFlags & ~kVerifierDdiCompliance;
constexpr const char* kDriver = "irql_and_lock_cases";

// One expected parameter: a constant, or the address the driver logged after `marker`.
struct Parameter {
  std::uint64_t value = 0;
  const char* marker = nullptr;
};
constexpr Parameter constant(std::uint64_t v) { return {.value = v}; }
constexpr Parameter logged(const char* marker) { return {.marker = marker}; }

struct Case {
  std::string name;
  DWORD function;  // the IOCTL's function code
  std::uint32_t verifier_flags;
  std::uint64_t p1;      // the subcode or the rule's ID
  std::string rule;      // Finding::rule: the DDI compliance rule, or the rule the lab names
  Parameter p2, p3, p4;  // for a DDI rule ID: P2 its message, P3 0, P4 a caller in the routine logged
  std::string culprit;
};

Outcome send(const Case& test, const Machine& machine = kMachine) {
  Machine with_flags = machine;
  with_flags.verifier_flags = test.verifier_flags;
  return send_ioctls(with_flags, IRQL_AND_LOCK_CASES_IMAGE, u"\\\\.\\IrqlAndLockCases", {corpus_ioctl(test.function)});
}

std::uint64_t expected(const Outcome& run, const Parameter& parameter) {
  return parameter.marker != nullptr ? run.logged_address(parameter.marker) : parameter.value;
}

void expect_parameters(const Outcome& run, const Case& test) {
  ASSERT_EQ(run.findings.size(), 1u) << run.summaries();
  const Finding& finding = run.findings[0];
  EXPECT_EQ(finding.parameters[0], test.p1) << finding.to_text();
  EXPECT_EQ(finding.rule, test.rule);
  if ((test.p1 >> 16) != 0) {
    expect_ddi_rule_parameters(finding, test.rule.c_str());
    const std::uint64_t routine = run.logged_address("routine ");
    EXPECT_GT(finding.parameters[3], routine) << finding.to_text();
    EXPECT_LT(finding.parameters[3], routine + 0x400) << finding.to_text();
    return;
  }
  EXPECT_EQ(finding.parameters[1], expected(run, test.p2)) << finding.to_text();
  EXPECT_EQ(finding.parameters[2], expected(run, test.p3)) << finding.to_text();
  EXPECT_EQ(finding.parameters[3], expected(run, test.p4)) << finding.to_text();
}

class IrqlAndLockCases : public ::testing::TestWithParam<Case> {};

TEST_P(IrqlAndLockCases, IsTheExactFindingAndReplays) {
  const Case& test = GetParam();
  const Outcome run = send(test);
  expect_verifier_stop(run, test.p1, kDriver);
  expect_parameters(run, test);
  if (!run.findings.empty()) {
    EXPECT_EQ(culprit_function(run.findings[0]), test.culprit) << run.findings[0].to_text();
  }

  const Outcome again = send(test);
  expect_replayed(run, again);
  expect_parameters(again, test);
}

const Case kCases[] = {
    {"LowerIrqlToHigher", 0x800, kVerifierStandardFlags, 0x31, "IrqlKeRaiseLower", constant(APC_LEVEL),
     constant(DISPATCH_LEVEL), constant(0), "IrqlAndLockCasesLowerToHigher"},
    {"ReleaseForDpcBelowDispatch", 0x801, kVerifierStandardFlags, 0x35, "", constant(PASSIVE_LEVEL), logged(": lock "),
     constant(PASSIVE_LEVEL), "IrqlAndLockCasesForDpcLowered"},
    {"QueuedReleaseBelowDispatch", 0x802, kVerifierStandardFlags, 0x36, "", constant(APC_LEVEL), logged("queued lock "),
     constant(PASSIVE_LEVEL), "IrqlAndLockCasesQueuedLowered"},
    {"AcquireAtDpcLevelAtPassive", 0x803, kVerifierStandardFlags, 0x40, "", constant(PASSIVE_LEVEL), logged(": lock "),
     constant(0), "IrqlAndLockCasesCountAtDpcLevel"},
    {"ReleaseFromDpcLevelAtPassive", 0x804, kVerifierStandardFlags, 0x41, "", constant(PASSIVE_LEVEL),
     logged(": lock "), constant(0), "IrqlAndLockCasesFinishCount"},
    {"AcquireAboveDispatchIsIrqlKeDispatchLte",
     0x805,
     kVerifierStandardFlags,
     0x00020011,
     "IrqlKeDispatchLte",
     {},
     {},
     {},
     "IrqlAndLockCasesAboveDispatch"},
    {"AcquireAboveDispatchWithoutDdi", 0x805, kWithoutDdi, 0x42, "", constant(HIGH_LEVEL), logged(": lock "),
     constant(0), "IrqlAndLockCasesAboveDispatch"},
    {"LeaveCriticalRegionUnenteredWithoutDdi", 0x806, kWithoutDdi, 0x3E, "CriticalRegions", logged("thread "),
     constant(0), constant(0), "IrqlAndLockCasesLeaveUnentered"},
    {"EnterCriticalRegionAtDispatchIsIrqlKeApcLte2",
     0x807,
     kVerifierStandardFlags,
     0x00020010,
     "IrqlKeApcLte2",
     {},
     {},
     {},
     "IrqlAndLockCasesEnterAtDispatch"},
    {"EnterCriticalRegionAtDispatchWithoutDdi", 0x807, kWithoutDdi, 0x11A, "IrqlKeApcLte2", constant(DISPATCH_LEVEL),
     constant(0), constant(0), "IrqlAndLockCasesEnterAtDispatch"},
    {"WaitWithTimeoutAtDispatch", 0x808, kVerifierStandardFlags, 0x122, "", constant(DISPATCH_LEVEL), logged("event "),
     logged("timeout "), "IrqlAndLockCasesWaitTimeout"},
    {"SpinLockAcquiredAgainIsSpinLock",
     0x809,
     kVerifierStandardFlags,
     0x00040009,
     "SpinLock",
     {},
     {},
     {},
     "IrqlAndLockCasesAddTotal"},
    {"SpinLockAcquiredAgainWithoutDdi", 0x809, kWithoutDdi, 0x1000, "", logged(": lock "), constant(0), constant(0),
     "IrqlAndLockCasesAddTotal"},
    {"SpinLocksReleasedOutOfOrder", 0x80A, kVerifierStandardFlags, 0x1003, "", logged(": lock "), logged("other lock "),
     constant(0), "IrqlAndLockCasesReleaseCrossed"},
    {"MutexNobodyOwnsReleased", 0x80B, kVerifierStandardFlags, 0x1007, "", logged("mutex "), constant(0), constant(0),
     "IrqlAndLockCasesMutexUnowned"},
    {"ThreadEndsOwningMutex", 0x80C, kVerifierStandardFlags, 0x100A, "", logged("mutex "), logged("worker "),
     constant(0), ""},
    {"SpinLockNotHeldReleasedIsSpinlockRelease",
     0x80D,
     kVerifierStandardFlags,
     0x0004000A,
     "SpinlockRelease",
     {},
     {},
     {},
     "IrqlAndLockCasesWrongLock"},
    {"SpinLockNotHeldReleasedWithoutDdi", 0x80D, kWithoutDdi, 0x1007, "", logged(": lock "), constant(0), constant(0),
     "IrqlAndLockCasesWrongLock"},
    {"QueuedSpinLockAcquiredAgainIsQueuedSpinLock",
     0x80E,
     kVerifierStandardFlags,
     0x00040006,
     "QueuedSpinLock",
     {},
     {},
     {},
     "IrqlAndLockCasesQueuedAddTotal"},
    {"QueuedSpinLockAcquiredAgainWithoutDdi", 0x80E, kWithoutDdi, 0x1000, "", logged("queued lock "), constant(0),
     constant(0), "IrqlAndLockCasesQueuedAddTotal"},
    {"QueuedSpinLockReleasedTwiceIsQueuedSpinLockRelease",
     0x80F,
     kVerifierStandardFlags,
     0x00040007,
     "QueuedSpinLockRelease",
     {},
     {},
     {},
     "IrqlAndLockCasesQueuedReleaseTwice"},
    {"QueuedSpinLockReleasedTwiceWithoutDdi", 0x80F, kWithoutDdi, 0x1007, "", logged("inner lock "), constant(0),
     constant(0), "IrqlAndLockCasesQueuedReleaseTwice"},
    {"SetEventWithWaitAtDispatchIsIrqlKeSetEvent",
     0x810,
     kVerifierStandardFlags,
     0x00020016,
     "IrqlKeSetEvent",
     {},
     {},
     {},
     "IrqlAndLockCasesSetEventWait"},
};

INSTANTIATE_TEST_SUITE_P(Corpus, IrqlAndLockCases, ::testing::ValuesIn(kCases), RowName());

// The cases are one synchronous request each, so the machine cannot matter; played on
// other_machines() for the one that starts a thread and two that hold locks across calls.
TEST(IrqlAndLockCasesOnOtherMachines, GiveTheSameFinding) {
  for (const Case& test : kCases) {
    if (test.function != 0x80C && test.function != 0x80A && test.function != 0x80F) continue;
    for (const Machine& machine : other_machines()) {
      SCOPED_TRACE(test.name + " on " + describe(machine));
      expect_parameters(send(test, machine), test);
    }
  }
}

// Windows without Driver Verifier carries on after two spin locks released out of order (the
// IRQL each release restores is still right here): no finding, and the request completes.
TEST(IrqlAndLockCasesUnverified, SpinLocksReleasedOutOfOrderRunOn) {
  const Outcome run = send({"Unverified", 0x80A, 0, 0, "", {}, {}, {}, ""});
  EXPECT_EQ(run.status, RunStatus::Idle);
  EXPECT_TRUE(run.findings.empty()) << run.summaries();
}

// KeLeaveCriticalRegion with no enter is not harmless without the verifier either: the thread
// returns to user mode with its kernel APC disable count off by one, 0x1 APC_INDEX_MISMATCH.
TEST(IrqlAndLockCasesUnverified, LeaveCriticalRegionUnenteredIsApcIndexMismatch) {
  const Outcome run = send({"Unverified", 0x806, 0, 0, "", {}, {}, {}, ""});
  EXPECT_EQ(run.status, RunStatus::Stopped);
  ASSERT_EQ(run.findings.size(), 1u) << run.summaries();
  EXPECT_EQ(run.findings[0].code, APC_INDEX_MISMATCH);
}

}  // namespace
}  // namespace wdmlab::test
