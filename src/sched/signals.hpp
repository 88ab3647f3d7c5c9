// sched/signals.hpp - turning faults and runaway contexts on a fiber into findings.
//
// A synchronous fault (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP) raised while a fiber runs is
// recorded in the running Context and the fault's machine state is rewritten so that, when the
// handler returns, the faulting instruction appears to have called a trampoline
// (fault_entry_x86_64.S). The trampoline runs on the fiber in an ordinary (non-signal) context
// and calls the fault handler ke installed, which raises a structured exception or bug checks.
// Unwinders walk through the trampoline into the faulting function, so stacks stay exact.
//
// A stack overflow (a fault in a fiber stack's guard page) cannot run anything on that stack, so
// it is reported directly from the handler, which runs on an alternate signal stack.
//
// A fault outside any fiber (lab or test code on the host stack) is not the driver's: it goes to
// the previously installed handler, or kills the process as it would have without the lab.
//
// The watchdog is a per-thread CPU-time timer. If the running fiber makes no scheduling-point
// progress for the configured time, the interrupted context is redirected (as for a fault) to a
// trampoline that reports it and stops the run.
#pragma once

#include <cstdint>

namespace wdmlab::sched {

class Scheduler;

// Installs the process-wide handlers (once) and this OS thread's alternate signal stack.
void install_fault_handling();

// Watches the current OS thread's run (a CPU-time timer, no-op for limit_ms 0). The timer stays
// armed after the run, ignoring ticks while no context runs, until a tick finds no lab on the
// thread.
class Watchdog {
 public:
  Watchdog(Scheduler& scheduler, std::uint32_t limit_ms);
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
};


}  // namespace wdmlab::sched
