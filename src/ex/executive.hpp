// ex/executive.hpp - the executive's per-lab state.
//
// One Executive exists per lab, created after the process manager (the Lab owns it). It holds
// the pool, the registry of live lookaside lists, the executive resources, the bookkeeping of
// contended fast mutexes and the system worker queues. The exported routines (pool.cpp,
// lookaside.cpp, fast_mutex.cpp, resource.cpp, work_queue.cpp, slist.cpp, interlocked_list.cpp,
// raise.cpp) check their callers and delegate to these objects; tests read the pool's
// accounting through pool().accounting(). While it exists, the runtime library's string routines
// allocate their buffers from this pool (paged, tag "Strg").
#pragma once

#include <wdm.h>

#include <cstdint>
#include <string>

#include "ex/fast_mutex.hpp"
#include "ex/lookaside.hpp"
#include "ex/pool.hpp"
#include "ex/resource.hpp"
#include "ex/work_queue.hpp"
#include "sched/types.hpp"

struct _KTHREAD;

namespace wdmlab::base {
struct DriverIdentity;
}
namespace wdmlab::ke {
class Kernel;
}
namespace wdmlab::ps {
class ProcessManager;
}

namespace wdmlab::ex {

struct ExecutiveOptions {
  PoolOptions pool;
};

class Executive {
 public:
  Executive(ke::Kernel& kernel, ps::ProcessManager& processes, ExecutiveOptions options = {});
  ~Executive();
  Executive(const Executive&) = delete;
  Executive& operator=(const Executive&) = delete;

  // The executive of the lab on this OS thread; require() throws UsageError when there is none.
  static Executive* current();
  static Executive& require();

  Pool& pool() { return pool_; }
  LookasideLists& lookaside_lists() { return lookaside_lists_; }
  FastMutexes& fast_mutexes() { return fast_mutexes_; }
  Resources& resources() { return resources_; }
  WorkQueues& work_queues() { return work_queues_; }

  // Runs ObjectManager::delete_object(body) on a system worker thread (the object manager's
  // deferred deletion).
  void defer_object_deletion(void* body);

 private:
  Pool pool_;
  LookasideLists lookaside_lists_;
  FastMutexes fast_mutexes_;
  Resources resources_;
  WorkQueues work_queues_;
};

// --- helpers for the exported routines ----------------------------------------------------------

// The thread on the calling processor, or null on the host.
_KTHREAD* current_thread();
// The calling thread as an ERESOURCE_THREAD (its ETHREAD address).
ERESOURCE_THREAD current_resource_thread();
// KTHREAD.CombinedApcDisable: SpecialApcDisable in the high 16 bits, KernelApcDisable in the low.
ULONG combined_apc_disable(const _KTHREAD* thread);
// A name for a thread in reports.
std::string thread_name(const _KTHREAD* thread);

inline std::uintptr_t address_of(const volatile void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }


}  // namespace wdmlab::ex
