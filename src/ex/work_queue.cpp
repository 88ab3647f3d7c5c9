// System worker threads: the queues and workers (WorkQueues) and ExQueueWorkItem.
#include "ex/work_queue.hpp"

#include <fmt/format.h>

#include "base/driver_identity.hpp"
#include "ex/executive.hpp"
#include "ke/bugcheck.hpp"
#include "ke/thread.hpp"
#include "ob/object.hpp"
#include "ps/process.hpp"
#include "sched/scheduler.hpp"

namespace wdmlab::ex {

namespace {

constexpr ULONG kCustomPriorities = 32;

// APC_INDEX_MISMATCH parameter 4: the check ran after a worker routine (0 would be a system call).
constexpr std::uint64_t kAfterWorkerRoutine = 1;

std::string queue_name(ULONG type) {
  switch (type) {
    case CriticalWorkQueue:
      return "Critical";
    case DelayedWorkQueue:
      return "Delayed";
    case HyperCriticalWorkQueue:
      return "HyperCritical";
    case NormalWorkQueue:
      return "Normal";
    case BackgroundWorkQueue:
      return "Background";
    case RealTimeWorkQueue:
      return "RealTime";
    case SuperCriticalWorkQueue:
      return "SuperCritical";
    default:
      return fmt::format("CustomPriority{}", type - CustomPriorityWorkQueue);
  }
}

}  // namespace

WorkQueues::WorkQueues(ps::ProcessManager& processes) : processes_(processes) {}

WorkQueues::~WorkQueues() = default;

bool WorkQueues::valid_type(ULONG type) {
  return type < MaximumWorkQueue ||
         (type >= CustomPriorityWorkQueue && type < CustomPriorityWorkQueue + kCustomPriorities);
}

bool WorkQueues::queued(const WORK_QUEUE_ITEM* item) const {
  return pending_.find(reinterpret_cast<std::uintptr_t>(item)) != pending_.end();
}

const WORK_QUEUE_ITEM* WorkQueues::first_in(std::uintptr_t begin, std::uintptr_t end) const {
  auto it = pending_.lower_bound(begin);
  return it != pending_.end() && it->first < end ? reinterpret_cast<const WORK_QUEUE_ITEM*>(it->first) : nullptr;
}

std::size_t WorkQueues::pending(const base::DriverIdentity* driver) const {
  std::size_t count = 0;
  for (const auto& [address, item] : pending_) {
    if (item.driver == driver) ++count;
  }
  return count;
}

const WORK_QUEUE_ITEM* WorkQueues::first_pending(const base::DriverIdentity* driver) const {
  for (const auto& [address, item] : pending_) {
    if (item.driver == driver) return reinterpret_cast<const WORK_QUEUE_ITEM*>(address);
  }
  return nullptr;
}

std::size_t WorkQueues::workers() const {
  std::size_t count = 0;
  for (const auto& [type, queue] : queues_) count += static_cast<std::size_t>(queue->workers);
  return count;
}

WorkQueues::Queue& WorkQueues::queue_for(ULONG type) {
  std::unique_ptr<Queue>& queue = queues_[type];
  if (!queue) {
    queue = std::make_unique<Queue>();
    queue->type = type;
    queue->name = queue_name(type);
    InitializeListHead(&queue->head);
  }
  return *queue;
}

void WorkQueues::queue(WORK_QUEUE_ITEM& item, ULONG type, const base::DriverIdentity* driver) {
  Queue& queue = queue_for(type);
  InsertTailList(&queue.head, &item.List);
  pending_[reinterpret_cast<std::uintptr_t>(&item)] = Pending{driver};
  if (queue.workers < kWorkersPerQueue) start_worker(queue);
}

void WorkQueues::start_worker(Queue& queue) {
  ++queue.workers;
  ++queue.started;
  _ETHREAD* thread = processes_.create_system_thread(
      fmt::format("ExWorker/{}#{}", queue.name, queue.started), [this, &queue] { worker_main(queue); }, nullptr, true);
  ob::ObjectManager::require().dereference(thread);  // nobody holds a handle to a worker
}

void WorkQueues::worker_main(Queue& queue) {
  sched::Context& self = *sched::Scheduler::current()->running();
  while (!IsListEmpty(&queue.head)) {
    PLIST_ENTRY entry = RemoveHeadList(&queue.head);
    WORK_QUEUE_ITEM* item = CONTAINING_RECORD(entry, WORK_QUEUE_ITEM, List);
    item->List.Flink = nullptr;  // the item may be queued again, even by its own routine
    auto pending = pending_.find(reinterpret_cast<std::uintptr_t>(item));
    const base::DriverIdentity* driver = pending != pending_.end() ? pending->second.driver : nullptr;
    if (pending != pending_.end()) pending_.erase(pending);
    // The routine may free the item: only these copies are used once it has run.
    PWORKER_THREAD_ROUTINE routine = item->WorkerRoutine;
    PVOID parameter = item->Parameter;
    if (driver != nullptr) self.push_driver(driver);
    routine(parameter);
    check_after_routine(routine, parameter, item);
    if (driver != nullptr) self.pop_driver();
    ++completed_;
  }
  --queue.workers;
}

void WorkQueues::check_after_routine(PWORKER_THREAD_ROUTINE routine, PVOID parameter, const WORK_QUEUE_ITEM* item) {
  const KIRQL irql = wdmlab::ke::current_irql();
  if (irql != PASSIVE_LEVEL) {
    ke::bug_check(
        WORKER_THREAD_RETURNED_AT_BAD_IRQL, address_of(reinterpret_cast<const void*>(routine)), irql,
        address_of(parameter), address_of(item),
        fmt::format("The worker routine returned at IRQL {}; worker routines must return at PASSIVE_LEVEL.", irql));
  }
  _KTHREAD* thread = current_thread();
  const std::size_t fast_mutexes = Executive::require().fast_mutexes().owned_by(thread);
  if (!IsListEmpty(&thread->MutantListHead) || fast_mutexes != 0) {
    ke::bug_check(SYSTEM_EXIT_OWNED_MUTEX, address_of(reinterpret_cast<const void*>(routine)), address_of(parameter),
                  address_of(item), 0,
                  fmt::format("The worker routine returned while its thread still owns {}; the mutex would never be "
                              "released.",
                              fast_mutexes != 0 ? "a fast or guarded mutex" : "a mutex (KMUTEX)"));
  }
  const ULONG apc_disable = combined_apc_disable(thread);
  if (apc_disable != 0) {
    ke::bug_check(APC_INDEX_MISMATCH, address_of(reinterpret_cast<const void*>(routine)), 0, apc_disable,
                  kAfterWorkerRoutine,
                  fmt::format("The worker routine returned with APCs still disabled (CombinedApcDisable {:#x}: a "
                              "critical or guarded region was entered and not left).",
                              apc_disable));
  }
}

}  // namespace wdmlab::ex

