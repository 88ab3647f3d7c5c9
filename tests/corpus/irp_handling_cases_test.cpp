// irp_handling_cases (samples/buggy): one IOCTL per IRP handling mistake that I/O verification,
// its enhanced checks or the IRP rules of DDI compliance checking report (docs/verifier/io.md).
// Each case is one synchronous DeviceIoControl on a fresh lab; the driver logs with %p the request,
// its routines, its remove lock, its devices and the IRPs it makes, and the test compares the
// finding's parameters with those addresses.
//
// A row names the finding asserted and, where the run has more than one (a rule followed by the stop
// the bug leads to), every finding's code in order. IoSetCompletionExCompleteIrp runs with
// systematic low resources added, which fails the driver's IoSetCompletionRoutineEx.
//
// Machine: 1 processor, seed 1 (any machine gives the same finding).
#include <gtest/gtest.h>
#include <wdm.h>

#include <cstdint>
#include <string>
#include <vector>

#include "corpus/corpus_test.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr Machine kMachine{.processors = 1, .seed = 1};
constexpr std::uint32_t kC4 = DRIVER_VERIFIER_DETECTED_VIOLATION;
constexpr std::uint32_t kC9 = DRIVER_VERIFIER_IOMANAGER_VIOLATION;
constexpr std::uint32_t kRule = WDMLAB_DDI_RULE_VIOLATION;

// A parameter the test compares: the address logged after `marker`, or `value` when there is no
// marker; `ignored` for a parameter (the caller's return address) the driver cannot print.
struct Parameter {
  const char* marker = nullptr;
  std::uint64_t value = 0;
  bool ignored = false;
};
constexpr Parameter logged(const char* marker) { return {.marker = marker}; }
constexpr Parameter exactly(std::uint64_t value) { return {.value = value}; }
constexpr Parameter kAny{.ignored = true};

struct IrpCase {
  std::string name;
  DWORD function;      // the IOCTL's function code (0x800 + case)
  std::uint32_t code;  // the bug check of the finding asserted
  std::uint64_t p1;    // its P1 (0 for a rule)
  Parameter p2, p3, p4;
  Severity severity;
  std::string rule;                       // "" when the finding has none
  std::size_t index = 0;                  // which finding of the run it is
  std::vector<std::uint32_t> codes = {};  // every finding of the run, in order (empty: this one alone)
  RunStatus status = RunStatus::Idle;
  std::uint32_t verifier_flags = kVerifierStandardFlags;
};

Outcome send_case(const IrpCase& test, const Machine& base = kMachine) {
  Machine machine = base;
  machine.verifier_flags = test.verifier_flags;
  const DWORD code = CTL_CODE(FILE_DEVICE_UNKNOWN, test.function, METHOD_BUFFERED, FILE_ANY_ACCESS);
  return play(machine, IRP_HANDLING_CASES_IMAGE, [code](Lab&, UserProcess& app) {
    auto* returned = app.alloc_array<DWORD>(1);
    app.run("main", [code, returned] {
      HANDLE device = open_device(u"\\\\.\\IrpHandlingCases", 0);
      ASSERT_NE(device, INVALID_HANDLE_VALUE);
      (void)DeviceIoControl(device, code, nullptr, 0, nullptr, 0, returned, nullptr);
      CloseHandle(device);
    });
  });
}

void expect_parameter(const Outcome& run, const Finding& finding, std::size_t at, const Parameter& expected) {
  if (expected.ignored) return;
  const std::uint64_t value = expected.marker != nullptr ? run.logged_address(expected.marker) : expected.value;
  EXPECT_EQ(finding.parameters[at], value) << "P" << at + 1 << " of " << finding.summary();
}

