#include "ke/kernel.hpp"

#include "base/check.hpp"
#include "ke/apc.hpp"
#include "ke/thread.hpp"
#include "wdmlab/errors.hpp"

namespace wdmlab::ke {

void install_trap_handlers(sched::Scheduler& scheduler);
void dispatch_interrupt(sched::Processor& processor);

namespace {
thread_local Kernel* t_kernel = nullptr;
}

Kernel::Kernel(sched::Scheduler& scheduler, KernelOptions options) : scheduler_(scheduler), options_(options) {
  if (t_kernel != nullptr) throw UsageError("a kernel already exists on this thread");
  const auto processors = static_cast<std::uint32_t>(scheduler.processors().size());
  dpc_queues_.resize(processors);
  for (std::uint32_t i = 0; i < processors; ++i) {
    auto idle = std::make_unique<_KTHREAD>();
    initialize_thread(*idle);
    idle_.push_back(idle.get());
    own_idle_threads_.push_back(std::move(idle));
  }
  scheduler.set_dispatch_interrupt_handler(&dispatch_interrupt);
  scheduler.set_apc_interrupt_handler(&apc_interrupt);
  install_trap_handlers(scheduler);
  KeNumberProcessors = static_cast<CCHAR>(processors);
  t_kernel = this;
}

Kernel::~Kernel() {
  if (t_kernel == this) t_kernel = nullptr;
}

Kernel* Kernel::current() { return t_kernel; }

Kernel& Kernel::require() {
  if (t_kernel == nullptr) {
    throw UsageError("a kernel routine was called with no lab on this thread; create a wdmlab::Lab first");
  }
  return *t_kernel;
}

_KTHREAD* Kernel::current_thread() {
  sched::Processor* processor = scheduler_.current_processor();
  if (processor == nullptr) return nullptr;
  if (sched::Context* thread = processor->thread(); thread != nullptr) return thread_of(*thread);
  return idle_[processor->index()];
}

void Kernel::set_idle_threads(std::size_t count, const std::function<_KTHREAD*(std::size_t)>& thread_for) {
  for (std::size_t i = 0; i < count && i < idle_.size(); ++i) idle_[i] = thread_for(i);
}

void Kernel::run_thread_exit_hooks(_KTHREAD& thread) {
  for (auto& hook : exit_hooks_) hook(thread);
}

sched::Time due_time_to_virtual(const Kernel& kernel, LONGLONG due) {
  const sched::Time now = const_cast<Kernel&>(kernel).scheduler().now();
  if (due < 0) return now + static_cast<sched::Time>(-due);
  const LONGLONG since_boot = due - kernel.boot_system_time();
  return since_boot <= static_cast<LONGLONG>(now) ? now : static_cast<sched::Time>(since_boot);
}

}  // namespace wdmlab::ke

extern "C" {
CCHAR KeNumberProcessors = 1;
}
