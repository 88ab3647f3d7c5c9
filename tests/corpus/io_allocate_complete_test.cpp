// io_allocate_complete (samples/buggy): a query with no input completes the IRP the driver
// allocated for its worker instead of freeing it. No interleaving is needed: one query. The
// warning 0x239 and the rule IoAllocateComplete are recorded; then the final stage, which has no
// thread to finish the IRP for, stops the machine.
//
// Machine: 1 processor, seed 1 (any machine gives the same findings).
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr Machine kMachine{.processors = 1, .seed = 1};
constexpr DWORD kQuery = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);

Outcome query_without_input(const Machine& machine = kMachine) {
  return play_device_control_that_stops(machine, IO_ALLOCATE_COMPLETE_IMAGE, u"\\\\.\\IoAllocateComplete", kQuery, 0, 0);
}

TEST(IoAllocateComplete, IsWarning239TheRuleThenTheKernelsFault) {
  const Outcome run = query_without_input();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  ASSERT_EQ(run.findings.size(), 3u) << run.summaries();
  const std::uint64_t irp = run.logged_address("query allocates ");
  const Finding& warning = run.findings[0];
  EXPECT_EQ(warning.code, DRIVER_VERIFIER_IOMANAGER_VIOLATION) << warning.to_text();
  EXPECT_EQ(warning.parameters[0], 0x239u);
  EXPECT_NE(warning.parameters[1], 0u);  // the return address in the driver
  EXPECT_EQ(warning.parameters[2], irp);
  EXPECT_EQ(warning.severity, Severity::Warning);
  EXPECT_EQ(warning.driver, "io_allocate_complete");
  const Finding& rule = run.findings[1];
  EXPECT_EQ(rule.code, WDMLAB_DDI_RULE_VIOLATION) << rule.to_text();
  EXPECT_EQ(rule.rule, "IoAllocateComplete");
  EXPECT_EQ(rule.parameters[1], irp);
  EXPECT_EQ(rule.parameters[2], warning.parameters[1]);
  EXPECT_EQ(rule.severity, Severity::NonFatal);
  const Finding& fault = run.findings[2];
  EXPECT_EQ(fault.code, KMODE_EXCEPTION_NOT_HANDLED) << fault.to_text();
  EXPECT_EQ(fault.parameters[0], static_cast<std::uint32_t>(STATUS_ACCESS_VIOLATION));
  EXPECT_EQ(fault.severity, Severity::Fatal);

  const Outcome again = query_without_input();
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 3u);
  EXPECT_EQ(again.findings[0].parameters[2], again.logged_address("query allocates "));
}

TEST(IoAllocateComplete, SameFindingsOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = query_without_input(machine);
    ASSERT_EQ(run.findings.size(), 3u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].parameters[0], 0x239u) << describe(machine);
    EXPECT_EQ(run.findings[1].rule, "IoAllocateComplete") << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
