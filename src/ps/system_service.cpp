#include "ps/system_service.hpp"

#include <fmt/format.h>

#include <exception>

#include "ke/apc.hpp"
#include "ke/bugcheck.hpp"
#include "ke/kernel.hpp"
#include "ke/thread.hpp"
#include "wdmlab/errors.hpp"

namespace wdmlab::ps {

SystemServiceScope::SystemServiceScope(const void* service, const char* name)
    : service_(service), name_(name), exceptions_(std::uncaught_exceptions()) {
  ke::Kernel* kernel = ke::Kernel::current();
  _KTHREAD* thread = kernel != nullptr ? kernel->current_thread() : nullptr;
  if (thread == nullptr || thread->context == nullptr || thread->system_thread) {
    throw UsageError(
        fmt::format("{} was entered outside a user thread; run user-mode code in a thread made by "
                    "ProcessManager::create_user_thread",
                    name_));
  }
  if (thread->PreviousMode == UserMode) {
    throw UsageError(
        fmt::format("{} was entered from inside another system service; system services do not nest", name_));
  }
  if (ke::current_irql() != PASSIVE_LEVEL) {
    throw UsageError(
        fmt::format("{} was entered at IRQL {}; user-mode code runs at PASSIVE_LEVEL", name_, ke::current_irql()));
  }
  thread_ = thread;
  kernel_apc_disable_ = thread->KernelApcDisable;
  special_apc_disable_ = thread->SpecialApcDisable;
  thread->PreviousMode = UserMode;
}

SystemServiceScope::~SystemServiceScope() {
  if (std::uncaught_exceptions() == exceptions_) {
    const auto service = reinterpret_cast<std::uintptr_t>(service_);
    if (const std::uint8_t irql = ke::current_irql(); irql != PASSIVE_LEVEL) {
      ke::bug_check(IRQL_GT_ZERO_AT_SYSTEM_SERVICE, service, irql, 0, 0,
                    fmt::format("{} returned to user mode at IRQL {}: kernel code it called raised the IRQL (or "
                                "acquired a spin lock) and did not lower it again.",
                                name_, irql));
    }
    if (thread_->KernelApcDisable != kernel_apc_disable_ || thread_->SpecialApcDisable != special_apc_disable_) {
      const std::uint64_t combined =
          (static_cast<std::uint64_t>(static_cast<USHORT>(thread_->SpecialApcDisable)) << 16) |
          static_cast<USHORT>(thread_->KernelApcDisable);
      ke::bug_check(APC_INDEX_MISMATCH, service, 0, combined, 0,
                    fmt::format("{} returned to user mode with KernelApcDisable {} and SpecialApcDisable {} (they "
                                "were {} and {} on entry): kernel code it called entered a critical or guarded "
                                "region (or acquired a lock that does) and did not leave it.",
                                name_, thread_->KernelApcDisable, thread_->SpecialApcDisable, kernel_apc_disable_,
                                special_apc_disable_));
    }
  }
  thread_->PreviousMode = KernelMode;
  // Back to user mode: a thread alerted for its user APCs (it is being terminated) takes them now.
  if (thread_->user_apc_pending && std::uncaught_exceptions() == exceptions_) ke::deliver_user_apcs();
}

}  // namespace wdmlab::ps
