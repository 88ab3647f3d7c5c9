// reference_dead_object (samples/buggy): ObReferenceObject on the file object in IRP_MJ_CLOSE,
// which the file object's delete procedure sends once its last reference is gone.
//
// Machine: 1 processor, seed 1. The application opens and closes the device once.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

Outcome open_and_close(VerifierOptions verifier = {}, const Machine& machine = kGoldenMachine) {
  return play(
      machine, REFERENCE_DEAD_OBJECT_IMAGE,
      [](Lab&, UserProcess& app) {
        app.run("main", [] {
          const HANDLE device = open_device(u"\\\\.\\ReferenceDeadObject", 0);
          ASSERT_NE(device, INVALID_HANDLE_VALUE);
          CloseHandle(device);
        });
      },
      verifier);
}

TEST(ReferenceDeadObject, Is3FNamingTheFileObject) {
  const Outcome run = open_and_close();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters, (std::array<std::uint64_t, 4>{0x3F, run.logged_address("file "), 1, 1}));
  EXPECT_EQ(finding.driver, "reference_dead_object");
  EXPECT_EQ(culprit_function(finding), "ReferenceDeadObjectClose");
  expect_replayed(run, open_and_close());
}

TEST(ReferenceDeadObject, UnverifiedIsReferenceByPointer) {
  const Outcome run = open_and_close(VerifierOptions::off());
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, REFERENCE_BY_POINTER) << finding.to_text();
  EXPECT_EQ(finding.parameters[1], run.logged_address("file "));
}

TEST(ReferenceDeadObject, IsTheSameOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = open_and_close({}, machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << run.summaries();
    EXPECT_EQ(run.findings[0].parameters[0], 0x3Fu) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[1], run.logged_address("file ")) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
