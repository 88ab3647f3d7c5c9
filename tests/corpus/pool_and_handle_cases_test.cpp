// pool_and_handle_cases (samples/buggy): one IOCTL per bug, each fatal under Driver Verifier, so
// each case is a lab of its own: pool misuse (zero bytes, pool at the wrong IRQL, a free of what no
// allocator returned, a block freed holding a set timer, the alignment slack overwritten), what
// DriverUnload leaves behind (a lookaside list, a queued work item), and handles and Zw arguments
// (a stale handle, a double ZwClose, a kernel handle referenced with UserMode, a user-mode name).
//
// Machine: 1 processor, seed 1 (the bugs do not depend on an interleaving; the other machines give
// the same finding). app.exe opens the device, sends the case's IOCTL and closes the device; the
// unload cases then unload the driver once the lab is idle.
#include <gtest/gtest.h>
#include <wdm.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <string>

#include "corpus/corpus_test.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr DWORD buffered(DWORD function) {
  return CTL_CODE(FILE_DEVICE_UNKNOWN, function, METHOD_BUFFERED, FILE_ANY_ACCESS);
}
constexpr DWORD kCreateNamedEvent = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x80D, METHOD_NEITHER, FILE_ANY_ACCESS);
constexpr char16_t kEventName[] = u"\\BaseNamedObjects\\PoolAndHandleCasesReady";

// What one parameter of the finding must be: a constant, an address the driver logged after
// `marker` (plus `offset`), or anything but 0 (a caller's address).
struct Expected {
  enum class Kind { Value, Logged, NotZero } kind = Kind::Value;
  std::uint64_t value = 0;
  const char* marker = nullptr;
};
constexpr Expected value(std::uint64_t v) { return {Expected::Kind::Value, v, nullptr}; }
constexpr Expected logged(const char* marker, std::uint64_t offset = 0) {
  return {Expected::Kind::Logged, offset, marker};
}
constexpr Expected not_zero() { return {Expected::Kind::NotZero, 0, nullptr}; }

struct PoolCase {
  std::string name;
  DWORD ioctl;
  bool unload;  // the bug shows when the driver unloads, after the IOCTL
  std::uint32_t code;
  std::array<Expected, 4> parameters;
  Severity severity;
  std::string rule;
  std::string culprit;    // the culprit frame's function; for the unload audit, "" (DriverUnload returned)
  bool clean_unverified;  // Windows without Driver Verifier goes on, and so does an unverified lab
  DWORD unverified_error = ERROR_SUCCESS;  // then, what the IOCTL gives the application
};

constexpr Severity kFatal = Severity::Fatal;
constexpr std::uint64_t kPagedPool = PagedPool;
constexpr std::uint64_t kNonPagedPoolNx = NonPagedPoolNx;

// clang-format off
const PoolCase kCases[] = {
    {"ZeroByteAllocation", buffered(0x800), false, DRIVER_VERIFIER_DETECTED_VIOLATION,
     {value(0x00), value(PASSIVE_LEVEL), value(kNonPagedPoolNx), value(0)},
     kFatal, "", "PoolAndHandleCasesCopyInput", true},
    {"PagedPoolAtDispatchLevel", buffered(0x801), false, DRIVER_VERIFIER_DETECTED_VIOLATION,
     {value(0x01), value(DISPATCH_LEVEL), value(kPagedPool), value(48)},
     kFatal, "IrqlExAllocatePool", "PoolAndHandleCasesRecordEvent", false},
    {"NonPagedPoolAtHighLevel", buffered(0x802), false, DRIVER_VERIFIER_DETECTED_VIOLATION,
     {value(0x02), value(HIGH_LEVEL), value(kNonPagedPoolNx), value(64)},
     kFatal, "IrqlExAllocatePool", "PoolAndHandleCasesSnapshot", false},
    {"FreeOfAGlobal", buffered(0x803), false, DRIVER_VERIFIER_DETECTED_VIOLATION,
     {value(0x10), logged("default name "), value(0), value(0)},
     kFatal, "", "PoolAndHandleCasesResetName", false},
    {"PagedPoolFreedAtDispatchLevel", buffered(0x804), false, DRIVER_VERIFIER_DETECTED_VIOLATION,
     {value(0x11), value(DISPATCH_LEVEL), value(kPagedPool), logged("history entry ")},
     kFatal, "IrqlExFree1", "PoolAndHandleCasesTrimHistory", false},
    {"NonPagedPoolFreedAtHighLevel", buffered(0x805), false, DRIVER_VERIFIER_DETECTED_VIOLATION,
     {value(0x12), value(HIGH_LEVEL), value(kNonPagedPoolNx), logged("snapshot ")},
     kFatal, "IrqlExFree1", "PoolAndHandleCasesDropSnapshot", false},
    {"BlockFreedHoldingASetTimer", buffered(0x806), false, DRIVER_VERIFIER_DETECTED_VIOLATION,
     {value(0x15), logged("timer "), value(kNonPagedPoolNx), logged("request ")},
     kFatal, "", "PoolAndHandleCasesTimedRequest", false},
    {"AlignmentSlackOverwritten", buffered(0x807), false, SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION,
     {logged("serial "), logged("serial ", 13), value(0), value(0x24)},
     kFatal, "", "PoolAndHandleCasesReadSerial", true},
    {"LookasideListLeftAtUnload", buffered(0x808), true, DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS,
     {logged("lookaside "), value(0), value(0), value(0)},
     kFatal, "", "", false},
    {"WorkItemQueuedAtUnload", buffered(0x809), true, DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS,
     {logged("save item "), value(0), logged("routine "), value(0)},
     kFatal, "", "", false},
    {"StaleKernelHandle", buffered(0x80A), false, DRIVER_VERIFIER_DETECTED_VIOLATION,
     {value(0x3C), logged("stale handle "), logged("type "), value(0)},
     kFatal, "", "PoolAndHandleCasesWaitReady", true, ERROR_INVALID_HANDLE},
    {"KernelHandleClosedTwice", buffered(0x80B), false, INVALID_KERNEL_HANDLE,
     {logged("closed handle "), value(1), value(0), value(1)},
     kFatal, "", "PoolAndHandleCasesResetReady", true},
    {"KernelHandleReferencedWithUserMode", buffered(0x80C), false, DRIVER_VERIFIER_DETECTED_VIOLATION,
     {value(0xF7), logged("kernel handle "), logged("type "), value(UserMode)},
     kFatal, "", "PoolAndHandleCasesSignal", true, ERROR_INVALID_HANDLE},
    {"ZwGivenAUserModeName", kCreateNamedEvent, false, DRIVER_VERIFIER_DETECTED_VIOLATION,
     {value(0xE3), logged("user name "), not_zero(), value(0)},
     kFatal, "", "PoolAndHandleCasesCreateNamedEvent", true},
};
// clang-format on

