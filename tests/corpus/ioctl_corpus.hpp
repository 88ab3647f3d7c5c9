// ioctl_corpus.hpp - the scenario of the corpus drivers that a single request exposes: app.exe's
// thread "main" opens the device and sends IOCTLs one after the other (each synchronous, so
// nothing runs concurrently), then closes it.
#pragma once

#include <functional>
#include <vector>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {

// The corpus drivers' IOCTLs: FILE_DEVICE_UNKNOWN, buffered, any access; functions from 0x800.
inline constexpr DWORD corpus_ioctl(DWORD function) {
  return CTL_CODE(FILE_DEVICE_UNKNOWN, function, METHOD_BUFFERED, FILE_ANY_ACCESS);
}

inline Outcome send_ioctls(const Machine& machine, const char* image, const char16_t* device,
                           std::vector<DWORD> codes) {
  return play(machine, image, [device, codes](Lab&, UserProcess& app) {
    app.run("main", [device, codes] {
      HANDLE handle = open_device(device, 0);
      ASSERT_NE(handle, INVALID_HANDLE_VALUE);
      for (DWORD code : codes) {
        DWORD bytes = 0;
        win32::DeviceIoControl(handle, code, nullptr, 0, nullptr, 0, &bytes, nullptr);
      }
      win32::CloseHandle(handle);
    });
  });
}

// A fatal 0xC4 finding with `subcode`, charged to `driver`, stopping the run.
inline void expect_verifier_stop(const Outcome& run, std::uint64_t subcode, const std::string& driver) {
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << finding.to_text();
  EXPECT_EQ(finding.parameters[0], subcode) << finding.to_text();
  EXPECT_EQ(finding.severity, Severity::Fatal);
  EXPECT_EQ(finding.driver, driver);
}

// A DDI compliance rule's stop: P2 the rule's message, P3 0 (the rule's state), P4 the caller.
inline void expect_ddi_rule_parameters(const Finding& finding, const char* rule) {
  EXPECT_EQ(finding.rule, rule);
  ASSERT_NE(finding.parameters[1], 0u);
  EXPECT_FALSE(std::string(reinterpret_cast<const char*>(finding.parameters[1])).empty());
  EXPECT_EQ(finding.parameters[2], 0u);
  EXPECT_NE(finding.parameters[3], 0u);
}

// The scenario gives one finding with 0xC4 `subcode` on every machine of other_machines().
inline void expect_same_subcode_on_other_machines(const std::function<Outcome(const Machine&)>& scenario,
                                                  std::uint64_t subcode) {
  for (const Machine& machine : other_machines()) {
    const Outcome run = scenario(machine);
    ASSERT_EQ(run.findings.size(), 1u) << describe(machine) << "\n" << run.summaries();
    EXPECT_EQ(run.findings[0].parameters[0], subcode) << describe(machine);
  }
}

}  // namespace wdmlab::test
