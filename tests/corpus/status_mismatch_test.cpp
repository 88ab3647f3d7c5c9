// status_mismatch (samples/buggy): a device control completed with STATUS_SUCCESS whose dispatch
// routine returns STATUS_BUFFER_TOO_SMALL. No interleaving is needed: one query with a 2-byte
// output buffer.
//
// Machine: 1 processor, seed 1 (any machine gives the same finding).
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr Machine kMachine{.processors = 1, .seed = 1};
constexpr DWORD kQuery = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);

Outcome query_with_a_small_buffer(const Machine& machine = kMachine) {
  return play_device_control_that_stops(machine, STATUS_MISMATCH_IMAGE, u"\\\\.\\StatusMismatch", kQuery, 0, 2);
}

TEST(StatusMismatch, IsIoManagerViolation224WithTheRoutineTheIrpAndTheCompletedStatus) {
  const Outcome run = query_with_a_small_buffer();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_IOMANAGER_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 0x224u);
  EXPECT_EQ(finding.parameters[1], run.logged_address("routine "));
  EXPECT_EQ(finding.parameters[2], run.logged_address("query "));
  EXPECT_EQ(finding.parameters[3], static_cast<std::uint32_t>(STATUS_SUCCESS));
  EXPECT_EQ(finding.severity, Severity::Fatal);
  EXPECT_EQ(finding.driver, "status_mismatch");
  EXPECT_EQ(finding.bucket(), "0xC9_224");

  const Outcome again = query_with_a_small_buffer();
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[2], again.logged_address("query "));
}

TEST(StatusMismatch, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = query_with_a_small_buffer(machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].parameters[0], 0x224u) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[2], run.logged_address("query ")) << describe(machine);
  }
}

// Unverified, the kernel accepts the request: the caller gets the failure the routine returned.
TEST(StatusMismatch, IsNotReportedWithoutTheVerifier) {
  Lab lab({.processors = 1, .seed = 1, .verifier = VerifierOptions::off()});
  ASSERT_TRUE(lab.load_driver(STATUS_MISMATCH_IMAGE).loaded());
  UserProcess& app = lab.create_process("app.exe");
  auto* output = static_cast<char*>(app.alloc(2));
  BOOL ok = TRUE;
  DWORD error = 0;
  app.run("main", [&, output] {
    HANDLE device = open_device(u"\\\\.\\StatusMismatch", 0);
    DWORD returned = 0;
    ok = DeviceIoControl(device, kQuery, nullptr, 0, output, 2, &returned, nullptr);
    error = GetLastError();
    CloseHandle(device);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_FALSE(ok);
  EXPECT_EQ(error, static_cast<DWORD>(ERROR_INSUFFICIENT_BUFFER));
}

}  // namespace
}  // namespace wdmlab::test
