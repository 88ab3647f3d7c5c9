// corpus_test.hpp - what the golden tests of the buggy driver corpus (samples/buggy) share.
//
// Each test plays one scenario twice, each time on a fresh lab built from the same Machine: it
// loads the driver image, lets the scenario start the application's threads, and runs the lab
// until it is idle or stopped. An Outcome keeps what the test asserts on (the findings, the log, the
// status) and what says two runs took the same interleaving (the schedule digest, the decision
// count, the virtual time). Addresses differ between labs, so a test compares parameters through
// the addresses the driver logged in the same run (logged_address).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "wdmlab/lab.hpp"
#include "wdmlab/policy.hpp"
#include "wdmlab/user.hpp"
#include "wdmlab/win32.hpp"

namespace wdmlab::test {

// The machine a scenario runs on: processors, and either a random policy from `seed` or, when
// `cooperative`, the cooperative policy (the current context runs until it blocks; no seed).
struct Machine {
  unsigned processors = 1;
  std::uint64_t seed = 0;
  bool cooperative = false;
  std::uint32_t verifier_flags = kVerifierStandardFlags;  // Driver Verifier's /flags for every driver
};

inline std::string describe(const Machine& machine) {
  return std::to_string(machine.processors) + " processor(s), " +
         (machine.cooperative ? std::string("cooperative") : "seed " + std::to_string(machine.seed));
}

// The machines a scenario whose order virtual time alone decides is also played on, besides the
// one its golden test names: the finding must not depend on the processors or the seed.
inline std::vector<Machine> other_machines() {
  return {{.processors = 1, .seed = 1},
          {.processors = 2, .seed = 2},
          {.processors = 2, .seed = 3},
          {.processors = 4, .seed = 7}};
}

// The machine of the golden tests of drivers whose bug does not depend on an interleaving.
inline constexpr Machine kGoldenMachine{.processors = 1, .seed = 1};

inline LabOptions options_for(const Machine& machine) {
  LabOptions options{
      .processors = machine.processors, .seed = machine.seed, .verifier = {.flags = machine.verifier_flags}};
  if (machine.cooperative) options.policy = make_cooperative_policy();
  return options;
}

// What one run of a scenario leaves behind.
struct Outcome {
  RunStatus status = RunStatus::Idle;
  std::vector<Finding> findings;
  std::vector<LogRecord> log;
  std::uint64_t digest = 0;
  std::uint64_t decisions = 0;
  std::uint64_t now = 0;  // virtual time at the end, 100 ns units

