#include "sched/scheduler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "base/check.hpp"
#include "base/driver_identity.hpp"
#include "base/stack.hpp"
#include "sched/signals.hpp"
#include "wdmlab/errors.hpp"

namespace ctx = boost::context::detail;

// AddressSanitizer's fiber interface. A process that loads driver images built with KASAN runs
// with the AddressSanitizer runtime (a test linked with -fsanitize=address) while the lab itself
// is built without it, so the lab cannot know at compile time: it declares the functions weak and
// calls them only when the runtime defined them. In any other process they are null and a switch
// pays one compare. Told of every switch, the runtime knows which fiber stack is current: it can
// unwind and describe addresses on it in its reports, and __asan_handle_no_return (a longjmp out
// of a __try, a bug check) clears the right stack instead of warning about an unknown one.
extern "C" {
__attribute__((weak)) void __sanitizer_start_switch_fiber(void** fake_stack_save, const void* bottom,
                                                          std::size_t size);
__attribute__((weak)) void __sanitizer_finish_switch_fiber(void* fake_stack_save, const void** bottom_old,
                                                           std::size_t* size_old);
__attribute__((weak)) void __asan_unpoison_memory_region(const volatile void* address, std::size_t size);
}

namespace wdmlab::sched {

namespace {

constexpr std::uint32_t kBugDpcWatchdogViolation = 0x133;
constexpr std::uint32_t kBugWdmlabDeadlock = 0x574C0001;
constexpr std::uint32_t kBugWdmlabHang = 0x574C0002;
constexpr std::uint32_t kBugWdmlabNeverYields = 0x574C0003;
constexpr std::uint32_t kBugWdmlabRunBudget = 0x574C0005;
constexpr std::uint64_t kDpcWatchdogPeriodTicks = 0x1E00;  // 120 s in 15.625 ms clock ticks

std::uint64_t mix(std::uint64_t digest, std::uint32_t value) {
  // FNV-1a over the 4 bytes of a context id, lowest first; unrolled, as it runs at every decision.
  constexpr std::uint64_t kPrime = 0x100000001b3ULL;
  digest = (digest ^ (value & 0xff)) * kPrime;
  digest = (digest ^ ((value >> 8) & 0xff)) * kPrime;
  digest = (digest ^ ((value >> 16) & 0xff)) * kPrime;
  return (digest ^ (value >> 24)) * kPrime;
}

}  // namespace

namespace detail {
constinit __attribute__((tls_model("initial-exec"))) thread_local Scheduler* current_scheduler = nullptr;
}  // namespace detail

using detail::current_scheduler;

namespace {

// The OS thread's own stack, as AddressSanitizer reported it on the first switch to a fiber.
thread_local const void* t_host_stack_bottom = nullptr;
thread_local std::size_t t_host_stack_size = 0;

bool sanitizer_fibers() {
  return __sanitizer_start_switch_fiber != nullptr && __sanitizer_finish_switch_fiber != nullptr;
}

// Before a switch to `to` (null: the host). A context that will never run again passes no fake
// stack to save, so the runtime frees it.
void start_switch(void** fake_stack, const Stack* to, bool leaving_for_good) {
  const void* bottom = t_host_stack_bottom;
  std::size_t size = t_host_stack_size;
  if (to != nullptr) {
    size = to->usable();
    bottom = static_cast<const char*>(to->top()) - size;
  }
  __sanitizer_start_switch_fiber(leaving_for_good ? nullptr : fake_stack, bottom, size);
}

// After landing on a stack; `from_host` when the previous stack was the OS thread's own.
void finish_switch(void* fake_stack, bool from_host) {
  const void* bottom = nullptr;
  std::size_t size = 0;
  __sanitizer_finish_switch_fiber(fake_stack, &bottom, &size);
  if (from_host) {
    t_host_stack_bottom = bottom;
    t_host_stack_size = size;
  }
}

}  // namespace

Scheduler::Scheduler(SchedulerOptions options, std::unique_ptr<SchedulingPolicy> policy)
    : options_(options), policy_(std::move(policy)), stacks_(options.stack_size) {
  if (current_scheduler != nullptr) {
    throw UsageError("a wdmlab lab already exists on this thread; destroy it before creating another");
  }
  if (options_.processors == 0 || options_.processors > 64) {
    throw UsageError(fmt::format("processor count must be 1..64, not {}", options_.processors));
  }
  if (!policy_) throw UsageError("a scheduling policy is required");
  trace_.on = options_.trace;
  install_fault_handling();
  processors_.resize(options_.processors);
  for (std::uint32_t i = 0; i < options_.processors; ++i) {
    Processor& p = processors_[i];
    p.index_ = i;
    auto dpc = std::make_unique<Context>();
    dpc->id_ = static_cast<std::uint32_t>(contexts_.size() + 1);
    dpc->name_ = fmt::format("DPC/{}", i);
    dpc->kind_ = ContextKind::DpcStack;
    dpc->state_ = ContextState::Idle;
    dpc->processor_ = &p;
    p.dpc_context_ = dpc.get();
    policy_->on_context_created(dpc->id_);
    contexts_.push_back(std::move(dpc));
  }
  current_scheduler = this;
}

Scheduler::~Scheduler() {
  WDMLAB_CHECK(running_ == nullptr, "a lab was destroyed while one of its contexts was running");
  for (auto& context : contexts_) stacks_.release(std::exchange(context->stack_, Stack{}));
  if (current_scheduler == this) current_scheduler = nullptr;
}

Context& Scheduler::create_thread(std::string name, std::function<void()> body, bool awaited) {
  if (crashed_) throw UsageError("the lab stopped on a fatal finding; create a new lab to run again");
  auto context = std::make_unique<Context>();
  context->id_ = static_cast<std::uint32_t>(contexts_.size() + 1);
  context->name_ = std::move(name);
  context->kind_ = ContextKind::Thread;
  context->state_ = ContextState::Ready;
  context->awaited_ = awaited;
  context->body_ = std::move(body);
  Context& ref = *context;
  contexts_.push_back(std::move(context));
  ready_.push_back(&ref);
  if (awaited) ++awaited_unfinished_;
  policy_->on_context_created(ref.id_);
  return ref;
}

// --- fibers --------------------------------------------------------------------------------------

void Scheduler::land(ctx::transfer_t transfer) {
  if (jump_from_ != nullptr) {
    jump_from_->fiber_ = transfer.fctx;
  } else {
    host_fiber_ = transfer.fctx;
  }
  if (!zombies_.empty()) reap();
  if (irql_observer_ != nullptr) irql_observer_(irql());
}

void Scheduler::reap() {
  // Never on the stack being freed: a zombie is never the running context.
  for (Context* zombie : zombies_) {
    stacks_.release(std::exchange(zombie->stack_, Stack{}));
    zombie->fiber_ = nullptr;
  }
  zombies_.clear();
}

void Scheduler::jump(Context* to) {
  Context* from = running_;
  if (trace_.on) [[unlikely]] trace_switch(from, to);
  running_ = to;
  jump_from_ = from;
  ctx::fcontext_t target = host_fiber_;
  if (to != nullptr) {
    if (to->fiber_ == nullptr) {
      if (to->stack_.base == nullptr) to->stack_ = stacks_.acquire();
      // A recycled stack may keep the shadow of an abandoned instrumented frame.
      if (__asan_unpoison_memory_region != nullptr) {
        __asan_unpoison_memory_region(static_cast<char*>(to->stack_.top()) - to->stack_.usable(), to->stack_.usable());
      }
      to->fiber_ = ctx::make_fcontext(to->stack_.top(), to->stack_.usable(), &Scheduler::fiber_entry);
    }
    target = to->fiber_;
  }
  void* fake_stack = nullptr;
  const bool sanitized = sanitizer_fibers();
  if (sanitized) {
    const bool leaving_for_good =
        from != nullptr && (from->state_ == ContextState::Finished || from->state_ == ContextState::Abandoned);
    start_switch(&fake_stack, to != nullptr ? &to->stack_ : nullptr, leaving_for_good);
  }
  ctx::transfer_t transfer = ctx::jump_fcontext(target, this);
  auto* self = static_cast<Scheduler*>(transfer.data);
  if (sanitized) finish_switch(fake_stack, self->jump_from_ == nullptr);
  self->land(transfer);
}

void Scheduler::fiber_entry(ctx::transfer_t transfer) {
  auto* self = static_cast<Scheduler*>(transfer.data);
  if (sanitizer_fibers()) finish_switch(nullptr, self->jump_from_ == nullptr);
  self->land(transfer);
  Context* context = self->running_;
  if (context->kind_ == ContextKind::DpcStack) self->dpc_main(*context->processor_);
  try {
    context->body_();
  } catch (...) {
    // A C++ exception from a test's thread body (a UsageError, or a test assertion): end the
    // run and rethrow it on the host.
    self->error_ = std::current_exception();
    self->stop_requested_ = true;
  }
  self->exit_current();
}

void Scheduler::switch_away(Context* next) {
  Context* self = running_;
  if (next == self) return;
  for (;;) {
    jump(next);
    if (capture_request_ == self) {
      // The host asked for this blocked context's stack (for a deadlock or hang report).
      self->pending_capture_ = base::capture_stack(0);
      capture_request_ = nullptr;
      next = nullptr;
      continue;
    }
    return;
  }
}

// --- scheduling points ------------------------------------------------------------------------------

void Scheduler::on_scheduling_point() {
  ++progress_;
  now_ += options_.step;
  if (!timers_.empty() && timers_.begin()->first.first <= now_) fire_due_timers();
}

void Scheduler::yield() {
  if (running_ == nullptr) return;
  on_scheduling_point();
  Context* next = pick_next();
  if (next != running_) switch_away(next);
  if (running_->apc_interrupt_pending_) deliver_apc_interrupt();
}

std::int64_t Scheduler::block(const BlockReason& reason) {
  Context* self = running_;
  if (self == nullptr) throw UsageError("a wait cannot block on the host; run the waiting code in a lab thread");
  self->block_reason_ = reason;
  self->state_ = ContextState::Blocked;
  self->wake_value_ = 0;
  if (!reason.keeps_processor) {
    WDMLAB_CHECK(self->kind_ == ContextKind::Thread, "a DPC context cannot give up its processor");
    Processor* processor = self->processor_;
    self->saved_irql_ = processor->irql_;
    processor->thread_ = nullptr;
    processor->irql_ = kPassiveLevel;
    self->processor_ = nullptr;
  }
  on_scheduling_point();
  switch_away(pick_next());
  // Read before the APC interrupt: an APC routine may wait, which reuses wake_value_.
  const std::int64_t value = self->wake_value_;
  deliver_apc_interrupt();
  return value;
}

void Scheduler::wake(Context& context, std::int64_t value) {
  WDMLAB_CHECK(context.state_ == ContextState::Blocked, "wake of context {} that is not blocked", context.name_);
  context.wake_value_ = value;
  context.block_reason_ = BlockReason{};
  if (context.processor_ != nullptr) {
    context.state_ = ContextState::Running;  // it kept its processor (spinning or stalling)
  } else {
    context.state_ = ContextState::Ready;
    ready_.push_back(&context);
  }
}

void Scheduler::exit_current() {
  Context* self = running_;
  if (self == nullptr) throw UsageError("exit_current called on the host");
  WDMLAB_CHECK(self->kind_ == ContextKind::Thread, "a DPC context cannot exit");
  Processor* processor = self->processor_;
  if (processor != nullptr) {
    processor->thread_ = nullptr;
    processor->irql_ = kPassiveLevel;
    self->processor_ = nullptr;
  }
  self->state_ = ContextState::Finished;
  if (self->awaited_) --awaited_unfinished_;
  policy_->on_context_finished(self->id_);
  zombies_.push_back(self);
  Context* next = stop_requested_ ? nullptr : pick_next();
  jump(next);
  WDMLAB_CHECK(false, "a finished context was resumed");
  __builtin_unreachable();
}

// --- choosing ------------------------------------------------------------------------------------------

bool Scheduler::preemptible(const Processor& p) const {
  if (p.in_dpc_) return false;
  if (p.dispatch_pending_ && p.irql_ < kDispatchLevel) return false;
  if (p.thread_ == nullptr) return true;
  return p.irql_ < kDispatchLevel && p.thread_->state_ == ContextState::Running;
}

// offers, single_candidate, decide and commit are on the path of every scheduling point and are
// forced inline there.

// The step `processor` offers, if any: its running DPC, a DPC about to start, or its running
// thread. Sets `available` if a ready thread could take the processor.
[[gnu::always_inline]] inline bool Scheduler::offers(Processor& p, Candidate& candidate, bool& available) const {
  if (p.in_dpc_) {
    candidate = {p.dpc_context_, &p, Action::Continue};
    return p.dpc_context_->state_ == ContextState::Running;
  }
  if (p.dispatch_pending_ && p.irql_ < kDispatchLevel) {
    candidate = {p.dpc_context_, &p, Action::StartDpc};
    return true;
  }
  if (p.thread_ == nullptr) {
    available = true;
    return false;
  }
  if (p.thread_->state_ != ContextState::Running) return false;
  if (p.irql_ < kDispatchLevel) available = true;
  candidate = {p.thread_, &p, Action::Continue};
  return true;
}

// True if collect_candidates would find exactly one candidate (the common case: one thread
// running, nothing ready); `candidate` is that one. Saves building the list.
[[gnu::always_inline]] inline bool Scheduler::single_candidate(Candidate& candidate) {
  bool available = false;
  std::size_t count = 0;
  for (Processor& p : processors_) {
    Candidate offered;
    if (!offers(p, offered, available)) continue;
    if (++count > 1) return false;
    candidate = offered;
  }
  if (available && !ready_.empty()) {
    if (count != 0 || ready_.size() != 1) return false;
    candidate = {ready_.front(), nullptr, Action::Dispatch};
    return true;
  }
  return count == 1;
}

void Scheduler::collect_candidates() {
  candidates_.clear();
  bool processor_available = false;
  for (Processor& p : processors_) {
    Candidate offered;
    if (offers(p, offered, processor_available)) candidates_.push_back(offered);
  }
  if (processor_available) {
    for (Context* thread : ready_) candidates_.push_back({thread, nullptr, Action::Dispatch});
  }
}

bool Scheduler::may_advance_to(Time due) const {
  if (mode_ == Mode::For) return due <= run_end_;
  return awaited_unfinished_ > 0 && due <= idle_wait_limit_;
}

void Scheduler::fire_due_timers() {
  // Collect first: a callback may add or cancel timers.
  std::vector<Timer> due;
  while (!timers_.empty() && timers_.begin()->first.first <= now_) {
    due.push_back(timers_.begin()->second);
    timers_.erase(timers_.begin());
  }
  for (const Timer& timer : due) timer.callback(timer.argument);
}

bool Scheduler::advance_to_next_timer() {
  if (timers_.empty()) return false;
  Time due = timers_.begin()->first.first;
  if (!may_advance_to(due)) return false;
  now_ = std::max(now_, due);
  fire_due_timers();
  return true;
}

Context* Scheduler::pick_next() {
  for (;;) {
    if (stop_requested_) return nullptr;
    // A single candidate is taken without asking the policy, whichever way it was found.
    Candidate single;
    if (single_candidate(single)) return decide(single);
    collect_candidates();
    if (!candidates_.empty()) return decide(choose_candidate());
    if (!advance_to_next_timer()) return nullptr;
  }
}

const Scheduler::Candidate& Scheduler::choose_candidate() {
  if (candidates_.size() == 1) return candidates_.front();
  options_buffer_.clear();
  for (const Candidate& c : candidates_) {
    options_buffer_.push_back({c.context->id_, c.processor != nullptr ? static_cast<int>(c.processor->index_) : -1,
                               c.context->kind_ == ContextKind::DpcStack, c.context == running_});
  }
  const std::size_t index = policy_->choose(options_buffer_);
  WDMLAB_CHECK(index < candidates_.size(), "policy {} chose option {} of {}", policy_->name(), index,
               candidates_.size());
  if (trace_.on) [[unlikely]] trace_preemption(candidates_[index]);
  return candidates_[index];
}

// `chosen` is passed by reference: a copy of a candidate just written field by field would be a
// wide load the processor cannot forward from those stores.
[[gnu::always_inline]] inline Context* Scheduler::decide(const Candidate& chosen) {
  if (decisions_ >= decision_limit_ && in_run_) [[unlikely]] {
    stop_on_exhausted_budget();
    return nullptr;
  }
  ++decisions_;
  digest_ = mix(digest_, chosen.context->id_);
  if (options_.record_schedule) schedule_.push_back(chosen.context->id_);
  return commit(chosen);
}

void Scheduler::stop_on_exhausted_budget() {
  Finding finding;
  finding.code = kBugWdmlabRunBudget;
  finding.name = "WDMLAB_RUN_BUDGET_EXHAUSTED";
  finding.parameters = {decisions_, now_, 0, 0};
  finding.description = fmt::format(
      "The run took {} scheduling decisions without going idle: a livelock, a context polling forever, "
      "or a periodic timer the run cannot outlast. Raise the budget (max_decisions) if the work is real.",
      decisions_);
  pending_findings_.push_back({std::move(finding), {}, false, {}});
  crashed_ = true;
  stop_requested_ = true;
}

[[gnu::always_inline]] inline Context* Scheduler::commit(const Candidate& candidate) {
  switch (candidate.action) {
    case Action::Continue:
      return candidate.context;
    case Action::StartDpc: {
      Processor& p = *candidate.processor;
      p.in_dpc_ = true;
      p.dispatch_pending_ = false;  // taken; work queued from now on requests it again
      p.irql_before_dpc_ = p.irql_;
      p.irql_ = kDispatchLevel;
      p.dpc_context_->state_ = ContextState::Running;
      return p.dpc_context_;
    }
    case Action::Dispatch: {
      Context* thread = candidate.context;
      Processor* target = nullptr;
      for (Processor& p : processors_) {
        if (p.thread_ == nullptr && !p.in_dpc_ && !(p.dispatch_pending_ && p.irql_ < kDispatchLevel)) {
          target = &p;
          break;
        }
      }
      if (target == nullptr && running_ != nullptr && running_->kind_ == ContextKind::Thread &&
          running_->processor_ != nullptr && preemptible(*running_->processor_)) {
        target = running_->processor_;  // the processor at the scheduling point switches threads
      }
      if (target == nullptr) {
        for (Processor& p : processors_) {
          if (preemptible(p)) {
            target = &p;
            break;
          }
        }
      }
      WDMLAB_CHECK(target != nullptr, "no processor for a dispatchable thread");
      if (Context* victim = target->thread_; victim != nullptr) {
        victim->saved_irql_ = target->irql_;
        victim->state_ = ContextState::Ready;
        victim->processor_ = nullptr;
        ready_.push_back(victim);
      }
      ready_.erase(std::find(ready_.begin(), ready_.end(), thread));
      thread->state_ = ContextState::Running;
      thread->processor_ = target;
      target->thread_ = thread;
      target->irql_ = thread->saved_irql_;
      return thread;
    }
  }
  __builtin_unreachable();
}

// --- IRQL and DPCs ------------------------------------------------------------------------------------

void Scheduler::set_irql(Irql level) {
  Processor* p = current_processor();
  if (p == nullptr) throw UsageError("the IRQL can only be changed by code running in the lab");
  p->irql_ = level;
  if (irql_observer_ != nullptr) irql_observer_(level);
  if (level < kDispatchLevel) deliver_dispatch_interrupt();
  if (level == kPassiveLevel) deliver_apc_interrupt();
}

void Scheduler::deliver_dispatch_interrupt() {
  Context* self = running_;
  if (self == nullptr || self->kind_ != ContextKind::Thread) return;
  Processor* p = self->processor_;
  if (p == nullptr || !p->dispatch_pending_ || p->irql_ >= kDispatchLevel || p->in_dpc_) return;
  // Not a policy decision: the interrupt is taken immediately, on this processor.
  Context* dpc = commit({p->dpc_context_, p, Action::StartDpc});
  switch_away(dpc);
}

void Scheduler::deliver_apc_interrupt() {
  Context* self = running_;
  if (self == nullptr || !self->apc_interrupt_pending_ || self->kind_ != ContextKind::Thread) return;
  if (self->processor_ == nullptr || self->processor_->irql_ != kPassiveLevel) return;
  WDMLAB_CHECK(apc_handler_ != nullptr, "an APC interrupt was requested but no handler is installed");
  self->apc_interrupt_pending_ = false;
  apc_handler_(*self);
}

void Scheduler::dpc_main(Processor& processor) {
  for (;;) {
    WDMLAB_CHECK(dispatch_handler_ != nullptr, "a dispatch interrupt was requested but no handler is installed");
    dispatch_handler_(processor);
    end_dpc(processor);
  }
}

void Scheduler::end_dpc(Processor& p) {
  WDMLAB_CHECK(running_ == p.dpc_context_ && p.in_dpc_, "DPC context state mismatch");
  p.in_dpc_ = false;
  p.irql_ = p.irql_before_dpc_;
  p.dpc_context_->state_ = ContextState::Idle;
  on_scheduling_point();
  switch_away(pick_next());
}

// --- timers ------------------------------------------------------------------------------------------------

Scheduler::TimerHandle Scheduler::add_timer(Time due, void (*callback)(void*), void* argument) {
  TimerHandle handle{due, ++timer_sequence_};
  timers_.emplace(std::make_pair(handle.due, handle.sequence), Timer{callback, argument});
  return handle;
}

bool Scheduler::cancel_timer(TimerHandle& handle) {
  if (!handle.armed()) return false;
  bool erased = timers_.erase({handle.due, handle.sequence}) != 0;
  handle = TimerHandle{};
  return erased;
}

// --- findings ------------------------------------------------------------------------------------------------

ContextSnapshot Scheduler::snapshot(const Context& context) const {
  ContextSnapshot snap;
  snap.name = context.name_;
  snap.id = context.id_;
  if (context.processor_ != nullptr) {
    snap.processor = static_cast<int>(context.processor_->index_);
    snap.irql = context.processor_->active() == &context ? context.processor_->irql_ : context.saved_irql_;
  } else {
    snap.irql = context.saved_irql_;
  }
  if (context.state_ == ContextState::Blocked) {
    WaitReport report;
    if (context.block_reason_.explain != nullptr) {
      context.block_reason_.explain(context, report);
    } else {
      report.description = fmt::format("{} {}", context.block_reason_.what, context.block_reason_.object);
    }
    snap.waiting_on = report.description;
  }
  return snap;
}

void Scheduler::stop(Finding finding, std::uintptr_t exact_pc, std::vector<RelatedStack> related) {
  Context* self = running_;
  if (self == nullptr) {
    throw UsageError(fmt::format("{} was raised on the host; call kernel routines from a lab thread",
                                 finding.name.empty() ? "a bug check" : finding.name));
  }
  PendingFinding pending;
  pending.finding = std::move(finding);
  pending.finding.severity = Severity::Fatal;
  pending.finding.context = snapshot(*self);
  pending.finding.virtual_time = now_;
  pending.finding.decision = decisions_;
  if (pending.finding.driver.empty() && self->driver() != nullptr) pending.finding.driver = self->driver()->name;
  std::vector<std::uintptr_t> captured = base::capture_stack(1);
  if (exact_pc != 0) {
    // A fault: the trampoline made the faulting instruction look like a call, so the captured
    // stack reaches it again below the lab's dispatch frames. Start at the fault itself.
    pending.pcs.push_back(exact_pc);
    pending.first_exact = true;
    auto fault = std::find(captured.begin(), captured.end(), exact_pc);
    if (fault != captured.end()) captured.erase(captured.begin(), fault + 1);
  }
  pending.pcs.insert(pending.pcs.end(), captured.begin(), captured.end());
  add_related(pending, std::move(related));
  pending_findings_.push_back(std::move(pending));
  crashed_ = true;
  stop_requested_ = true;
  self->state_ = ContextState::Abandoned;
  jump(nullptr);
  WDMLAB_CHECK(false, "an abandoned context was resumed");
  __builtin_unreachable();
}

void Scheduler::add_related(PendingFinding& pending, std::vector<RelatedStack> related) {
  for (RelatedStack& stack : related) {
    pending.involved_pcs.emplace_back(pending.finding.involved.size(), std::move(stack.pcs));
    pending.finding.involved.push_back(ContextSnapshot{.name = std::move(stack.name)});
  }
}

void Scheduler::report(Finding finding, std::vector<RelatedStack> related) {
  PendingFinding pending;
  pending.finding = std::move(finding);
  pending.finding.virtual_time = now_;
  pending.finding.decision = decisions_;
  if (running_ != nullptr) {
    pending.finding.context = snapshot(*running_);
    if (pending.finding.driver.empty() && running_->driver() != nullptr) {
      pending.finding.driver = running_->driver()->name;
    }
    pending.pcs = base::capture_stack(1);
  }
  add_related(pending, std::move(related));
  pending_findings_.push_back(std::move(pending));
}

const std::vector<Finding>& Scheduler::findings() {
  if (running_ != nullptr) throw UsageError("findings are read on the host, after a run");
  for (PendingFinding& pending : pending_findings_) {
    auto& symbolizer = base::symbolizer();
    pending.finding.context.stack = symbolizer.symbolize(pending.pcs, pending.first_exact);
    for (auto& [index, pcs] : pending.involved_pcs) {
      pending.finding.involved[index].stack = symbolizer.symbolize(pcs);
    }
    findings_.push_back(std::move(pending.finding));
  }
  pending_findings_.clear();
  return findings_;
}

void Scheduler::stop_stuck_context(std::uintptr_t pc, std::uint64_t cpu_ms) {
  Irql level = irql();
  Finding finding;
  if (level >= kDispatchLevel) {
    finding.code = kBugDpcWatchdogViolation;
    finding.name = "DPC_WATCHDOG_VIOLATION";
    finding.parameters = {0, cpu_ms, options_.watchdog_ms, 0};
    finding.description = fmt::format(
        "Code running at IRQL {} ran for {} ms of CPU time without calling a kernel routine. A DPC or "
        "code at raised IRQL that spins or loops this long trips the DPC watchdog (parameter 1 = 0: "
        "a single DPC exceeded its time allotment; parameters 2 and 3 are in milliseconds here).",
        level, cpu_ms);
  } else {
    finding.code = kBugWdmlabNeverYields;
    finding.name = "WDMLAB_CONTEXT_NEVER_YIELDS";
    finding.parameters = {cpu_ms, pc, 0, 0};
    finding.description = fmt::format(
        "The context ran for {} ms of CPU time without calling a kernel routine, so no other simulated "
        "processor could run. A loop that waits for another processor to change memory must call a kernel "
        "routine (KeStallExecutionProcessor, YieldProcessor, an Interlocked or Read*Acquire access) or wait "
        "on a dispatcher object.",
        cpu_ms);
  }
  stop(std::move(finding), pc);
}

// --- running ---------------------------------------------------------------------------------------------------

RunStatus Scheduler::run_until_idle() { return run(Mode::UntilIdle, kNever); }

RunStatus Scheduler::run_for(Time duration) { return run(Mode::For, now_ + duration); }

RunStatus Scheduler::run(Mode mode, Time end) {
  if (running_ != nullptr) throw UsageError("run_until_idle/run_for cannot be called from inside the lab");
  if (crashed_) return RunStatus::Stopped;
  mode_ = mode;
  run_end_ = end;
  idle_wait_limit_ = now_ + options_.max_idle_wait;
  // Saturating: max_decisions may be "unlimited" (the largest value) on a lab that already ran.
  decision_limit_ = options_.max_decisions > ~decisions_ ? ~std::uint64_t{0} : decisions_ + options_.max_decisions;
  in_run_ = true;
  {
    Watchdog watchdog(*this, options_.watchdog_ms);
    for (;;) {
      Context* next = pick_next();
      if (next == nullptr) break;
      jump(next);
      if (stop_requested_) break;
    }
  }
  in_run_ = false;
  if (!stop_requested_) {
    if (mode == Mode::For && now_ < end) now_ = end;
    analyze_quiescence();
  }
  if (stop_requested_) {
    abandon_all();
    stop_requested_ = false;
    if (error_) {
      crashed_ = true;
      std::rethrow_exception(std::exchange(error_, nullptr));
    }
    return RunStatus::Stopped;
  }
  return mode == Mode::For ? RunStatus::TimeElapsed : RunStatus::Idle;
}

std::vector<std::uintptr_t> Scheduler::capture_blocked_stack(Context& context) {
  if (context.fiber_ == nullptr || context.state_ != ContextState::Blocked) return {};
  capture_request_ = &context;
  jump(&context);
  running_ = nullptr;
  return std::exchange(context.pending_capture_, {});
}

bool Scheduler::analyze_quiescence() {
  // Nothing can run. Find what can never finish: a cycle of waits on owned objects (deadlock), a
  // processor spinning forever, or an awaited context nothing will wake (hang).
  std::vector<Context*> blocked;
  for (auto& context : contexts_) {
    if (context->state_ == ContextState::Blocked) blocked.push_back(context.get());
  }
  if (blocked.empty()) return false;
  const bool nothing_pending = timers_.empty();

  std::unordered_map<const Context*, WaitReport> reports;
  for (Context* c : blocked) {
    WaitReport report;
    if (c->block_reason_.explain != nullptr) {
      c->block_reason_.explain(*c, report);
    } else {
      report.description = fmt::format("{} {}", c->block_reason_.what, c->block_reason_.object);
    }
    reports.emplace(c, std::move(report));
  }

  // Cycle search over "waits for an object owned by" edges.
  std::vector<Context*> cycle;
  {
    std::unordered_map<const Context*, int> color;  // 0 new, 1 on path, 2 done
    std::vector<Context*> path;
    std::function<bool(Context*)> visit = [&](Context* c) -> bool {
      color[c] = 1;
      path.push_back(c);
      auto it = reports.find(c);
      if (it != reports.end()) {
        for (const Context* owner : it->second.owners) {
          auto* next = const_cast<Context*>(owner);
          if (next->state_ != ContextState::Blocked) continue;
          if (color[next] == 1) {
            auto start = std::find(path.begin(), path.end(), next);
            cycle.assign(start, path.end());
            return true;
          }
          if (color[next] == 0 && visit(next)) return true;
        }
      }
      path.pop_back();
      color[c] = 2;
      return false;
    };
    for (Context* c : blocked) {
      if (color[c] == 0 && visit(c)) break;
    }
  }

  std::vector<Context*> spinning;
  for (Context* c : blocked) {
    if (c->block_reason_.keeps_processor && c->processor_ != nullptr &&
        c->processor_->irql_ >= kDispatchLevel) {
      spinning.push_back(c);
    }
  }
  std::vector<Context*> stuck_awaited;
  for (Context* c : blocked) {
    if (c->awaited_) stuck_awaited.push_back(c);
  }

  std::vector<Context*> involved;
  Finding finding;
  if (!cycle.empty()) {
    involved = cycle;
    bool spins = std::any_of(cycle.begin(), cycle.end(), [&](Context* c) {
      return std::find(spinning.begin(), spinning.end(), c) != spinning.end();
    });
    std::string chain;
    for (Context* c : cycle) chain += fmt::format("\n  {} waits on {}", c->name_, reports[c].description);
    if (spins) {
      finding.code = kBugDpcWatchdogViolation;
      finding.name = "DPC_WATCHDOG_VIOLATION";
      finding.parameters = {1, kDpcWatchdogPeriodTicks, 0, 0};
      finding.description = fmt::format(
          "Deadlock: {} contexts wait on each other in a cycle and at least one processor spins at "
          "DISPATCH_LEVEL forever; Windows' DPC watchdog stops such a system after 120 s (parameter 1 = 1: "
          "cumulative time at DISPATCH_LEVEL or above).{}",
          cycle.size(), chain);
    } else {
      finding.code = kBugWdmlabDeadlock;
      finding.name = "WDMLAB_DEADLOCK";
      finding.parameters = {cycle.size(), reinterpret_cast<std::uintptr_t>(cycle.front()->block_reason_.object), 0,
                            0};
      finding.description =
          fmt::format("Deadlock: {} contexts wait on each other in a cycle.{}", cycle.size(), chain);
    }
  } else if (!spinning.empty() && nothing_pending) {
    involved = spinning;
    finding.code = kBugDpcWatchdogViolation;
    finding.name = "DPC_WATCHDOG_VIOLATION";
    finding.parameters = {1, kDpcWatchdogPeriodTicks, 0, 0};
    std::string chain;
    for (Context* c : spinning) chain += fmt::format("\n  {} spins on {}", c->name_, reports[c].description);
    finding.description = fmt::format(
        "A processor spins at DISPATCH_LEVEL and nothing can ever release what it waits for; Windows' DPC "
        "watchdog stops such a system after 120 s.{}",
        chain);
  } else if (!stuck_awaited.empty() && (nothing_pending || mode_ == Mode::UntilIdle)) {
    involved = stuck_awaited;
    finding.code = kBugWdmlabHang;
    finding.name = "WDMLAB_HANG";
    finding.parameters = {stuck_awaited.size(),
                          reinterpret_cast<std::uintptr_t>(stuck_awaited.front()->block_reason_.object),
                          nothing_pending ? 0u : 1u, 0};
    std::string chain;
    for (Context* c : stuck_awaited) chain += fmt::format("\n  {} waits on {}", c->name_, reports[c].description);
    finding.description =
        nothing_pending
            ? fmt::format("Hang: the lab is idle, but {} context(s) the test waits for are blocked and nothing "
                          "can wake them.{}",
                          stuck_awaited.size(), chain)
            : fmt::format("Hang: {} context(s) the test waits for are still blocked after the longest idle wait "
                          "the run allows (parameter 3 = 1).{}",
                          stuck_awaited.size(), chain);
  } else {
    return false;
  }

  PendingFinding pending;
  pending.finding = std::move(finding);
  pending.finding.severity = Severity::Fatal;
  pending.finding.virtual_time = now_;
  pending.finding.decision = decisions_;
  pending.finding.context = snapshot(*involved.front());
  if (involved.front()->driver() != nullptr) pending.finding.driver = involved.front()->driver()->name;
  pending.pcs = capture_blocked_stack(*involved.front());
  for (std::size_t i = 1; i < involved.size(); ++i) {
    pending.finding.involved.push_back(snapshot(*involved[i]));
    pending.involved_pcs.emplace_back(i - 1, capture_blocked_stack(*involved[i]));
  }
  pending_findings_.push_back(std::move(pending));
  crashed_ = true;
  stop_requested_ = true;
  return true;
}

void Scheduler::abandon_all() {
  for (auto& context : contexts_) {
    if (context->state_ == ContextState::Finished) continue;
    if (context->state_ != ContextState::Idle || context->kind_ != ContextKind::DpcStack) {
      if (context->awaited_ && !context->finished()) --awaited_unfinished_;
      context->state_ = ContextState::Abandoned;
    }
    stacks_.release(std::exchange(context->stack_, Stack{}));
    context->fiber_ = nullptr;
  }
  ready_.clear();
  zombies_.clear();
  for (Processor& p : processors_) {
    p.thread_ = nullptr;
    p.in_dpc_ = false;
    p.irql_ = kPassiveLevel;
  }
}

}  // namespace wdmlab::sched
