// no_cancel_recheck (samples/buggy): a read cancelled while the dispatch routine programs the
// device becomes cancelable afterwards, and nothing ever completes it.
//
// Machine: 2 processors, seed 1. Virtual time orders the race: the dispatch routine programs the
// device for 10 ms; the canceller sleeps 5 ms, then calls CancelIoEx.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

struct Shared {
  HANDLE device = nullptr;
  BOOL cancelled = FALSE;
  DWORD cancel_error = 0;
};

constexpr Machine kMachine{.processors = 2, .seed = 1};

Outcome cancel_during_setup(Shared& shared, const Machine& machine = kMachine) {
  return play(machine, NO_CANCEL_RECHECK_IMAGE, [&shared](Lab&, UserProcess& app) {
    auto* buffer = static_cast<char*>(app.alloc(16));
    auto* overlapped = app.alloc_array<OVERLAPPED>(1);
    app.run("reader", [=, &shared] {
      shared.device = open_device(u"\\\\.\\NoCancelRecheck", FILE_FLAG_OVERLAPPED);
      ASSERT_NE(shared.device, INVALID_HANDLE_VALUE);
      EXPECT_FALSE(ReadFile(shared.device, buffer, 16, nullptr, overlapped));
      EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
      DWORD bytes = 0;
      GetOverlappedResult(shared.device, overlapped, &bytes, TRUE);  // never returns
      ADD_FAILURE() << "the read completed";
    });
    app.run("canceller", [=, &shared] {
      Sleep(5);  // the dispatch routine is programming the device
      shared.cancelled = CancelIoEx(shared.device, overlapped);
      shared.cancel_error = GetLastError();
    });
  });
}

TEST(NoCancelRecheck, TheCancelledReadHangsTheReader) {
  Shared shared;
  const Outcome run = cancel_during_setup(shared);
  EXPECT_TRUE(shared.cancelled) << shared.cancel_error;  // CancelIoEx found the read
  EXPECT_EQ(run.status, RunStatus::Stopped);
  ASSERT_EQ(run.findings.size(), 2u) << run.summaries();
  // DDI compliance checking sees it first, when the dispatch routine returns: the read is pending,
  // cancelled, and has a cancel routine nobody will call (rule IrpCancelField, non-fatal).
  const Finding& rule = run.findings[0];
  EXPECT_EQ(rule.code, WDMLAB_DDI_RULE_VIOLATION) << rule.to_text();
  EXPECT_EQ(rule.rule, "IrpCancelField");
  EXPECT_EQ(rule.parameters[1], run.logged_address("read "));
  EXPECT_EQ(rule.driver, "no_cancel_recheck");
  const Finding& finding = run.findings[1];
  EXPECT_EQ(finding.code, WDMLAB_HANG) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 1u);  // one blocked thread
  EXPECT_EQ(finding.parameters[1], run.logged_address("for file ") + offsetof(FILE_OBJECT, Event));
  EXPECT_EQ(finding.parameters[2], 0u);  // nothing can wake it
  EXPECT_EQ(finding.parameters[3], 0u);
  EXPECT_EQ(finding.context.name, "reader");
  EXPECT_EQ(finding.context.irql, PASSIVE_LEVEL);
  EXPECT_NE(finding.context.waiting_on.find("event"), std::string::npos) << finding.context.waiting_on;
  EXPECT_TRUE(finding.involved.empty());  // the canceller has ended
  // The reader's own frame, in GetOverlappedResult: no driver code runs while it hangs.
  const StackFrame* culprit = finding.culprit_frame();
  ASSERT_NE(culprit, nullptr);
  EXPECT_NE(culprit->file.find("no_cancel_recheck_test.cpp"), std::string::npos) << culprit->to_string();
  // The read was queued with its cancel routine after it had been cancelled, and never left.
  const std::string irp = pointer_text(run.logged_address("read "));
  const std::string file = pointer_text(run.logged_address("for file "));
  EXPECT_EQ(run.lines("no_cancel_recheck: "),
            (std::vector<std::string>{"no_cancel_recheck: read " + irp + " for file " + file + " programs the device",
                                      "no_cancel_recheck: read " + irp + " queued (cancelled: 1)"}));

  Shared again_shared;
  const Outcome again = cancel_during_setup(again_shared);
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 2u);
  EXPECT_EQ(again.findings[1].parameters[1], again.logged_address("for file ") + offsetof(FILE_OBJECT, Event));
}

TEST(NoCancelRecheck, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    Shared shared;
    const Outcome run = cancel_during_setup(shared, machine);
    ASSERT_EQ(run.findings.size(), 2u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].rule, "IrpCancelField") << describe(machine);
    EXPECT_EQ(run.findings[1].code, WDMLAB_HANG) << describe(machine);
    EXPECT_EQ(run.findings[1].parameters[1], run.logged_address("for file ") + offsetof(FILE_OBJECT, Event))
        << describe(machine);
    EXPECT_EQ(run.findings[1].context.name, "reader") << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
