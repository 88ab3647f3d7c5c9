// Fast mutexes and guarded mutexes: the lock itself (FastMutexes) and the exported routines.
#include "ex/fast_mutex.hpp"

#include <fmt/format.h>

#include "ex/executive.hpp"
#include "ke/bugcheck.hpp"
#include "ke/dispatcher.hpp"
#include "ke/kernel.hpp"
#include "ke/thread.hpp"
#include "sched/scheduler.hpp"
#include "verifier/verifier.hpp"

namespace wdmlab::ex {

namespace {

ke::Kernel::WaitOwner resolve_wait_owner(const DISPATCHER_HEADER* object) {
  Executive* executive = Executive::current();
  const FAST_MUTEX* mutex = executive != nullptr ? executive->fast_mutexes().waited_mutex_of(object) : nullptr;
  if (mutex == nullptr) return {};
  return {executive->fast_mutexes().holder(mutex), "fast mutex", mutex};
}

}  // namespace

FastMutexes::FastMutexes(ke::Kernel& kernel) : kernel_(kernel) { kernel_.set_wait_owner_resolver(&resolve_wait_owner); }

FastMutexes::~FastMutexes() { kernel_.set_wait_owner_resolver(nullptr); }

void FastMutexes::initialize(FAST_MUTEX& mutex) {
  mutex.Count = FM_LOCK_BIT;
  mutex.Owner = nullptr;
  mutex.Contention = 0;
  KeInitializeEvent(&mutex.Event, SynchronizationEvent, FALSE);
  mutex.OldIrql = PASSIVE_LEVEL;
}

void FastMutexes::take(FAST_MUTEX& mutex, _KTHREAD* thread) {
  mutex.Count = mutex.Count & ~FM_LOCK_BIT;
  mutex.Owner = thread;
  ++owned_[thread];
  sched::Scheduler* scheduler = sched::Scheduler::current();
  holders_[&mutex] = scheduler != nullptr ? scheduler->running() : nullptr;
}

void FastMutexes::acquire(FAST_MUTEX& mutex, _KTHREAD* thread, const void* caller) {
  for (;;) {
    if ((mutex.Count & FM_LOCK_BIT) != 0) {
      take(mutex, thread);
      return;
    }
    mutex.Count = mutex.Count + FM_LOCK_WAITER_INC;
    ++mutex.Contention;
    ++waited_[&mutex];
    PVOID objects[1] = {&mutex.Event};
    ke::wait_for_objects(1, objects, WaitAny, KernelMode, FALSE, nullptr, nullptr, caller);
    if (--waited_[&mutex] == 0) waited_.erase(&mutex);
    mutex.Count = mutex.Count - FM_LOCK_WAITER_INC;
  }
}

bool FastMutexes::try_acquire(FAST_MUTEX& mutex, _KTHREAD* thread) {
  if ((mutex.Count & FM_LOCK_BIT) == 0) return false;
  take(mutex, thread);
  return true;
}

void FastMutexes::release(FAST_MUTEX& mutex, _KTHREAD* thread) {
  mutex.Owner = nullptr;
  holders_.erase(&mutex);
  if (auto it = owned_.find(thread); it != owned_.end() && --it->second == 0) owned_.erase(it);
  mutex.Count = mutex.Count | FM_LOCK_BIT;
  if (mutex.Count >= FM_LOCK_WAITER_INC) {
    mutex.Event.Header.SignalState = 1;
    ke::signal_waiters(&mutex.Event.Header);
  }
}

std::size_t FastMutexes::owned_by(const _KTHREAD* thread) const {
  auto it = owned_.find(thread);
  return it != owned_.end() ? it->second : 0;
}

const sched::Context* FastMutexes::holder(const FAST_MUTEX* mutex) const {
  auto it = holders_.find(mutex);
  return it != holders_.end() ? it->second : nullptr;
}

const FAST_MUTEX* FastMutexes::waited_mutex_of(const DISPATCHER_HEADER* event) const {
  const auto* mutex =
      reinterpret_cast<const FAST_MUTEX*>(reinterpret_cast<const char*>(event) - offsetof(FAST_MUTEX, Event));
  return waited_.find(mutex) != waited_.end() ? mutex : nullptr;
}

}  // namespace wdmlab::ex