  // The only finding; fails the test (and returns an empty one) if there is not exactly one.
  const Finding& finding() const {
    static const Finding none;
    EXPECT_EQ(findings.size(), 1u) << summaries();
    return findings.empty() ? none : findings.front();
  }
  std::string summaries() const {
    std::string text;
    for (const Finding& finding : findings) text += finding.summary() + "\n";
    return text;
  }
  // The text of every log line that starts with `prefix`, in order.
  std::vector<std::string> lines(std::string_view prefix) const {
    std::vector<std::string> texts;
    for (const LogRecord& record : log) {
      if (record.text.rfind(prefix, 0) == 0) texts.push_back(record.text);
    }
    return texts;
  }
  bool logged(std::string_view fragment) const {
    for (const LogRecord& record : log) {
      if (record.text.find(fragment) != std::string::npos) return true;
    }
    return false;
  }
  // The virtual time of the first line that starts with `prefix`; fails the test if there is none.
  std::uint64_t logged_time(std::string_view prefix) const {
    for (const LogRecord& record : log) {
      if (record.text.rfind(prefix, 0) == 0) return record.virtual_time;
    }
    ADD_FAILURE() << "no line starting with '" << prefix << "' in the log";
    return 0;
  }
  // The pointer the driver printed (%p, 16 hex digits) right after `marker` in the first line
  // containing it; fails the test and returns 0 if there is none.
  std::uint64_t logged_address(std::string_view marker) const {
    for (const LogRecord& record : log) {
      const std::size_t at = record.text.find(marker);
      if (at == std::string::npos) continue;
      const std::string digits = record.text.substr(at + marker.size(), 16);
      if (digits.size() == 16 && digits.find_first_not_of("0123456789ABCDEF") == std::string::npos) {
        return std::stoull(digits, nullptr, 16);
      }
    }
    ADD_FAILURE() << "no address after '" << marker << "' in the log";
    return 0;
  }
};

// The function of the finding's culprit frame (its first frame outside the lab: driver code, or the
// application's own code for a thread that runs no driver code), or "".
inline std::string culprit_function(const Finding& finding) {
  const StackFrame* culprit = finding.culprit_frame();
  return culprit != nullptr ? culprit->function : std::string();
}

// Loads `image` on a fresh lab for `machine`, calls `scenario` to start the application's
// threads (in app.exe) unless the load already stopped the lab, runs the lab until it is idle or
// stopped, and keeps the result. With `unload`, a lab that went idle then unloads the driver (and
// runs until idle again). The lab's Driver Verifier runs with the machine's flags, or with
// `verifier` when a scenario needs more (a stress, per-driver flags).
inline Outcome play(const Machine& machine, const char* image, const std::function<void(Lab&, UserProcess&)>& scenario,
                    bool unload = false, const VerifierOptions* verifier = nullptr) {
  LabOptions options = options_for(machine);
  if (verifier != nullptr) options.verifier = *verifier;
  Lab lab(std::move(options));
  LoadedDriver& driver = lab.load_driver(image);
  EXPECT_TRUE(driver.loaded()) << image;
  Outcome run;
  if (!lab.stopped()) {  // a driver whose own threads hit the bug stops the lab while it loads
    UserProcess& app = lab.create_process("app.exe");
    scenario(lab, app);
  }
  run.status = lab.run_until_idle();
  if (unload && run.status == RunStatus::Idle) {
    lab.unload_driver(driver);
    run.status = lab.stopped() ? RunStatus::Stopped : RunStatus::Idle;
  }
  run.findings = lab.findings();
  run.log = lab.log().records();
  run.digest = lab.schedule_digest();
  run.decisions = lab.decisions();
  run.now = lab.now();
  return run;
}
inline Outcome play(const Machine& machine, const char* image, const std::function<void(Lab&, UserProcess&)>& scenario,
                    const VerifierOptions& verifier) {
  return play(machine, image, scenario, false, &verifier);
}

// The same scenario on the same machine took the same interleaving and ended the same way:
// same status, same schedule and clock, and the same findings (code, rule, severity, driver,
// culprit function, context). Parameters are compared by the test, through logged addresses.
inline void expect_replayed(const Outcome& first, const Outcome& second) {
  EXPECT_EQ(second.status, first.status);
  EXPECT_EQ(second.digest, first.digest);
  EXPECT_EQ(second.decisions, first.decisions);
  EXPECT_EQ(second.now, first.now);
  ASSERT_EQ(second.findings.size(), first.findings.size()) << second.summaries();
  for (std::size_t i = 0; i < first.findings.size(); ++i) {
    const Finding& a = first.findings[i];
    const Finding& b = second.findings[i];
    EXPECT_EQ(b.code, a.code);
    EXPECT_EQ(b.rule, a.rule);
    EXPECT_EQ(b.severity, a.severity);
    EXPECT_EQ(b.driver, a.driver);
    EXPECT_EQ(b.context.name, a.context.name);
    EXPECT_EQ(b.virtual_time, a.virtual_time);
    EXPECT_EQ(b.decision, a.decision);
    const StackFrame* culprit_a = a.culprit_frame();
    const StackFrame* culprit_b = b.culprit_frame();
    ASSERT_EQ(culprit_b != nullptr, culprit_a != nullptr);
    if (culprit_a != nullptr) {
      EXPECT_EQ(culprit_b->function, culprit_a->function);
    }
  }
}

// `address` as the drivers print a pointer (%p): 16 upper-case hex digits.
inline std::string pointer_text(std::uint64_t address) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string text(16, '0');
  for (int i = 15; i >= 0; --i, address >>= 4) text[i] = kDigits[address & 0xF];
  return text;
}

// CreateFileW for an existing device. From a thread of a simulated process.
inline HANDLE open_device(const char16_t* path, DWORD flags) {
  return win32::CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, flags, nullptr);
}

// A scenario in which the application opens `path` once, and the driver's bug stops the machine
// during the open (CreateFileW must not return).
inline std::function<void(Lab&, UserProcess&)> open_that_stops(const char16_t* path) {
  return [path](Lab&, UserProcess& app) {
    app.run("main", [path] {
      (void)open_device(path, 0);
      ADD_FAILURE() << "CreateFileW returned";
    });
  };
}

// A scenario of one synchronous DeviceIoControl that the driver's bug stops the machine in: the
// application's thread "main" opens `device`, sends `code` with `input` zero bytes of input and an
// `output`-byte output buffer; the test fails if the call returns.
inline Outcome play_device_control_that_stops(const Machine& machine, const char* image, const char16_t* device,
                                              DWORD code, DWORD input, DWORD output) {
  return play(machine, image, [=](Lab&, UserProcess& app) {
    auto* buffer = static_cast<char*>(app.alloc(input + output + 1));
    auto* returned = app.alloc_array<DWORD>(1);
    app.run("main", [=] {
      HANDLE handle = open_device(device, 0);
      ASSERT_NE(handle, INVALID_HANDLE_VALUE);
      win32::DeviceIoControl(handle, code, input != 0 ? buffer : nullptr, input, output != 0 ? buffer + input : nullptr,
                             output, returned, nullptr);
      ADD_FAILURE() << "the device control returned";
    });
  });
}

}  // namespace wdmlab::test
