#include "ob/previous_mode.hpp"

#include "ke/kernel.hpp"
#include "ke/thread.hpp"

namespace wdmlab::ob {

namespace {

_KTHREAD* running_thread() {
  ke::Kernel* kernel = ke::Kernel::current();
  if (kernel == nullptr || kernel->scheduler().running() == nullptr) return nullptr;
  return kernel->current_thread();
}

}  // namespace

KPROCESSOR_MODE previous_mode() {
  _KTHREAD* thread = running_thread();
  return thread != nullptr ? thread->PreviousMode : static_cast<KPROCESSOR_MODE>(KernelMode);
}

KernelModeCall::KernelModeCall() : thread_(running_thread()) {
  if (thread_ == nullptr) return;
  saved_ = thread_->PreviousMode;
  thread_->PreviousMode = KernelMode;
}

KernelModeCall::~KernelModeCall() {
  if (thread_ != nullptr) thread_->PreviousMode = saved_;
}

}  // namespace wdmlab::ob