namespace {

using wdmlab::ex::address_of;
using wdmlab::ex::Executive;
using wdmlab::ex::FastMutexes;

// DRIVER_VERIFIER_DETECTED_VIOLATION subcodes for mutexes.
constexpr std::uint64_t kAcquireAboveApc = 0x33;
constexpr std::uint64_t kReleaseNotAtApc = 0x34;
constexpr std::uint64_t kUnsafeAcquireBadState = 0x39;
constexpr std::uint64_t kUnsafeReleaseBadState = 0x3A;
constexpr std::uint64_t kReleasedByOtherThread = 0x1004;
constexpr std::uint64_t kReleasedNotAcquired = 0x1007;

wdmlab::sched::Scheduler& scheduler() { return wdmlab::ke::Kernel::require().scheduler(); }

// Under Driver Verifier, DDI compliance (IrqlExApcLte1, IrqlKeApcLte1) and then the automatic
// check 0x33; Windows itself carries on (and may deadlock or crash later).
void check_acquire_irql(const char* routine, const FAST_MUTEX* mutex, const void* caller) {
  const KIRQL irql = wdmlab::ke::current_irql();
  if (irql <= APC_LEVEL) [[likely]] return;
  wdmlab::ke::check_irql_rule(APC_LEVEL, routine, caller);
  wdmlab::verifier::violation(
      {.parameters = {kAcquireAboveApc, irql, address_of(mutex), 0},
       .description = fmt::format("{} at IRQL {}; it must be called at IRQL <= APC_LEVEL.", routine, irql)});
}

// ExReleaseFastMutex needs exactly APC_LEVEL (its acquire raised to it); the guarded mutex
// routines need IRQL <= APC_LEVEL.
void check_release_irql(const char* routine, const FAST_MUTEX* mutex, bool exactly_apc) {
  const KIRQL irql = wdmlab::ke::current_irql();
  if (exactly_apc ? irql == APC_LEVEL : irql <= APC_LEVEL) [[likely]] return;
  wdmlab::verifier::violation(
      {.parameters = {kReleaseNotAtApc, irql, address_of(mutex), 0},
       .description = fmt::format("{} at IRQL {}; it must be called at {}.", routine, irql,
                                  exactly_apc ? "APC_LEVEL (the IRQL the acquire raised to)" : "IRQL <= APC_LEVEL")});
}

// The Unsafe forms need APC_LEVEL, or APCs disabled by a critical region (fast mutex) or a
// guarded region (guarded mutex).
void check_unsafe_state(const char* routine, const FAST_MUTEX* mutex, bool guarded, std::uint64_t subcode) {
  const KIRQL irql = wdmlab::ke::current_irql();
  const _KTHREAD* thread = wdmlab::ex::current_thread();
  const bool region =
      thread != nullptr && (thread->SpecialApcDisable != 0 || (!guarded && thread->KernelApcDisable != 0));
  if (irql == APC_LEVEL || (irql < APC_LEVEL && region)) [[likely]] return;
  wdmlab::verifier::violation(
      {.parameters = {subcode, irql, wdmlab::ex::combined_apc_disable(thread), address_of(mutex)},
       .description = fmt::format("{} at IRQL {} {}; it needs APC_LEVEL or a {} region.", routine, irql,
                                  region ? "inside a region" : "with APCs enabled", guarded ? "guarded" : "critical")});
}

// Deadlock detection's ownership checks (0x1007 not acquired, 0x1004 owned by another thread).
// False when the mutex is not acquired (an unverified caller's release then does nothing).
bool check_owner(const char* routine, const FAST_MUTEX* mutex, wdmlab::verifier::LockKind kind) {
  const _KTHREAD* self = wdmlab::ex::current_thread();
  if (!FastMutexes::owned(*mutex)) [[unlikely]] {
    wdmlab::verifier::violation(
        {.parameters = {kReleasedNotAcquired, address_of(mutex), 0, 0},
         .description = fmt::format("{} on the mutex at {}, which is not acquired.", routine,
                                    static_cast<const void*>(mutex))});
    return false;
  }
  const _KTHREAD* owner = FastMutexes::owner(*mutex);
  if (owner != self) [[unlikely]] {
    const wdmlab::sched::Context* holder = Executive::require().fast_mutexes().holder(mutex);
    wdmlab::verifier::violation(
        {.parameters = {kReleasedByOtherThread, address_of(mutex), address_of(owner), address_of(self)},
         .description = fmt::format("{} by {} on the mutex at {}, which {} owns.", routine,
                                    wdmlab::ex::thread_name(self), static_cast<const void*>(mutex),
                                    holder != nullptr ? holder->name() : std::string("another thread"))});
  }
  wdmlab::verifier::before_release(mutex, kind);
  return true;
}

void acquire(FAST_MUTEX* mutex, wdmlab::verifier::LockKind kind, const void* caller) {
  wdmlab::verifier::before_acquire(mutex, kind);
  Executive::require().fast_mutexes().acquire(*mutex, wdmlab::ex::current_thread(), caller);
  wdmlab::verifier::acquired(mutex, kind);
}

bool try_acquire(FAST_MUTEX* mutex, wdmlab::verifier::LockKind kind) {
  if (!Executive::require().fast_mutexes().try_acquire(*mutex, wdmlab::ex::current_thread())) return false;
  wdmlab::verifier::acquired(mutex, kind);
  return true;
}

constexpr auto kFast = wdmlab::verifier::LockKind::FastMutex;
constexpr auto kGuarded = wdmlab::verifier::LockKind::GuardedMutex;

}  // namespace

