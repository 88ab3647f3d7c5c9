// sched/context.hpp - execution contexts and simulated processors.
//
// A Context is one fiber: a simulated thread (system or user) or a processor's DPC context (the
// stack DPC routines run on); a thread also carries its pending APC-level software interrupt. A
// Processor is a simulated CPU: its IRQL, the thread assigned to it, and its pending
// dispatch-level software interrupt. Only the Scheduler changes them; the layers above (ke, rtl,
// ps) keep their own per-context data in the fields marked for them.
#pragma once

#include <boost/context/detail/fcontext.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/check.hpp"
#include "sched/stack_pool.hpp"
#include "sched/types.hpp"

namespace wdmlab::base {
struct DriverIdentity;
}

namespace wdmlab::sched {

class Context;
class Processor;
class Scheduler;

enum class ContextKind : std::uint8_t {
  Thread,    // a simulated thread (system or user)
  DpcStack,  // a processor's DPC context
};

enum class ContextState : std::uint8_t {
  Ready,      // a thread waiting for a processor
  Running,    // assigned to a processor (possibly interrupted by that processor's DPC context)
  Blocked,    // waiting; see Context::block_reason()
  Finished,   // returned or terminated
  Abandoned,  // discarded when the run stopped on a fatal finding
  Idle,       // a DPC context while no DPC runs on its processor
};

// What a blocked context waits for, as shown in deadlock and hang reports.
struct WaitReport {
  std::string description;
  std::vector<const Context*> owners;  // contexts that own what it waits on (locks, mutexes)
};

struct BlockReason {
  const char* what = "";          // "spin lock", "event", "mutex", "delay", ...
  const void* object = nullptr;   // the (first) object waited on
  // Fills a WaitReport for reports; called only when one is made. May be null.
  void (*explain)(const Context& context, WaitReport& report) = nullptr;
  // True for busy waits (spinning on a spin lock, KeStallExecutionProcessor): the context keeps
  // its processor, which can run nothing else meanwhile.
  bool keeps_processor = false;
};

// Raw machine state of a fault on a fiber, recorded by the signal handler.
struct FaultRecord {
  int signal = 0;
  int code = 0;
  std::uintptr_t address = 0;  // faulting data address (SIGSEGV/SIGBUS)
  std::uintptr_t pc = 0;       // faulting instruction
  bool write = false;
  bool execute = false;
  std::array<std::uint64_t, 18> registers{};  // rax rcx rdx rbx rsp rbp rsi rdi r8..r15 rip eflags
};

class Context {
 public:
  std::uint32_t id() const { return id_; }
  const std::string& name() const { return name_; }
  ContextKind kind() const { return kind_; }
  ContextState state() const { return state_; }
  Processor* processor() const { return processor_; }
  bool awaited() const { return awaited_; }
  bool finished() const { return state_ == ContextState::Finished || state_ == ContextState::Abandoned; }
  const BlockReason& block_reason() const { return block_reason_; }
  // The IRQL this thread runs at when it next gets a processor.
  Irql saved_irql() const { return saved_irql_; }
  // A thread's APC-level software interrupt is requested (see Scheduler::request_apc_interrupt).
  bool apc_interrupt_pending() const { return apc_interrupt_pending_; }

  // Driver attribution: the driver whose code this context is executing, innermost first.
  const base::DriverIdentity* driver() const { return driver_depth_ == 0 ? nullptr : drivers_[driver_depth_ - 1]; }
  // The driver the context started in (a system thread's creator), whatever it calls now.
  const base::DriverIdentity* home_driver() const { return driver_depth_ == 0 ? nullptr : drivers_[0]; }
  void push_driver(const base::DriverIdentity* driver) {
    WDMLAB_CHECK(driver_depth_ < drivers_.size(), "driver call nesting deeper than {}", drivers_.size());
    drivers_[driver_depth_++] = driver;
  }
  void pop_driver() {
    WDMLAB_CHECK(driver_depth_ > 0, "driver attribution stack underflow");
    --driver_depth_;
  }

  // Data owned by the layers above; sched never interprets it.
  void* kernel_thread = nullptr;  // ke: the KTHREAD of a thread context
  void* seh_frames = nullptr;           // rtl: the innermost __try frame
  std::shared_ptr<void> seh_state;      // rtl: the exception being dispatched
  FaultRecord fault;              // the signal handler's record of the last fault

 private:
  friend class Scheduler;
  friend class Processor;

  std::uint32_t id_ = 0;
  std::string name_;
  ContextKind kind_ = ContextKind::Thread;
  ContextState state_ = ContextState::Ready;
  bool awaited_ = false;
  Irql saved_irql_ = kPassiveLevel;
  bool apc_interrupt_pending_ = false;
  Processor* processor_ = nullptr;
  BlockReason block_reason_;
  std::int64_t wake_value_ = 0;
  std::function<void()> body_;
  Stack stack_;
  boost::context::detail::fcontext_t fiber_ = nullptr;
  std::array<const base::DriverIdentity*, 16> drivers_{};
  std::size_t driver_depth_ = 0;
  std::vector<std::uintptr_t> pending_capture_;  // stack captured on request (deadlock reports)
};

class Processor {
 public:
  std::uint32_t index() const { return index_; }
  Irql irql() const { return irql_; }
  Context* thread() const { return thread_; }
  // The context executing on this processor: its DPC context while a DPC runs, else its thread.
  Context* active() const { return in_dpc_ ? dpc_context_ : thread_; }
  bool in_dpc() const { return in_dpc_; }
  bool dispatch_pending() const { return dispatch_pending_; }

 private:
  friend class Scheduler;

  std::uint32_t index_ = 0;
  Irql irql_ = kPassiveLevel;
  Context* thread_ = nullptr;
  Context* dpc_context_ = nullptr;
  bool in_dpc_ = false;
  bool dispatch_pending_ = false;
  Irql irql_before_dpc_ = kPassiveLevel;
};

}  // namespace wdmlab::sched
