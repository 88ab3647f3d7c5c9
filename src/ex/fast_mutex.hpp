// ex/fast_mutex.hpp - fast mutexes and guarded mutexes (one FAST_MUTEX structure for both).
//
// State lives in the driver's FAST_MUTEX: Count (FM_LOCK_BIT set while free, plus the waiter
// count in FM_LOCK_WAITER_INC steps), Owner (the owning KTHREAD), Contention, and Event, a
// synchronization event contended acquirers wait on through ke's dispatcher. Release frees the
// lock and sets the event when someone waits; the woken waiter competes for the lock again (a
// newcomer may take it first, as on Windows).
//
// So that wait reports and deadlock detection can name the owner of a contended mutex, the
// mutexes being waited on are remembered here and ke is given a resolver from their events to
// their owners. Per-thread ownership counts let the worker threads catch a routine that returns
// owning a mutex.
//
// IRQL effects (raising to APC_LEVEL, guarded regions) and validation belong to the exported
// routines in fast_mutex.cpp.
#pragma once

#include <wdm.h>

#include <cstddef>
#include <unordered_map>

struct _KTHREAD;

namespace wdmlab::ke {
class Kernel;
}
namespace wdmlab::sched {
class Context;
}

namespace wdmlab::ex {

class FastMutexes {
 public:
  explicit FastMutexes(ke::Kernel& kernel);  // installs the wait owner resolver
  ~FastMutexes();
  FastMutexes(const FastMutexes&) = delete;
  FastMutexes& operator=(const FastMutexes&) = delete;

  static void initialize(FAST_MUTEX& mutex);
  static bool owned(const FAST_MUTEX& mutex) { return (mutex.Count & FM_LOCK_BIT) == 0; }
  static _KTHREAD* owner(const FAST_MUTEX& mutex) { return static_cast<_KTHREAD*>(mutex.Owner); }

  // Takes the mutex for `thread`, waiting (KernelMode, not alertable) while it is owned.
  // `caller` is the driver's call site, for reports.
  void acquire(FAST_MUTEX& mutex, _KTHREAD* thread, const void* caller);
  // Takes the mutex if it is free.
  bool try_acquire(FAST_MUTEX& mutex, _KTHREAD* thread);
  // Frees the mutex and wakes a waiter, if any. The caller checked that `thread` owns it.
  void release(FAST_MUTEX& mutex, _KTHREAD* thread);

  // Fast and guarded mutexes `thread` owns now.
  std::size_t owned_by(const _KTHREAD* thread) const;
  // The context holding `mutex`, or null. Contexts outlive their threads' KTHREADs, so reports
  // name owners through this rather than through FAST_MUTEX.Owner.
  const sched::Context* holder(const FAST_MUTEX* mutex) const;
  // The mutex whose Event is `event`, if a thread is waiting on that mutex, or null.
  const FAST_MUTEX* waited_mutex_of(const DISPATCHER_HEADER* event) const;

 private:
  void take(FAST_MUTEX& mutex, _KTHREAD* thread);

  ke::Kernel& kernel_;
  std::unordered_map<const FAST_MUTEX*, std::size_t> waited_;  // waiters per contended mutex
  std::unordered_map<const FAST_MUTEX*, const sched::Context*> holders_;
  std::unordered_map<const _KTHREAD*, std::size_t> owned_;
};

}  // namespace wdmlab::ex