extern "C" {

// --- fast mutexes ------------------------------------------------------------------------------------------

VOID NTAPI ExInitializeFastMutex(PFAST_MUTEX FastMutex) {
  wdmlab::sched::scheduling_point();
  wdmlab::verifier::forget_lock(FastMutex);
  FastMutexes::initialize(*FastMutex);
}

VOID NTAPI ExAcquireFastMutex(PFAST_MUTEX FastMutex) {
  wdmlab::sched::scheduling_point();
  check_acquire_irql("ExAcquireFastMutex", FastMutex, __builtin_return_address(0));
  const KIRQL old_irql = wdmlab::ke::current_irql();
  scheduler().set_irql(APC_LEVEL);
  acquire(FastMutex, kFast, __builtin_return_address(0));
  FastMutex->OldIrql = old_irql;
}

BOOLEAN NTAPI ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex) {
  wdmlab::sched::scheduling_point();
  check_acquire_irql("ExTryToAcquireFastMutex", FastMutex, __builtin_return_address(0));
  const KIRQL old_irql = wdmlab::ke::current_irql();
  scheduler().set_irql(APC_LEVEL);
  if (!try_acquire(FastMutex, kFast)) {
    scheduler().set_irql(old_irql);
    return FALSE;
  }
  FastMutex->OldIrql = old_irql;
  return TRUE;
}

VOID NTAPI ExReleaseFastMutex(PFAST_MUTEX FastMutex) {
  wdmlab::sched::scheduling_point();
  check_release_irql("ExReleaseFastMutex", FastMutex, true);
  if (!check_owner("ExReleaseFastMutex", FastMutex, kFast)) return;
  const auto old_irql = static_cast<KIRQL>(FastMutex->OldIrql);
  if (FastMutex->OldIrql > APC_LEVEL) {
    // Only ExAcquireFastMutex stores OldIrql, and it never stores more than APC_LEVEL.
    wdmlab::ke::bug_check(IRQL_NOT_LESS_OR_EQUAL, 0, APC_LEVEL, FastMutex->OldIrql,
                          address_of(__builtin_return_address(0)),
                          fmt::format("ExReleaseFastMutex would return from APC_LEVEL to IRQL {}: the mutex's OldIrql "
                                      "was not stored by ExAcquireFastMutex (acquired with an Unsafe routine, or "
                                      "overwritten).",
                                      FastMutex->OldIrql));
  }
  Executive::require().fast_mutexes().release(*FastMutex, wdmlab::ex::current_thread());
  scheduler().set_irql(old_irql);
}

VOID NTAPI ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex) {
  wdmlab::sched::scheduling_point();
  check_unsafe_state("ExAcquireFastMutexUnsafe", FastMutex, false, kUnsafeAcquireBadState);
  acquire(FastMutex, kFast, __builtin_return_address(0));
}

VOID NTAPI ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex) {
  wdmlab::sched::scheduling_point();
  check_unsafe_state("ExReleaseFastMutexUnsafe", FastMutex, false, kUnsafeReleaseBadState);
  if (!check_owner("ExReleaseFastMutexUnsafe", FastMutex, kFast)) return;
  Executive::require().fast_mutexes().release(*FastMutex, wdmlab::ex::current_thread());
}

// --- guarded mutexes ---------------------------------------------------------------------------------------

VOID NTAPI KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex) {
  wdmlab::sched::scheduling_point();
  wdmlab::verifier::forget_lock(Mutex);
  FastMutexes::initialize(*Mutex);
}

VOID NTAPI KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex) {
  wdmlab::sched::scheduling_point();
  check_acquire_irql("KeAcquireGuardedMutex", Mutex, __builtin_return_address(0));
  KeEnterGuardedRegion();
  acquire(Mutex, kGuarded, __builtin_return_address(0));
}

BOOLEAN NTAPI KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex) {
  wdmlab::sched::scheduling_point();
  check_acquire_irql("KeTryToAcquireGuardedMutex", Mutex, __builtin_return_address(0));
  KeEnterGuardedRegion();
  if (!try_acquire(Mutex, kGuarded)) {
    KeLeaveGuardedRegion();
    return FALSE;
  }
  return TRUE;
}

VOID NTAPI KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex) {
  wdmlab::sched::scheduling_point();
  check_release_irql("KeReleaseGuardedMutex", Mutex, false);
  if (!check_owner("KeReleaseGuardedMutex", Mutex, kGuarded)) return;
  Executive::require().fast_mutexes().release(*Mutex, wdmlab::ex::current_thread());
  KeLeaveGuardedRegion();
}

VOID NTAPI KeAcquireGuardedMutexUnsafe(PKGUARDED_MUTEX FastMutex) {
  wdmlab::sched::scheduling_point();
  check_unsafe_state("KeAcquireGuardedMutexUnsafe", FastMutex, true, kUnsafeAcquireBadState);
  acquire(FastMutex, kGuarded, __builtin_return_address(0));
}

VOID NTAPI KeReleaseGuardedMutexUnsafe(PKGUARDED_MUTEX FastMutex) {
  wdmlab::sched::scheduling_point();
  check_unsafe_state("KeReleaseGuardedMutexUnsafe", FastMutex, true, kUnsafeReleaseBadState);
  if (!check_owner("KeReleaseGuardedMutexUnsafe", FastMutex, kGuarded)) return;
  Executive::require().fast_mutexes().release(*FastMutex, wdmlab::ex::current_thread());
}

}  // extern "C"
