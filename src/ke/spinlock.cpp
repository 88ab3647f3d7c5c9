// Spin locks and in-stack queued spin locks.
//
// The lock word holds the owning context (its address with the low bit set). A context that
// finds the lock held does not busy-spin: it blocks in the scheduler, keeping its processor and
// IRQL, until the owner releases. Releasing an ordinary spin lock lets every spinner race for it
// (the policy decides who wins); releasing a queued spin lock hands it to the longest waiter.
#include "ke/spinlock.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "ke/bugcheck.hpp"
#include "ke/kernel.hpp"
#include "wdmlab/errors.hpp"

namespace wdmlab::ke {
namespace {


KSPIN_LOCK token_of(const sched::Context* context) { return reinterpret_cast<KSPIN_LOCK>(context) | 1; }

const sched::Context* owner_of(KSPIN_LOCK value) {
  return value == 0 ? nullptr : reinterpret_cast<const sched::Context*>(value & ~KSPIN_LOCK{1});
}

void explain_spin(const sched::Context& context, sched::WaitReport& report) {
  const auto* lock = static_cast<const KSPIN_LOCK*>(context.block_reason().object);
  const sched::Context* owner = owner_of(*lock);
  report.description = fmt::format("spin lock {}{}", static_cast<const void*>(lock),
                                   owner != nullptr ? fmt::format(" (held by {})", owner->name()) : "");
  if (owner != nullptr) report.owners.push_back(owner);
}

sched::Context& running_context() {
  sched::Context* context = Kernel::require().scheduler().running();
  if (context == nullptr) throw UsageError("spin locks can only be taken by code running in the lab");
  return *context;
}

// Takes the lock; the caller is already at DISPATCH_LEVEL or above.
void acquire(PKSPIN_LOCK lock, bool queued) {
  Kernel& kernel = Kernel::require();
  sched::Context& self = running_context();
  const KSPIN_LOCK token = token_of(&self);
  if (*lock == 0) {
    *lock = token;
    return;
  }
  // Held (possibly by this very context, which then spins forever, as on Windows).
  for (;;) {
    kernel.spinners()[lock].push_back(&self);
    kernel.scheduler().block({queued ? "queued spin lock" : "spin lock", lock, &explain_spin, true});
    if (queued && *lock == token) return;  // handed over by the releaser
    if (!queued && *lock == 0) {
      *lock = token;
      return;
    }
  }
}

void release(PKSPIN_LOCK lock, bool queued, const void* caller) {
  Kernel& kernel = Kernel::require();
  sched::Context& self = running_context();
  if (*lock == 0) {
    bug_check(SPIN_LOCK_NOT_OWNED, reinterpret_cast<std::uintptr_t>(lock), 0, 0,
              reinterpret_cast<std::uintptr_t>(caller),
              fmt::format("Release of spin lock {} that is not held (released twice, or never acquired).",
                          static_cast<const void*>(lock)),
              "SpinlockRelease");
  }
  (void)self;
  *lock = 0;
  auto it = kernel.spinners().find(lock);
  if (it == kernel.spinners().end()) return;
  auto waiters = std::move(it->second);
  kernel.spinners().erase(it);
  if (queued && !waiters.empty()) {
    // FIFO hand-off: the lock goes straight to the first waiter.
    sched::Context* next = waiters.front();
    *lock = token_of(next);
    kernel.scheduler().wake(*next, 0);
    waiters.erase(waiters.begin());
    if (!waiters.empty()) kernel.spinners()[lock] = std::move(waiters);
    return;
  }
  for (sched::Context* waiter : waiters) kernel.scheduler().wake(*waiter, 0);
}

KIRQL raise_to_dispatch(const void* lock, const void* caller, const char* routine) {
  sched::Scheduler& scheduler = Kernel::require().scheduler();
  const KIRQL old = scheduler.irql();
  if (old > DISPATCH_LEVEL) {
    bug_check(IRQL_NOT_LESS_OR_EQUAL, reinterpret_cast<std::uintptr_t>(lock), old, 1,
              reinterpret_cast<std::uintptr_t>(caller),
              fmt::format("{} called at IRQL {}; it must be called at IRQL <= DISPATCH_LEVEL.", routine, old),
              "IrqlKeDispatchLte");
  }
  scheduler.set_irql(DISPATCH_LEVEL);
  return old;
}

void require_dispatch(const void* lock, const void* caller, const char* routine) {
  const KIRQL irql = Kernel::require().scheduler().irql();
  if (irql < DISPATCH_LEVEL) {
    bug_check(IRQL_NOT_GREATER_OR_EQUAL, irql, DISPATCH_LEVEL, reinterpret_cast<std::uintptr_t>(lock),
              reinterpret_cast<std::uintptr_t>(caller),
              fmt::format("{} called at IRQL {}; it must be called at IRQL >= DISPATCH_LEVEL.", routine, irql));
  }
}

void lower_after_release(KIRQL new_irql, const void* caller) {
  sched::Scheduler& scheduler = Kernel::require().scheduler();
  const KIRQL current = scheduler.irql();
  if (new_irql > current) {
    bug_check(IRQL_NOT_LESS_OR_EQUAL, 0, current, new_irql, reinterpret_cast<std::uintptr_t>(caller),
              fmt::format("A spin lock release asked to return to IRQL {} from IRQL {}.", new_irql, current));
  }
  scheduler.set_irql(new_irql);
}

}  // namespace

bool held_by_running_context(const KSPIN_LOCK& lock) {
  const sched::Scheduler* scheduler = sched::Scheduler::current();
  return scheduler != nullptr && scheduler->running() != nullptr && lock != 0 &&
         owner_of(lock) == scheduler->running();
}
}  // namespace wdmlab::ke

