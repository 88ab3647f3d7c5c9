// lower_driver_return (samples/buggy): a filter returns STATUS_SUCCESS for a read its lower device
// pended. No interleaving is needed: one overlapped read. The DDI compliance rule is reported
// first (non-fatal), then the I/O manager's 0x226 stops the machine.
//
// Machine: 1 processor, seed 1 (any machine gives the same findings).
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr Machine kMachine{.processors = 1, .seed = 1};

Outcome read(const Machine& machine = kMachine) {
  return play(machine, LOWER_DRIVER_RETURN_IMAGE, [](Lab&, UserProcess& app) {
    auto* buffer = static_cast<char*>(app.alloc(4));
    auto* overlapped = app.alloc_array<OVERLAPPED>(1);
    app.run("main", [=] {
      HANDLE device = open_device(u"\\\\.\\LowerDriverReturn", FILE_FLAG_OVERLAPPED);
      ASSERT_NE(device, INVALID_HANDLE_VALUE);
      ReadFile(device, buffer, 4, nullptr, overlapped);  // stops the machine
      ADD_FAILURE() << "the read returned";
    });
  });
}

TEST(LowerDriverReturn, IsTheRuleThenIoManagerViolation226) {
  const Outcome run = read();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  ASSERT_EQ(run.findings.size(), 2u) << run.summaries();
  const Finding& rule = run.findings[0];
  EXPECT_EQ(rule.code, WDMLAB_DDI_RULE_VIOLATION) << rule.to_text();
  EXPECT_EQ(rule.rule, "LowerDriverReturn");
  EXPECT_EQ(rule.parameters[1], run.logged_address("read "));
  EXPECT_EQ(rule.parameters[2], run.logged_address("routine "));
  EXPECT_EQ(rule.parameters[3], static_cast<std::uint32_t>(STATUS_SUCCESS));
  EXPECT_EQ(rule.severity, Severity::NonFatal);
  EXPECT_EQ(rule.driver, "lower_driver_return");
  const Finding& stop = run.findings[1];
  EXPECT_EQ(stop.code, DRIVER_VERIFIER_IOMANAGER_VIOLATION) << stop.to_text();
  EXPECT_EQ(stop.parameters[0], 0x226u);
  EXPECT_EQ(stop.parameters[1], run.logged_address("routine "));
  EXPECT_EQ(stop.parameters[2], run.logged_address("read "));
  EXPECT_EQ(stop.parameters[3], static_cast<std::uint32_t>(STATUS_SUCCESS));
  EXPECT_EQ(stop.severity, Severity::Fatal);
  EXPECT_EQ(stop.driver, "lower_driver_return");

  const Outcome again = read();
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 2u);
  EXPECT_EQ(again.findings[1].parameters[2], again.logged_address("read "));
}

TEST(LowerDriverReturn, SameFindingsOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = read(machine);
    ASSERT_EQ(run.findings.size(), 2u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].rule, "LowerDriverReturn") << describe(machine);
    EXPECT_EQ(run.findings[1].parameters[0], 0x226u) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