void expect_case(const IrpCase& test, const Outcome& run) {
  EXPECT_EQ(run.status, test.status) << run.summaries();
  const std::vector<std::uint32_t> codes = test.codes.empty() ? std::vector<std::uint32_t>{test.code} : test.codes;
  ASSERT_EQ(run.findings.size(), codes.size()) << run.summaries();
  for (std::size_t i = 0; i < codes.size(); ++i) EXPECT_EQ(run.findings[i].code, codes[i]) << run.summaries();
  const Finding& finding = run.findings[test.index];
  EXPECT_EQ(finding.code, test.code) << finding.summary();
  if (test.code != kRule) {
    EXPECT_EQ(finding.parameters[0], test.p1) << finding.summary();
  }
  expect_parameter(run, finding, 1, test.p2);
  expect_parameter(run, finding, 2, test.p3);
  expect_parameter(run, finding, 3, test.p4);
  EXPECT_EQ(finding.severity, test.severity) << finding.summary();
  EXPECT_EQ(finding.rule, test.rule) << finding.summary();
  EXPECT_EQ(finding.driver, "irp_handling_cases");
}

class IrpHandlingCases : public ::testing::TestWithParam<IrpCase> {};

TEST_P(IrpHandlingCases, IsTheExactFindingAndReplays) {
  const IrpCase& test = GetParam();
  const Outcome run = send_case(test);
  expect_case(test, run);

  const Outcome again = send_case(test);
  expect_replayed(run, again);
  expect_case(test, again);
}

TEST_P(IrpHandlingCases, SameFindingOnOtherMachines) {
  const IrpCase& test = GetParam();
  for (const Machine& machine : other_machines()) {
    SCOPED_TRACE(describe(machine));
    expect_case(test, send_case(test, machine));
  }
}

// A leftover remove lock acquisition changes nothing Windows does without Driver Verifier: the
// request succeeds and nothing is reported.
TEST(IrpHandlingCasesUnverified, KeptRemoveLockGivesNoFinding) {
  const Outcome run = send_case(IrpCase{.name = "Unverified",
                                        .function = 0x80E,
                                        .code = kRule,
                                        .p1 = 0,
                                        .severity = Severity::NonFatal,
                                        .verifier_flags = 0});
  EXPECT_EQ(run.status, RunStatus::Idle);
  EXPECT_TRUE(run.findings.empty()) << run.summaries();
}

constexpr Severity F = Severity::Fatal;
constexpr Severity N = Severity::NonFatal;
constexpr RunStatus kStopped = RunStatus::Stopped;

