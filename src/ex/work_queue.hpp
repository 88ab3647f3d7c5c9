// ex/work_queue.hpp - the system worker threads behind ExQueueWorkItem.
//
// Each WORK_QUEUE_TYPE (and each custom priority) has its own queue: a LIST_ENTRY head the
// driver's WORK_QUEUE_ITEMs are linked into through their List field, exactly as Windows links
// them, so an item freed or reused while queued corrupts the queue as it would there. Worker
// threads are lab system threads started on demand, at most kWorkersPerQueue per queue; a worker
// runs items until its queue is empty and then ends. A worker is awaited work for the lab while it
// lives, so run_until_idle lets virtual time pass for queued items (one that waits on a timer, for
// instance) and reports a hang if an item can never finish.
//
// Each item runs at PASSIVE_LEVEL, charged to the driver that queued it. After the routine
// returns the worker checks the thread state Windows checks (see ex.h).
#pragma once

#include <wdm.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace wdmlab::base {
struct DriverIdentity;
}
namespace wdmlab::ps {
class ProcessManager;
}

namespace wdmlab::ex {

class WorkQueues {
 public:
  static constexpr int kWorkersPerQueue = 4;

  explicit WorkQueues(ps::ProcessManager& processes);
  ~WorkQueues();
  WorkQueues(const WorkQueues&) = delete;
  WorkQueues& operator=(const WorkQueues&) = delete;

  static bool valid_type(ULONG type);

  bool queued(const WORK_QUEUE_ITEM* item) const;
  // The first queued item whose structure starts in [begin, end), or null.
  const WORK_QUEUE_ITEM* first_in(std::uintptr_t begin, std::uintptr_t end) const;
  // Items queued but not yet started, charged to `driver`.
  std::size_t pending(const base::DriverIdentity* driver) const;
  // The lowest-addressed item queued but not yet started, charged to `driver`, or null (the
  // unload audit).
  const WORK_QUEUE_ITEM* first_pending(const base::DriverIdentity* driver) const;
  std::uint64_t completed() const { return completed_; }
  std::size_t workers() const;

  // Links `item` into its queue and starts a worker if the queue has fewer than
  // kWorkersPerQueue. The caller checked the type and that the item is not queued already.
  void queue(WORK_QUEUE_ITEM& item, ULONG type, const base::DriverIdentity* driver);

 private:
  struct Queue {
    ULONG type = 0;
    std::string name;
    LIST_ENTRY head{};
    int workers = 0;
    int started = 0;
  };
  struct Pending {
    const base::DriverIdentity* driver = nullptr;
  };
  Queue& queue_for(ULONG type);
  void start_worker(Queue& queue);
  void worker_main(Queue& queue);
  // Checks the thread after a routine returned (IRQL, owned mutexes, APC state).
  void check_after_routine(PWORKER_THREAD_ROUTINE routine, PVOID parameter, const WORK_QUEUE_ITEM* item);

  ps::ProcessManager& processes_;
  std::map<ULONG, std::unique_ptr<Queue>> queues_;
  std::map<std::uintptr_t, Pending> pending_;  // by item address
  std::uint64_t completed_ = 0;
};

}  // namespace wdmlab::ex
