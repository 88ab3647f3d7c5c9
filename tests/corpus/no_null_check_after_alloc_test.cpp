// no_null_check_after_alloc (samples/buggy): a pool allocation used without a NULL test, exposed by
// Systematic Low Resources Simulation.
//
// Machine: 1 processor, seed 1; the driver verified with the standard set plus /flags 0x40000. The
// application records two values; the first call's allocation is the first from its call stack,
// so the verifier fails it, logs the fault, and the driver stores through NULL.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr DWORD kRecord = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);

VerifierOptions systematic_low_resources() {
  VerifierOptions options;
  options.driver_flags["no_null_check_after_alloc"] = kVerifierStandardFlags | kVerifierSystematicLowResources;
  return options;
}

Outcome record_twice(VerifierOptions verifier, const Machine& machine = kGoldenMachine) {
  return play(
      machine, NO_NULL_CHECK_AFTER_ALLOC_IMAGE,
      [](Lab&, UserProcess& app) {
        auto* value = app.alloc_array<ULONG>(1);
        app.run("main", [=] {
          const HANDLE device = open_device(u"\\\\.\\NoNullCheckAfterAlloc", 0);
          ASSERT_NE(device, INVALID_HANDLE_VALUE);
          DWORD bytes = 0;
          for (ULONG i = 1; i <= 2; ++i) {
            *value = i;
            DeviceIoControl(device, kRecord, value, sizeof(ULONG), nullptr, 0, &bytes, nullptr);
          }
          CloseHandle(device);
        });
      },
      verifier);
}

TEST(NoNullCheckAfterAlloc, TheInjectedFailureIsLoggedAndTheStoreThroughNullCrashes) {
  const Outcome run = record_twice(systematic_low_resources());
  EXPECT_EQ(run.status, RunStatus::Stopped);
  EXPECT_TRUE(
      run.logged("systematic low resources fault injected: ExAllocatePoolWithTag (tag 'Null') failed for "
                 "no_null_check_after_alloc called from"));
  EXPECT_EQ(run.lines("no_null_check_after_alloc: "),
            std::vector<std::string>{"no_null_check_after_alloc: record 0000000000000000"});
  const Finding& finding = run.finding();
  // The fault happens in a system service (the application's DeviceIoControl): 0x3B.
  EXPECT_EQ(finding.code, SYSTEM_SERVICE_EXCEPTION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], static_cast<std::uint32_t>(STATUS_ACCESS_VIOLATION));
  ASSERT_NE(finding.culprit_frame(), nullptr);
  EXPECT_EQ(finding.parameters[1], finding.culprit_frame()->pc);  // the faulting store
  EXPECT_EQ(finding.severity, Severity::Fatal);
  EXPECT_EQ(finding.driver, "no_null_check_after_alloc");
  EXPECT_EQ(culprit_function(finding), "NoNullCheckAfterAllocIoctl") << finding.to_text();
  EXPECT_EQ(finding.context.name, "main");
  expect_replayed(run, record_twice(systematic_low_resources()));
}

TEST(NoNullCheckAfterAlloc, WithoutTheStressBothRecordsAreKept) {
  const Outcome run = record_twice({});
  EXPECT_EQ(run.status, RunStatus::Idle);
  EXPECT_TRUE(run.findings.empty()) << run.summaries();
  EXPECT_EQ(run.lines("no_null_check_after_alloc: ").size(), 2u);
}

TEST(NoNullCheckAfterAlloc, IsTheSameOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = record_twice(systematic_low_resources(), machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << run.summaries();
    EXPECT_EQ(run.findings[0].code, SYSTEM_SERVICE_EXCEPTION) << describe(machine);
    EXPECT_EQ(culprit_function(run.findings[0]), "NoNullCheckAfterAllocIoctl") << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
