// start_io_recursion (samples/buggy): StartIo completes a read from its cache and calls
// IoStartNextPacket from inside StartIo without deferred StartIo. No interleaving is needed: one
// read. The rule is non-fatal and the read finishes.
//
// Machine: 1 processor, seed 1 (any machine gives the same finding).
#include <gtest/gtest.h>
#include <wdm.h>

#include <string>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr Machine kMachine{.processors = 1, .seed = 1};

Outcome read(std::string& received, const Machine& machine = kMachine) {
  return play(machine, START_IO_RECURSION_IMAGE, [&received](Lab&, UserProcess& app) {
    auto* buffer = static_cast<char*>(app.alloc(4));
    auto* bytes = app.alloc_array<DWORD>(1);
    app.run("main", [=, &received] {
      HANDLE device = open_device(u"\\\\.\\StartIoRecursion", 0);
      ASSERT_NE(device, INVALID_HANDLE_VALUE);
      EXPECT_TRUE(ReadFile(device, buffer, 4, bytes, nullptr));
      received.assign(buffer, *bytes);
      CloseHandle(device);
    });
  });
}

TEST(StartIoRecursion, IsTheRuleStartIoRecursionInStartIo) {
  std::string received;
  const Outcome run = read(received);
  EXPECT_EQ(run.status, RunStatus::Idle);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, WDMLAB_DDI_RULE_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.rule, "StartIoRecursion");
  EXPECT_EQ(finding.parameters[1], run.logged_address("device "));
  EXPECT_NE(finding.parameters[2], 0u);  // the return address in StartIo
  EXPECT_EQ(finding.parameters[3], 1u);
  EXPECT_EQ(finding.severity, Severity::NonFatal);
  EXPECT_EQ(finding.driver, "start_io_recursion");
  EXPECT_EQ(culprit_function(finding), "StartIoRecursionStartIo");
  EXPECT_EQ(received, "cccc");

  std::string again_received;
  const Outcome again = read(again_received);
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[1], again.logged_address("device "));
}

TEST(StartIoRecursion, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    std::string received;
    const Outcome run = read(received, machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].rule, "StartIoRecursion") << describe(machine);
    EXPECT_EQ(received, "cccc") << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
