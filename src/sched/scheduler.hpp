// sched/scheduler.hpp - the one deterministic scheduler that owns every execution context.
//
// Every simulated thread and every processor's DPC context is a fiber (Boost.Context), and all of
// them run on the OS thread that created the Scheduler, one at a time. Simulated processors are
// interleaved at scheduling points: every kernel routine a driver calls yields here, and the
// policy picks which context takes the next step. Nothing else decides an order, so a run is fully
// determined by (program, policy and seed, processor count).
//
// Windows' rules are kept: a processor at DISPATCH_LEVEL or above never switches threads; a DPC
// queued to a processor runs on that processor's DPC context as soon as its IRQL drops below
// DISPATCH_LEVEL; a thread's APC interrupt is taken on that thread when it runs at PASSIVE_LEVEL;
// a spinning or stalling context keeps its processor busy. Virtual time advances by a fixed step
// per decision and jumps to the next timer when nothing can run.
//
// Threading: not thread-safe; one Scheduler per OS thread. Calls that suspend (yield, block,
// exit_current, stop) are only valid on a fiber; on the host (the test's own stack) yield is a
// no-op and the others throw UsageError.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sched/context.hpp"
#include "sched/trace_recorder.hpp"
#include "sched/types.hpp"
#include "wdmlab/finding.hpp"
#include "wdmlab/policy.hpp"

namespace wdmlab::sched {

class Scheduler;

namespace detail {
// The lab on this OS thread (Scheduler::current()). Initial-exec: read by the signal handlers and
// on every kernel call, so never through __tls_get_addr.
extern constinit __attribute__((tls_model("initial-exec"))) thread_local Scheduler* current_scheduler;
}  // namespace detail

struct SchedulerOptions {
  unsigned processors = 1;
  Time step = 1;                        // virtual time added by each scheduling decision
  std::size_t stack_size = 256 * 1024;  // usable bytes of each fiber stack
  std::uint64_t max_decisions = 20'000'000;  // per run call; exceeding it is a finding
  Time max_idle_wait = 3600 * kTicksPerSecond;  // run_until_idle: how far time may jump for awaited work
  std::uint32_t watchdog_ms = 2000;     // CPU time a context may run without a scheduling point; 0 = off
  bool record_schedule = false;         // keep the context chosen at every decision
  bool trace = false;                   // record the event trace (wdmlab/trace.hpp)
};

// A stack shown next to the one that made a finding (where a leaked block was allocated, where
// the other lock of a cycle was taken); it becomes one of Finding::involved.
struct RelatedStack {
  std::string name;                  // what the stack is, e.g. "allocation of 0x... (tag 'Leak')"
  std::vector<std::uintptr_t> pcs;  // return addresses, innermost first (base::capture_stack)
};

enum class RunStatus {
  Idle,         // nothing can run and no awaited work is left
  Stopped,      // a fatal finding ended the run (see findings())
  TimeElapsed,  // run_for reached the end of its interval
};

class Scheduler {
 public:
  Scheduler(SchedulerOptions options, std::unique_ptr<SchedulingPolicy> policy);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // The scheduler of the lab on this OS thread, or null.
  static Scheduler* current() { return detail::current_scheduler; }
  const SchedulerOptions& options() const { return options_; }

  // --- contexts ---------------------------------------------------------------------------
  // A new ready thread running `body` at PASSIVE_LEVEL. An awaited thread is one the test waits
  // for: run_until_idle lets virtual time pass while one is unfinished, and reports a hang if one
  // can never finish.
  Context& create_thread(std::string name, std::function<void()> body, bool awaited);
  Context* running() const { return running_; }
  Processor* current_processor() const { return running_ != nullptr ? running_->processor_ : nullptr; }
  std::span<Processor> processors() { return processors_; }
  std::span<const std::unique_ptr<Context>> contexts() const { return contexts_; }

  // --- scheduling points (fiber only) -------------------------------------------------------
  void yield();
  // Blocks the running context until wake(); returns the value passed to wake().
  std::int64_t block(const BlockReason& reason);
  // Makes a blocked context runnable. Callable from any context, a timer callback or the host.
  void wake(Context& context, std::int64_t value);
  // Ends the running thread context.
  [[noreturn]] void exit_current();

  // --- IRQL of the current processor -----------------------------------------------------------
  Irql irql() const {  // PASSIVE_LEVEL on the host
    const Processor* p = current_processor();
    return p != nullptr ? p->irql() : kPassiveLevel;
  }
  // Sets the current processor's IRQL. Lowering it below DISPATCH_LEVEL with a dispatch
  // interrupt pending runs the DPC context before returning, as the hardware would; then lowering
  // it to PASSIVE_LEVEL with the running thread's APC interrupt pending takes that interrupt.
  void set_irql(Irql level);
  // Told the running processor's IRQL (PASSIVE_LEVEL on the host) each time set_irql changes it
  // and each time a context starts running, so that state kept per IRQL can follow the running
  // processor (Force IRQL checking trims paged pool at DISPATCH_LEVEL and above). Null: none.
  void set_irql_observer(void (*observer)(Irql irql)) { irql_observer_ = observer; }

