// zw_bad_unicode_string (samples/buggy): a hand-built UNICODE_STRING whose MaximumLength counts
// characters, given to ZwCreateEvent when the device is opened.
//
// Machine: 1 processor, seed 1. The application opens the device once.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

Outcome open_once(VerifierOptions verifier = {}, const Machine& machine = kGoldenMachine) {
  return play(
      machine, ZW_BAD_UNICODE_STRING_IMAGE,
      [](Lab&, UserProcess& app) {
        app.run("main", [] {
          const HANDLE device = open_device(u"\\\\.\\ZwBadUnicodeString", 0);
          if (device != INVALID_HANDLE_VALUE) CloseHandle(device);
        });
      },
      verifier);
}

TEST(ZwBadUnicodeString, IsE4NamingTheString) {
  const Outcome run = open_once();
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], 0xE4u);
  EXPECT_EQ(finding.parameters[1], run.logged_address("name "));
  EXPECT_EQ(finding.driver, "zw_bad_unicode_string");
  EXPECT_EQ(culprit_function(finding), "ZwBadUnicodeStringCreate");
  expect_replayed(run, open_once());
}

TEST(ZwBadUnicodeString, UnverifiedTheOpenCarriesOn) {
  const Outcome run = open_once(VerifierOptions::off());
  EXPECT_EQ(run.status, RunStatus::Idle);
  EXPECT_TRUE(run.findings.empty()) << run.summaries();
}

TEST(ZwBadUnicodeString, IsTheSameOnOtherMachines) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = open_once({}, machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << run.summaries();
    EXPECT_EQ(run.findings[0].parameters[0], 0xE4u) << describe(machine);
    EXPECT_EQ(run.findings[0].parameters[1], run.logged_address("name ")) << describe(machine);
  }
}

}  // namespace
}  // namespace wdmlab::test