INSTANTIATE_TEST_SUITE_P(
    Corpus, IrpHandlingCases,
    ::testing::Values(
        IrpCase{"CompletesWithStatusPending",
                0x800,
                kC9,
                0x06,
                exactly(0x103),
                logged("irp "),
                exactly(0),
                F,
                "",
                0,
                {},
                kStopped},
        IrpCase{"CompletesAtHighLevel",
                0x801,
                kC9,
                0x0E,
                exactly(HIGH_LEVEL),
                logged("irp "),
                exactly(0),
                F,
                "",
                0,
                {},
                kStopped},
        IrpCase{"ForwardsWithACancelRoutine",
                0x802,
                kC9,
                0x203,
                kAny,
                logged("irp "),
                logged("cancel "),
                F,
                "",
                0,
                {},
                kStopped},
        IrpCase{"SendsWithTooFewStackLocations",
                0x803,
                kC9,
                0x208,
                kAny,
                logged("own "),
                logged("upper "),
                F,
                "",
                0,
                {},
                kStopped},
        IrpCase{"DeletesADeviceTwice", 0x804, kC9, 0x240, kAny, exactly(0), logged("spare "), F, "", 0, {}, kStopped},
        IrpCase{"CompletionRoutineSetsACancelRoutine",
                0x805,
                kC9,
                0x23C,
                logged("setcancel "),
                logged("irp "),
                logged("cancel "),
                F,
                "",
                0,
                {},
                kStopped},
        IrpCase{"ReturnsAnUninitialisedStatus", 0x806, kC9, 0x225, logged("dispatch "), logged("own "),
                exactly(0xFFFFFFFF), N, ""},
        IrpCase{"CompletionRoutineRaisesIrql",
                0x807,
                kC4,
                0xFA,
                logged("raise "),
                exactly(PASSIVE_LEVEL),
                exactly(DISPATCH_LEVEL),
                F,
                "",
                0,
                {},
                kStopped},
        IrpCase{"CompletionRoutineEntersACriticalRegion",
                0x808,
                kC4,
                0xFB,
                logged("region "),
                exactly(0),
                exactly(0xFFFF),
                F,
                "",
                0,
                {},
                kStopped},
        IrpCase{"ReleasesAndWaitsWithAnotherTag",
                0x809,
                kC4,
                0xD6,
                logged("lock "),
                logged("upper "),
                logged("irp "),
                F,
                "RemoveLockRelease",
                1,
                {kRule, kC4},
                kStopped},
        IrpCase{"InitializesARemoveLockInUse",
                0x80A,
                kC4,
                0xD7,
                logged("lock "),
                exactly(1),
                exactly(0),
                F,
                "",
                0,
                {},
                kStopped},
        IrpCase{"PendedCompletedRequest",
                0x80B,
                kRule,
                0,
                logged("irp "),
                logged("dispatch "),
                exactly(0x103),
                N,
                "PendedCompletedRequest",
                1,
                {kC9, kRule, WDMLAB_HANG},
                kStopped},
        IrpCase{"IrpProcessingComplete", 0x80C, kRule, 0, logged("own "), logged("dispatch "), exactly(0), N,
                "IrpProcessingComplete"},
        IrpCase{"CompletionRoutineRegistered", 0x80D, kRule, 0, logged("irp "), logged("dispatch "), exactly(0), N,
                "CompletionRoutineRegistered"},
        IrpCase{"RemoveLockReleaseDeviceControl", 0x80E, kRule, 0, logged("irp "), logged("dispatch "), exactly(1), N,
                "RemoveLockReleaseDeviceControl"},
        IrpCase{"IoReleaseRemoveLockAndWaitOutsideRemoveDevice", 0x80F, kRule, 0, logged("lock "), kAny, exactly(0), N,
                "IoReleaseRemoveLockAndWaitOutsideRemoveDevice"},
        IrpCase{"StartIoCancel", 0x810, kRule, 0, logged("irp "), kAny, exactly(0), N, "StartIoCancel"},
        IrpCase{"IoAllocateFree",
                0x811,
                kRule,
                0,
                logged("irp "),
                kAny,
                exactly(0),
                N,
                "IoAllocateFree",
                0,
                {kRule, kC9},
                kStopped},
        IrpCase{"IoBuildDeviceControlNoFree",
                0x812,
                kRule,
                0,
                logged("own "),
                kAny,
                exactly(0),
                N,
                "IoBuildDeviceControlNoFree",
                0,
                {kRule, kC9},
                kStopped},
        IrpCase{"IoBuildDeviceControlWait", 0x813, kRule, 0, logged("own "), logged("dispatch "), exactly(0), N,
                "IoBuildDeviceControlWait"},
        IrpCase{"IoAllocateForward",
                0x814,
                kRule,
                0,
                logged("own "),
                kAny,
                exactly(0),
                N,
                "IoAllocateForward",
                0,
                {kRule, KMODE_EXCEPTION_NOT_HANDLED},
                kStopped},
        IrpCase{"CancelSpinLock",
                0x815,
                kRule,
                0,
                kAny,
                logged("dispatch "),
                exactly(0),
                N,
                "CancelSpinLock",
                0,
                {kRule, kC9},
                kStopped},
        IrpCase{"IoSetCompletionExCompleteIrp",
                0x816,
                kC4,
                0x4100F,
                kAny,
                logged("irp "),
                exactly(0),
                F,
                "IoSetCompletionExCompleteIrp",
                0,
                {},
                kStopped,
                kVerifierStandardFlags | kVerifierSystematicLowResources}),
    RowName());

}  // namespace
}  // namespace wdmlab::test