  // --- dispatch-level software interrupt (DPCs) ----------------------------------------------------
  // Installed by ke: runs on `processor`'s DPC context at DISPATCH_LEVEL and returns when the
  // processor's DPC queue is empty. The request is cleared when the handler starts; work queued
  // while it runs must request the interrupt again.
  void set_dispatch_interrupt_handler(void (*handler)(Processor& processor)) { dispatch_handler_ = handler; }
  // Requests the interrupt on `processor`; it is taken the next time that processor runs below
  // DISPATCH_LEVEL. Safe from timer callbacks.
  void request_dispatch_interrupt(Processor& processor) { processor.dispatch_pending_ = true; }
  void clear_dispatch_interrupt(Processor& processor) { processor.dispatch_pending_ = false; }
  // If the current processor has the interrupt pending and runs below DISPATCH_LEVEL, takes it now.
  void deliver_dispatch_interrupt();

  // --- APC-level software interrupt (kernel APCs) ----------------------------------------------------
  // Installed by ke: runs on `thread`'s own fiber at PASSIVE_LEVEL and returns at PASSIVE_LEVEL.
  // The request is cleared when the handler starts; work queued while it runs must request the
  // interrupt again.
  void set_apc_interrupt_handler(void (*handler)(Context& thread)) { apc_handler_ = handler; }
  // Requests the interrupt on the thread `thread`. It is taken on that thread when it resumes at a
  // scheduling point (yield or block) at PASSIVE_LEVEL, or lowers its IRQL to PASSIVE_LEVEL.
  // Callable from any context, a timer callback or the host; never switches contexts itself.
  void request_apc_interrupt(Context& thread) { thread.apc_interrupt_pending_ = true; }
  void clear_apc_interrupt(Context& thread) { thread.apc_interrupt_pending_ = false; }
  // If the running context is a thread at PASSIVE_LEVEL with the interrupt pending, takes it now.
  void deliver_apc_interrupt();

  // --- virtual time ----------------------------------------------------------------------------
  Time now() const { return now_; }
  struct TimerHandle {
    Time due = kNever;
    std::uint64_t sequence = 0;
    bool armed() const { return due != kNever; }
  };
  // Calls callback(argument) when virtual time reaches `due`, on whatever stack is current then;
  // the callback must not suspend. Timers due at the same time fire in the order they were set.
  TimerHandle add_timer(Time due, void (*callback)(void*), void* argument);
  // Returns true if the timer was armed (and now is not).
  bool cancel_timer(TimerHandle& handle);

  // --- findings --------------------------------------------------------------------------------
  // Fatal finding from a fiber: records it (with the running context's stack and state), abandons
  // the context and stops the run. `exact_pc`, when nonzero, is the faulting instruction and becomes
  // the first frame. `related` stacks are appended to Finding::involved.
  [[noreturn]] void stop(Finding finding, std::uintptr_t exact_pc = 0, std::vector<RelatedStack> related = {});
  // Non-fatal finding: recorded; the run continues.
  void report(Finding finding, std::vector<RelatedStack> related = {});
  // Every finding so far, symbolized.
  const std::vector<Finding>& findings();
  bool stopped() const { return crashed_; }

  // --- running ---------------------------------------------------------------------------------
  RunStatus run_until_idle();
  RunStatus run_for(Time duration);

  // --- faults ----------------------------------------------------------------------------------
  // Installed by ke: called on the faulting fiber (through the fault trampoline) after the
  // signal handler filled Context::fault. Must not return.
  void set_fault_handler(void (*handler)(Context& context)) { fault_handler_ = handler; }
  void (*fault_handler() const)(Context&) { return fault_handler_; }

  // --- determinism ---------------------------------------------------------------------------------
  std::uint64_t decisions() const { return decisions_; }
  // A hash of the context chosen at every decision: equal digests mean equal interleavings.
  std::uint64_t schedule_digest() const { return digest_; }
  const std::vector<std::uint32_t>& schedule() const { return schedule_; }

  // --- event trace (SchedulerOptions::trace; see sched/trace_recorder.hpp) -----------------------
  bool tracing() const { return trace_.on; }
  const std::vector<TraceEvent>& trace() const { return trace_.events; }
  // Records an event of the running context (none on the host) on its processor, at now() and
  // decisions(). Call only while tracing().
  [[gnu::cold, gnu::noinline]] void trace_event(TraceEvent::Phase phase, const char* category, std::string name,
                                                std::uint64_t id = 0);
  // "driver!Function" for a routine of `driver` (symbolized once per address; the address when
  // the image has no symbol for it). Call only while tracing().
  [[gnu::cold]] const std::string& trace_routine_name(const void* routine, const base::DriverIdentity* driver);
  // The name lock events of `lock` get instead of "spin lock <address>".
  [[gnu::cold]] void trace_name_lock(const void* lock, std::string name);
  [[gnu::cold]] const std::string& trace_lock_name(const void* lock);

