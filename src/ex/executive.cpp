#include "ex/executive.hpp"

#include <fmt/format.h>

#include "ke/bugcheck.hpp"
#include "ke/kernel.hpp"
#include "ke/thread.hpp"
#include "ob/object.hpp"
#include "ps/process.hpp"
#include "rtl/string_allocator.hpp"
#include "sched/scheduler.hpp"
#include "wdmlab/errors.hpp"

namespace wdmlab::ex {

namespace {

// Initial-exec: read at every context switch (Force IRQL checking follows the running IRQL).
constinit __attribute__((tls_model("initial-exec"))) thread_local Executive* t_executive = nullptr;

// The string routines' buffers: paged pool with the tag "Strg", charged to the calling driver. A
// failure returns null (the routine then reports STATUS_NO_MEMORY); the IRQL and free checks are
// those of the pool routines.
constexpr ULONG kStringTag = 'grtS';
void* allocate_string(std::size_t bytes) { return ExAllocatePoolWithTag(PagedPool, bytes, kStringTag); }
void free_string(void* block) { ExFreePoolWithTag(block, kStringTag); }

}  // namespace

Executive::Executive(ke::Kernel& kernel, ps::ProcessManager& processes, ExecutiveOptions options)
    : pool_(options.pool), fast_mutexes_(kernel), work_queues_(processes) {
  if (t_executive != nullptr) throw UsageError("an executive already exists on this thread");
  t_executive = this;
  rtl::set_string_allocator({&allocate_string, &free_string});
  kernel.add_memory_fault_check(&check_special_pool_fault);
  kernel.scheduler().set_irql_observer(&follow_irql);
  if (ob::ObjectManager* objects = ob::ObjectManager::current()) {
    objects->defer_deletion = [this](void* body) { defer_object_deletion(body); };
  }
}

namespace {

struct DeferredDeletion {
  WORK_QUEUE_ITEM item;
  void* body;
};

VOID NTAPI delete_deferred_object(PVOID parameter) {
  auto* deferred = static_cast<DeferredDeletion*>(parameter);
  void* body = deferred->body;
  delete deferred;
  ob::ObjectManager::require().delete_object(body);
}

}  // namespace

void Executive::defer_object_deletion(void* body) {
  auto* deferred = new DeferredDeletion{};
  deferred->body = body;
  ExInitializeWorkItem(&deferred->item, &delete_deferred_object, deferred);
  work_queues_.queue(deferred->item, DelayedWorkQueue, nullptr);
}

Executive::~Executive() {
  if (sched::Scheduler* scheduler = sched::Scheduler::current()) scheduler->set_irql_observer(nullptr);
  if (ob::ObjectManager* objects = ob::ObjectManager::current()) objects->defer_deletion = nullptr;
  rtl::reset_string_allocator();
  if (t_executive == this) t_executive = nullptr;
}

Executive* Executive::current() { return t_executive; }

Executive& Executive::require() {
  if (t_executive == nullptr) {
    throw UsageError("an executive routine was called with no lab on this thread; create a wdmlab::Lab first");
  }
  return *t_executive;
}

_KTHREAD* current_thread() {
  ke::Kernel* kernel = ke::Kernel::current();
  return kernel != nullptr ? kernel->current_thread() : nullptr;
}

ERESOURCE_THREAD current_resource_thread() { return reinterpret_cast<ERESOURCE_THREAD>(current_thread()); }

ULONG combined_apc_disable(const _KTHREAD* thread) {
  if (thread == nullptr) return 0;
  return (static_cast<ULONG>(static_cast<USHORT>(thread->SpecialApcDisable)) << 16) |
         static_cast<USHORT>(thread->KernelApcDisable);
}

std::string thread_name(const _KTHREAD* thread) {
  if (thread == nullptr) return "no thread";
  if (thread->context == nullptr) return fmt::format("thread {}", static_cast<const void*>(thread));
  return thread->context->name();
}

}  // namespace wdmlab::ex
