// touch_after_complete (samples/buggy): the read dispatch routine writes to the IRP after the DPC
// completed it and the I/O manager freed it.
//
// Machine: 2 processors, seed 1. Virtual time orders it: the transfer takes 100 us, the dispatch
// routine waits 1 ms before the store.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr Machine kMachine{.processors = 2, .seed = 1};

Outcome read_once(const Machine& machine = kMachine) {
  return play(machine, TOUCH_AFTER_COMPLETE_IMAGE, [](Lab&, UserProcess& app) {
    auto* buffer = static_cast<char*>(app.alloc(16));
    auto* overlapped = app.alloc_array<OVERLAPPED>(1);
    app.run("main", [=] {
      HANDLE device = open_device(u"\\\\.\\TouchAfterComplete", FILE_FLAG_OVERLAPPED);
      ASSERT_NE(device, INVALID_HANDLE_VALUE);
      ReadFile(device, buffer, 16, nullptr, overlapped);
      ADD_FAILURE() << "ReadFile returned";
    });
  });
}

TEST(TouchAfterComplete, IsD5AtTheStoreIntoTheFreedIrp) {
  const Outcome run = read_once();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], run.logged_address("read ") + offsetof(IRP, IoStatus.Status));
  EXPECT_EQ(finding.parameters[1], 1u);  // a write
  EXPECT_EQ(finding.parameters[3], 0u);
  const StackFrame* culprit = finding.culprit_frame();
  ASSERT_NE(culprit, nullptr);
  EXPECT_EQ(culprit->function, "TouchAfterCompleteRead");
  EXPECT_EQ(finding.parameters[2], culprit->pc);
  EXPECT_EQ(finding.driver, "touch_after_complete");
  // The DPC completed the read (and its thread's final stage freed it) before the store.
  const std::string irp = pointer_text(run.logged_address("read "));
  EXPECT_EQ(run.lines("touch_after_complete: "),
            (std::vector<std::string>{"touch_after_complete: read " + irp + " starts",
                                      "touch_after_complete: read " + irp + " done"}));
  EXPECT_EQ(finding.severity, Severity::Fatal);
  EXPECT_EQ(finding.context.name, "main");

  const Outcome again = read_once();
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[0], again.logged_address("read ") + offsetof(IRP, IoStatus.Status));
}

TEST(TouchAfterComplete, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = read_once(machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].code, DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[0], run.logged_address("read ") + offsetof(IRP, IoStatus.Status))
        << describe(machine);
    EXPECT_EQ(culprit_function(run.findings[0]), "TouchAfterCompleteRead") << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