// app.exe opens the device, sends the case's IOCTL (the named-event case gives the name as its
// METHOD_NEITHER input; the others no input and a 16-byte output buffer) and closes the device.
// `error` receives what the IOCTL gave the application (ERROR_SUCCESS, or GetLastError()) if it
// returned.
Outcome send(const PoolCase& test, const Machine& machine = kGoldenMachine, DWORD* error = nullptr) {
  return play(
      machine, POOL_AND_HANDLE_CASES_IMAGE,
      [&test, error](Lab&, UserProcess& app) {
        const bool named = test.ioctl == kCreateNamedEvent;
        auto* name = static_cast<char16_t*>(app.alloc(sizeof(kEventName)));
        std::copy(std::begin(kEventName), std::end(kEventName), name);
        auto* output = static_cast<char*>(app.alloc(16));
        auto* returned = app.alloc_array<DWORD>(1);
        const DWORD code = test.ioctl;
        app.run("main", [=] {
          const HANDLE device = open_device(u"\\\\.\\PoolAndHandleCases", 0);
          ASSERT_NE(device, INVALID_HANDLE_VALUE);
          const BOOL done =
              DeviceIoControl(device, code, named ? name : nullptr, named ? sizeof(kEventName) - sizeof(char16_t) : 0,
                              named ? nullptr : output, named ? 0 : 16, returned, nullptr);
          if (error != nullptr) *error = done ? ERROR_SUCCESS : GetLastError();
          CloseHandle(device);
        });
      },
      test.unload);
}

void expect_parameters(const Finding& finding, const Outcome& run, const PoolCase& test) {
  for (std::size_t i = 0; i < 4; ++i) {
    const Expected& expected = test.parameters[i];
    switch (expected.kind) {
      case Expected::Kind::Value:
        EXPECT_EQ(finding.parameters[i], expected.value) << "P" << i + 1 << "\n" << finding.to_text();
        break;
      case Expected::Kind::Logged:
        EXPECT_EQ(finding.parameters[i], run.logged_address(expected.marker) + expected.value) << "P" << i + 1 << "\n"
                                                                                               << finding.to_text();
        break;
      case Expected::Kind::NotZero:
        EXPECT_NE(finding.parameters[i], 0u) << "P" << i + 1 << "\n" << finding.to_text();
        break;
    }
  }
}

class PoolAndHandleCases : public ::testing::TestWithParam<PoolCase> {};

TEST_P(PoolAndHandleCases, IsTheDocumentedFinding) {
  const PoolCase& test = GetParam();
  const Outcome run = send(test);
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, test.code) << finding.to_text();
  expect_parameters(finding, run, test);
  EXPECT_EQ(finding.severity, test.severity);
  EXPECT_EQ(finding.rule, test.rule);
  EXPECT_EQ(finding.driver, "pool_and_handle_cases");
  if (test.unload) {
    EXPECT_EQ(finding.context.name, "DriverUnload(pool_and_handle_cases)");
  } else {
    EXPECT_EQ(culprit_function(finding), test.culprit) << finding.to_text();
  }

  const Outcome again = send(test);
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u) << again.summaries();
  expect_parameters(again.findings[0], again, test);
}

TEST_P(PoolAndHandleCases, SameFindingOnOtherMachines) {
  const PoolCase& test = GetParam();
  for (const Machine& machine : other_machines()) {
    const Outcome run = send(test, machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].code, test.code) << describe(machine);
    expect_parameters(run.findings[0], run, test);
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, PoolAndHandleCases, ::testing::ValuesIn(kCases), RowName());

// On an unverified machine the bugs Windows survives without Driver Verifier give no finding: the
// zero-byte block, the slack byte, and the handle and Zw misuse (the kernel answers
// STATUS_INVALID_HANDLE, or takes the name as it finds it).
TEST(PoolAndHandleCasesUnverified, TheBugsWindowsSurvivesGiveNoFinding) {
  for (const PoolCase& test : kCases) {
    if (!test.clean_unverified) continue;
    DWORD error = ~DWORD{0};
    const Outcome run = send(test, {.processors = 1, .seed = 1, .verifier_flags = 0}, &error);
    EXPECT_EQ(run.status, RunStatus::Idle) << test.name;
    EXPECT_TRUE(run.findings.empty()) << test.name << "\n" << run.summaries();
    EXPECT_EQ(error, test.unverified_error) << test.name;
  }
}

}  // namespace
}  // namespace wdmlab::test
