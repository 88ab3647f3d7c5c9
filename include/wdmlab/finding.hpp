// wdmlab/finding.hpp - what the lab reports about a driver: one model for every finding.
//
// A finding is a Windows bug check (code, name and four parameters, as Microsoft documents them),
// or one of the lab's own codes for conditions Windows has no bug check for (bugcodes.h, 0x574Cxxxx).
// It names the driver, carries the symbolized stack of the context that caused it and the
// scheduler state at that moment, and, for a deadlock or hang, every context involved.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace wdmlab {

enum class Severity {
  Fatal,     // stops the run, like a bug check
  NonFatal,  // recorded; the run continues (Driver Verifier level-2 "non-fatal" errors)
  Warning,   // recorded; the run continues
};

struct StackFrame {
  std::uintptr_t pc = 0;
  std::string module;    // file name of the image holding pc
  std::string function;  // demangled symbol, empty if unknown
  std::uintptr_t offset = 0;  // pc - symbol start
  std::string file;      // source file, empty if there is no line information
  int line = 0;
  bool lab = false;  // the frame is in the lab's own code or the C/C++ runtime, not in a driver

  std::string to_string() const;
};

// A context as it was when the finding was made.
struct ContextSnapshot {
  std::string name;
  std::uint32_t id = 0;
  int processor = -1;  // -1 when the context was not on a processor
  int irql = 0;
  std::string waiting_on;  // what it is blocked on; empty if runnable
  std::vector<StackFrame> stack;
};

struct Finding {
  std::uint32_t code = 0;
  std::array<std::uint64_t, 4> parameters{};
  std::string name;         // e.g. "DRIVER_VERIFIER_DETECTED_VIOLATION"
  std::string rule;         // verifier or SDV rule name, when there is one
  std::string description;  // what happened, in the lab's words
  std::string driver;       // the driver charged with it, empty if none is known
  Severity severity = Severity::Fatal;
  ContextSnapshot context;                // the context that caused it
  std::vector<ContextSnapshot> involved;  // deadlocks and hangs: every blocked context
  std::uint64_t virtual_time = 0;         // 100 ns units since boot
  std::uint64_t decision = 0;             // scheduling decisions taken before it
  // For a finding about an IRP: what happened to it, oldest first (allocation, each IoCallDriver,
  // pending, cancel, completion), one event per line.
  std::vector<std::string> irp_history;
  // What replays the run that made it: the lab's seed, processors and scheduling policy.
  std::string replay;

  // "0xC4_62"-style bucket, as !analyze forms BUGCHECK_STR.
  std::string bucket() const;
  // The first frame of the causing context's stack that is driver code, if any.
  const StackFrame* culprit_frame() const;
  // Multi-line text report in the style of !analyze -v.
  std::string to_text() const;
  // One line: "0x000000C4 DRIVER_VERIFIER_DETECTED_VIOLATION (0x62, ...) in mydriver!Unload".
  std::string summary() const;
};

// Name of a bug check code from bugcodes.h ("" if unknown).
std::string bug_check_name(std::uint32_t code);
// Name of an NTSTATUS value from ntstatus.h ("" if unknown).
std::string status_name(std::int32_t status);

}  // namespace wdmlab
