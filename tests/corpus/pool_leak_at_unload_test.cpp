// pool_leak_at_unload (samples/buggy): DriverUnload forgets the settings block DriverEntry
// allocated. Pool tracking (flag 0x8) reports it once DriverUnload returns (0xC4/0x62).
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

constexpr Machine kMachine{.processors = 1, .seed = 1};

Outcome load_and_unload(const Machine& machine = kMachine) {
  return play(
      machine, POOL_LEAK_AT_UNLOAD_IMAGE, [](Lab&, UserProcess&) {}, true);
}

TEST(PoolLeakAtUnload, IsC4_62ListingTheLeak) {
  const Outcome run = load_and_unload();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 0x62u);
  EXPECT_EQ(finding.parameters[1], run.logged_address("name "));  // &DriverObject->DriverName
  EXPECT_EQ(finding.parameters[3], 1u);                           // one allocation not freed
  EXPECT_EQ(finding.driver, "pool_leak_at_unload");
  EXPECT_EQ(finding.context.name, "DriverUnload(pool_leak_at_unload)");
  const std::string leak = "0x" +
                           [](std::string text) {
                             for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                             return text.substr(text.find_first_not_of('0'));
                           }(pointer_text(run.logged_address("settings "))) +
                           " tag 'LkCf' 96 bytes (paged pool)";
  EXPECT_NE(finding.description.find(leak), std::string::npos) << finding.description;
  bool allocation_shown = false;
  for (const ContextSnapshot& stack : finding.involved) {
    if (stack.name == "allocation of " + leak) {
      allocation_shown = std::any_of(stack.stack.begin(), stack.stack.end(),
                                     [](const StackFrame& frame) { return frame.function == "DriverEntry"; });
    }
  }
  EXPECT_TRUE(allocation_shown) << finding.to_text();

  const Outcome again = load_and_unload();
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[1], again.logged_address("name "));
}

TEST(PoolLeakAtUnload, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = load_and_unload(machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].parameters[0], 0x62u) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[3], 1u) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
