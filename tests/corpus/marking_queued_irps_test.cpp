// marking_queued_irps and marking_interlocked_queued_irps (samples/buggy): a read is made visible
// on the driver's queue (InsertTailList under the queue's spin lock, or ExInterlockedInsertTailList)
// before it is marked pending. DDI compliance checking reports the rule when the IRP becomes
// visible, whatever the interleaving: one read, then one write that completes it.
//
// Machine: 1 processor, seed 1 (any machine gives the same finding).
#include <gtest/gtest.h>
#include <wdm.h>

#include <cstring>
#include <string>

#include "corpus/corpus_test.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr Machine kMachine{.processors = 1, .seed = 1};

struct QueueCase {
  std::string name;
  const char* image;
  const char16_t* device;
  std::string driver;
  std::string rule;
};

Outcome read_then_write(const QueueCase& test, std::string& received, const Machine& machine = kMachine) {
  return play(machine, test.image, [&test, &received](Lab&, UserProcess& app) {
    auto* buffer = static_cast<char*>(app.alloc(16));
    auto* overlapped = app.alloc_array<OVERLAPPED>(2);
    app.run("main", [=, &test, &received] {
      HANDLE device = open_device(test.device, FILE_FLAG_OVERLAPPED);
      ASSERT_NE(device, INVALID_HANDLE_VALUE);
      ReadFile(device, buffer, 8, nullptr, &overlapped[0]);
      std::memcpy(buffer + 8, "in order", 8);
      DWORD bytes = 0;
      WriteFile(device, buffer + 8, 8, nullptr, &overlapped[1]);
      EXPECT_TRUE(GetOverlappedResult(device, &overlapped[1], &bytes, TRUE));
      EXPECT_TRUE(GetOverlappedResult(device, &overlapped[0], &bytes, TRUE));
      received.assign(buffer, bytes);
      CloseHandle(device);
    });
  });
}

class MarkingQueuedIrps : public ::testing::TestWithParam<QueueCase> {};

TEST_P(MarkingQueuedIrps, IsTheRuleNamingTheIrpAndTheReadRoutine) {
  const QueueCase& test = GetParam();
  std::string received;
  const Outcome run = read_then_write(test, received);
  EXPECT_EQ(run.status, RunStatus::Idle);
  ASSERT_EQ(run.findings.size(), 1u) << run.summaries();
  const Finding& finding = run.findings[0];
  EXPECT_EQ(finding.code, WDMLAB_DDI_RULE_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.rule, test.rule);
  EXPECT_EQ(finding.parameters[1], run.logged_address("read "));
  EXPECT_EQ(finding.parameters[2], run.logged_address("routine "));
  EXPECT_EQ(finding.severity, Severity::NonFatal);
  EXPECT_EQ(finding.driver, test.driver);
  EXPECT_EQ(received, "in order");

  std::string again_received;
  const Outcome again = read_then_write(test, again_received);
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[1], again.logged_address("read "));
}

TEST_P(MarkingQueuedIrps, SameFindingOnOtherMachines) {
  const QueueCase& test = GetParam();
  for (const Machine& machine : other_machines()) {
    std::string received;
    const Outcome run = read_then_write(test, received, machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].rule, test.rule) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[1], run.logged_address("read ")) << describe(machine);
  }
}

TEST_P(MarkingQueuedIrps, IsNotReportedWithoutDdiComplianceChecking) {
  std::string received;
  const Outcome run = read_then_write(
      GetParam(), received, {.processors = 1, .seed = 1, .verifier_flags = kVerifierStandardFlags & ~kVerifierDdiCompliance});
  EXPECT_TRUE(run.findings.empty()) << run.summaries();
  EXPECT_EQ(received, "in order");
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, MarkingQueuedIrps,
    ::testing::Values(QueueCase{"UnderSpinLock", MARKING_QUEUED_IRPS_IMAGE, u"\\\\.\\MarkingQueuedIrps",
                                "marking_queued_irps", "MarkingQueuedIrps"},
                      QueueCase{"Interlocked", MARKING_INTERLOCKED_QUEUED_IRPS_IMAGE,
                                u"\\\\.\\MarkingInterlockedQueuedIrps", "marking_interlocked_queued_irps",
                                "MarkingInterlockedQueuedIrps"}),
    RowName());

}  // namespace
}  // namespace wdmlab::test
