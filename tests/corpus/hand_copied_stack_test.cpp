// hand_copied_stack (samples/buggy): a filter marks a read pending and fills the lower stack
// location with a structure copy of its own. No interleaving is needed: one read.
//
// Machine: 1 processor, seed 1 (any machine gives the same finding).
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr Machine kMachine{.processors = 1, .seed = 1};

Outcome read(const Machine& machine = kMachine) {
  return play(machine, HAND_COPIED_STACK_IMAGE, [](Lab&, UserProcess& app) {
    auto* buffer = static_cast<char*>(app.alloc(16));
    auto* bytes = app.alloc_array<DWORD>(1);
    app.run("main", [=] {
      HANDLE device = open_device(u"\\\\.\\HandCopiedStack", 0);
      ASSERT_NE(device, INVALID_HANDLE_VALUE);
      ReadFile(device, buffer, 16, bytes, nullptr);  // stops the machine
      ADD_FAILURE() << "the read returned";
    });
  });
}

TEST(HandCopiedStack, IsIoManagerViolation206InTheFilter) {
  const Outcome run = read();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_IOMANAGER_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 0x206u);
  EXPECT_NE(finding.parameters[1], 0u);  // the return address in the filter
  EXPECT_EQ(finding.parameters[2], run.logged_address("filter read "));
  EXPECT_EQ(finding.parameters[3], 0u);
  EXPECT_EQ(finding.severity, Severity::Fatal);
  EXPECT_EQ(finding.driver, "hand_copied_stack");
  EXPECT_EQ(culprit_function(finding), "HandCopiedStackFilterRead");

  const Outcome again = read();
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[2], again.logged_address("filter read "));
}

TEST(HandCopiedStack, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = read(machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].parameters[0], 0x206u) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[2], run.logged_address("filter read ")) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