  // Used by the signal handler: the watchdog's progress counter and the stack of a context.
  std::uint64_t progress() const { return progress_; }
  const Stack& stack_of(const Context& context) const { return context.stack_; }
  // Called from the watchdog trampoline on a context that never reached a scheduling point.
  [[noreturn]] void stop_stuck_context(std::uintptr_t pc, std::uint64_t cpu_ms);

 private:
  enum class Action : std::uint8_t { Continue, StartDpc, Dispatch };
  struct Candidate {
    Context* context;
    Processor* processor;
    Action action;
  };
  struct Timer {
    void (*callback)(void*);
    void* argument;
  };
  struct PendingFinding {
    Finding finding;
    std::vector<std::uintptr_t> pcs;
    bool first_exact = false;
    std::vector<std::pair<std::size_t, std::vector<std::uintptr_t>>> involved_pcs;
  };
  enum class Mode : std::uint8_t { UntilIdle, For };

  static void fiber_entry(boost::context::detail::transfer_t transfer);
  void land(boost::context::detail::transfer_t transfer);
  void jump(Context* to);
  void switch_away(Context* next);
  void on_scheduling_point();
  Context* pick_next();
  bool offers(Processor& processor, Candidate& candidate, bool& available) const;
  bool single_candidate(Candidate& candidate);
  void collect_candidates();
  [[gnu::noinline]] const Candidate& choose_candidate();
  Context* decide(const Candidate& chosen);
  [[gnu::noinline]] bool advance_to_next_timer();
  bool preemptible(const Processor& processor) const;
  Context* commit(const Candidate& candidate);
  [[gnu::cold, gnu::noinline]] void stop_on_exhausted_budget();
  [[gnu::cold, gnu::noinline]] void trace_switch(const Context* from, const Context* to);
  [[gnu::cold, gnu::noinline]] void trace_preemption(const Candidate& chosen);
  static void add_related(PendingFinding& pending, std::vector<RelatedStack> related);
  bool may_advance_to(Time due) const;
  void fire_due_timers();
  void end_dpc(Processor& processor);
  [[noreturn]] void dpc_main(Processor& processor);
  RunStatus run(Mode mode, Time end);
  bool analyze_quiescence();
  ContextSnapshot snapshot(const Context& context) const;
  std::vector<std::uintptr_t> capture_blocked_stack(Context& context);
  void abandon_all();
  void reap();

  SchedulerOptions options_;
  std::unique_ptr<SchedulingPolicy> policy_;
  StackPool stacks_;
  std::vector<Processor> processors_;
  std::vector<std::unique_ptr<Context>> contexts_;
  std::vector<Context*> ready_;
  std::vector<Context*> zombies_;
  Context* running_ = nullptr;
  boost::context::detail::fcontext_t host_fiber_ = nullptr;
  Context* jump_from_ = nullptr;
  Context* capture_request_ = nullptr;

  Time now_ = 0;
  std::map<std::pair<Time, std::uint64_t>, Timer> timers_;
  std::uint64_t timer_sequence_ = 0;

  std::uint64_t decisions_ = 0;
  std::uint64_t progress_ = 0;
  std::uint64_t digest_ = 0xcbf29ce484222325ULL;
  std::vector<std::uint32_t> schedule_;
  std::vector<Candidate> candidates_;
  std::vector<SchedulingOption> options_buffer_;
  TraceRecorder trace_;

  void (*dispatch_handler_)(Processor&) = nullptr;
  void (*irql_observer_)(Irql) = nullptr;
  void (*apc_handler_)(Context&) = nullptr;
  void (*fault_handler_)(Context&) = nullptr;

  bool in_run_ = false;
  Mode mode_ = Mode::UntilIdle;
  Time run_end_ = kNever;
  Time idle_wait_limit_ = kNever;
  std::uint64_t decision_limit_ = 0;
  bool stop_requested_ = false;
  bool crashed_ = false;
  std::exception_ptr error_;
  std::size_t awaited_unfinished_ = 0;
  std::vector<PendingFinding> pending_findings_;
  std::vector<Finding> findings_;
};

// A scheduling point for code that may run on the host or in the lab: yields when called on a
// fiber, does nothing on the host or when no lab exists. Every exported kernel routine starts
// with one.
inline void scheduling_point() {
  if (Scheduler* scheduler = Scheduler::current()) scheduler->yield();
}

// The lab's scheduler if it records the event trace, else null: the one test a trace hook makes.
inline Scheduler* tracing_scheduler() {
  Scheduler* scheduler = Scheduler::current();
  return scheduler != nullptr && scheduler->tracing() ? scheduler : nullptr;
}

// The driver whose code the running context is executing: the driver a routine's caller is
// charged to. Null on the host and in contexts running no driver's code.
inline const base::DriverIdentity* calling_driver() {
  Scheduler* scheduler = Scheduler::current();
  return scheduler != nullptr && scheduler->running() != nullptr ? scheduler->running()->driver() : nullptr;
}

}  // namespace wdmlab::sched
