// information_overflow (samples/buggy): a buffered device control reports 16 output bytes to a
// caller whose buffer holds 8. No interleaving is needed: one query. The finding is non-fatal:
// the run goes on and the caller gets its answer.
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
constexpr DWORD kGetId = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);

struct Answer {
  BOOL ok = FALSE;
  DWORD returned = 0;
  std::string bytes;
};

Outcome get_id_into_8_bytes(Answer& answer, const Machine& machine = kMachine) {
  return play(machine, INFORMATION_OVERFLOW_IMAGE, [&answer](Lab&, UserProcess& app) {
    auto* output = static_cast<char*>(app.alloc(8));
    auto* returned = app.alloc_array<DWORD>(1);
    app.run("main", [=, &answer] {
      HANDLE device = open_device(u"\\\\.\\InformationOverflow", 0);
      ASSERT_NE(device, INVALID_HANDLE_VALUE);
      answer.ok = DeviceIoControl(device, kGetId, nullptr, 0, output, 8, returned, nullptr);
      answer.returned = *returned;
      answer.bytes.assign(output, 8);
      CloseHandle(device);
    });
  });
}

TEST(InformationOverflow, IsNonFatalIoManagerViolation312WithTheIrpAndTheInformation) {
  Answer answer;
  const Outcome run = get_id_into_8_bytes(answer);
  EXPECT_EQ(run.status, RunStatus::Idle);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_IOMANAGER_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 0x312u);
  EXPECT_NE(finding.parameters[1], 0u);  // the return address in the driver
  EXPECT_EQ(finding.parameters[2], run.logged_address("get id "));
  EXPECT_EQ(finding.parameters[3], 16u);
  EXPECT_EQ(finding.severity, Severity::NonFatal);
  EXPECT_EQ(finding.driver, "information_overflow");
  EXPECT_EQ(culprit_function(finding), "InformationOverflowDeviceControl");
  // The request still finishes: the caller is told 16 bytes and gets the 8 its buffer holds.
  EXPECT_TRUE(answer.ok);
  EXPECT_EQ(answer.returned, 16u);
  EXPECT_EQ(answer.bytes, "wdmlab-i");

  Answer again_answer;
  const Outcome again = get_id_into_8_bytes(again_answer);
  expect_replayed(run, again);
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].parameters[2], again.logged_address("get id "));
}

TEST(InformationOverflow, SameFindingOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    Answer answer;
    const Outcome run = get_id_into_8_bytes(answer, machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].parameters[0], 0x312u) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[2], run.logged_address("get id ")) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
