// base/stack.hpp - capturing and symbolizing call stacks.
//
// Capture is cheap (return addresses only) and safe on a fiber stack; symbolization reads the
// symbol tables and DWARF line information of every loaded image through elfutils' libdwfl and
// is done only when a finding is reported.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "wdmlab/finding.hpp"

namespace wdmlab::base {

// Return addresses of the calling thread's stack, innermost first, skipping `skip` frames of the
// caller's own. Stops at `stop_at` if a frame's return address lies in [stop_at, stop_at + 256).
std::vector<std::uintptr_t> capture_stack(int skip = 0, std::uintptr_t stop_at = 0);

class Symbolizer {
 public:
  Symbolizer();
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // `first_is_exact` says the first address is an exact instruction address (a fault or a
  // trampoline's saved PC), not a return address; return addresses are looked up at pc - 1.
  std::vector<StackFrame> symbolize(std::span<const std::uintptr_t> pcs, bool first_is_exact = false);
  StackFrame symbolize_one(std::uintptr_t pc, bool exact);

  // Images loaded since the last call (drivers loaded with dlopen) are picked up on the next
  // symbolize() after this.
  void invalidate();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The process-wide symbolizer (symbolization is rare and libdwfl state is per process).
Symbolizer& symbolizer();

}  // namespace wdmlab::base