namespace {

// WORKER_INVALID subcodes.
constexpr std::uint64_t kActiveItemQueued = 0x1;
constexpr std::uint64_t kInvalidQueueType = 0x6;
constexpr std::uint64_t kInvalidRoutine = 0x7;

}  // namespace

extern "C" {

VOID NTAPI ExQueueWorkItem(PWORK_QUEUE_ITEM WorkItem, WORK_QUEUE_TYPE QueueType) {
  wdmlab::sched::scheduling_point();
  using wdmlab::ex::address_of;
  const KIRQL irql = wdmlab::ke::current_irql();
  if (irql > DISPATCH_LEVEL) {
    wdmlab::ke::irql_too_high("ExQueueWorkItem", WorkItem, irql, DISPATCH_LEVEL, __builtin_return_address(0), nullptr);
  }
  wdmlab::ex::WorkQueues& queues = wdmlab::ex::Executive::require().work_queues();
  const auto type = static_cast<ULONG>(QueueType);
  if (!wdmlab::ex::WorkQueues::valid_type(type)) {
    wdmlab::ke::bug_check(WORKER_INVALID, kInvalidQueueType, address_of(WorkItem), type, 0,
                          fmt::format("ExQueueWorkItem with queue type {}, which is not a WORK_QUEUE_TYPE.", type));
  }
  if (WorkItem->WorkerRoutine == nullptr) {
    wdmlab::ke::bug_check(WORKER_INVALID, kInvalidRoutine, address_of(WorkItem), type, 0,
                          "ExQueueWorkItem with a work item that has no worker routine.");
  }
  if (WorkItem->List.Flink != nullptr || queues.queued(WorkItem)) {
    wdmlab::ke::bug_check(
        WORKER_INVALID, kActiveItemQueued, address_of(WorkItem), type, 0,
        fmt::format("ExQueueWorkItem on the work item at {}, which is {}.", static_cast<const void*>(WorkItem),
                    queues.queued(WorkItem) ? "already queued"
                                            : "not initialised (List.Flink is not NULL; use "
                                              "ExInitializeWorkItem)"));
  }
  queues.queue(*WorkItem, type, wdmlab::sched::calling_driver());
}

}  // extern "C"