using namespace wdmlab::ke;

extern "C" {

VOID NTAPI KeInitializeSpinLock(PKSPIN_LOCK SpinLock) {
  wdmlab::sched::scheduling_point();
  *SpinLock = 0;
}

KIRQL NTAPI KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock) {
  wdmlab::sched::scheduling_point();
  const KIRQL old = raise_to_dispatch(SpinLock, __builtin_return_address(0), "KeAcquireSpinLock");
  acquire(SpinLock, false);
  return old;
}

KIRQL NTAPI KeAcquireSpinLockForDpc(PKSPIN_LOCK SpinLock) {
  wdmlab::sched::scheduling_point();
  const KIRQL old = raise_to_dispatch(SpinLock, __builtin_return_address(0), "KeAcquireSpinLockForDpc");
  acquire(SpinLock, false);
  return old;
}

VOID NTAPI KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql) {
  wdmlab::sched::scheduling_point();
  require_dispatch(SpinLock, __builtin_return_address(0), "KeReleaseSpinLock");
  release(SpinLock, false, __builtin_return_address(0));
  lower_after_release(NewIrql, __builtin_return_address(0));
}

VOID NTAPI KeReleaseSpinLockForDpc(PKSPIN_LOCK SpinLock, KIRQL OldIrql) {
  wdmlab::sched::scheduling_point();
  require_dispatch(SpinLock, __builtin_return_address(0), "KeReleaseSpinLockForDpc");
  release(SpinLock, false, __builtin_return_address(0));
  lower_after_release(OldIrql, __builtin_return_address(0));
}

VOID NTAPI KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock) {
  wdmlab::sched::scheduling_point();
  require_dispatch(SpinLock, __builtin_return_address(0), "KeAcquireSpinLockAtDpcLevel");
  acquire(SpinLock, false);
}

VOID NTAPI KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock) {
  wdmlab::sched::scheduling_point();
  require_dispatch(SpinLock, __builtin_return_address(0), "KeReleaseSpinLockFromDpcLevel");
  release(SpinLock, false, __builtin_return_address(0));
}

BOOLEAN NTAPI KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock) {
  wdmlab::sched::scheduling_point();
  require_dispatch(SpinLock, __builtin_return_address(0), "KeTryToAcquireSpinLockAtDpcLevel");
  if (*SpinLock != 0) return FALSE;
  acquire(SpinLock, false);
  return TRUE;
}

BOOLEAN NTAPI KeTestSpinLock(PKSPIN_LOCK SpinLock) {
  wdmlab::sched::scheduling_point();
  return *SpinLock == 0 ? TRUE : FALSE;
}

VOID NTAPI KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle) {
  wdmlab::sched::scheduling_point();
  LockHandle->LockQueue.Lock = SpinLock;
  LockHandle->LockQueue.Next = nullptr;
  LockHandle->OldIrql = raise_to_dispatch(SpinLock, __builtin_return_address(0), "KeAcquireInStackQueuedSpinLock");
  acquire(SpinLock, true);
}

VOID NTAPI KeAcquireInStackQueuedSpinLockForDpc(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle) {
  wdmlab::sched::scheduling_point();
  LockHandle->LockQueue.Lock = SpinLock;
  LockHandle->LockQueue.Next = nullptr;
  LockHandle->OldIrql =
      raise_to_dispatch(SpinLock, __builtin_return_address(0), "KeAcquireInStackQueuedSpinLockForDpc");
  acquire(SpinLock, true);
}

VOID NTAPI KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle) {
  wdmlab::sched::scheduling_point();
  require_dispatch(LockHandle->LockQueue.Lock, __builtin_return_address(0), "KeReleaseInStackQueuedSpinLock");
  release(LockHandle->LockQueue.Lock, true, __builtin_return_address(0));
  lower_after_release(LockHandle->OldIrql, __builtin_return_address(0));
}

VOID NTAPI KeReleaseInStackQueuedSpinLockForDpc(PKLOCK_QUEUE_HANDLE LockHandle) {
  wdmlab::sched::scheduling_point();
  require_dispatch(LockHandle->LockQueue.Lock, __builtin_return_address(0), "KeReleaseInStackQueuedSpinLockForDpc");
  release(LockHandle->LockQueue.Lock, true, __builtin_return_address(0));
  lower_after_release(LockHandle->OldIrql, __builtin_return_address(0));
}

VOID NTAPI KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle) {
  wdmlab::sched::scheduling_point();
  require_dispatch(SpinLock, __builtin_return_address(0), "KeAcquireInStackQueuedSpinLockAtDpcLevel");
  LockHandle->LockQueue.Lock = SpinLock;
  LockHandle->LockQueue.Next = nullptr;
  acquire(SpinLock, true);
}

VOID NTAPI KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle) {
  wdmlab::sched::scheduling_point();
  require_dispatch(LockHandle->LockQueue.Lock, __builtin_return_address(0),
                   "KeReleaseInStackQueuedSpinLockFromDpcLevel");
  release(LockHandle->LockQueue.Lock, true, __builtin_return_address(0));
}

}  // extern "C"
