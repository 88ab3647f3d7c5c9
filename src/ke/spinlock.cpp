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
#include "verifier/verifier.hpp"
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

constexpr std::uint64_t kReleaseNotAtDispatch = 0x32;
constexpr std::uint64_t kKernelReleaseNotAtDispatch = 0x35;
constexpr std::uint64_t kQueuedReleaseNotAtDispatch = 0x36;
constexpr std::uint64_t kAcquireAtDpcLevelBelowDispatch = 0x40;
constexpr std::uint64_t kReleaseFromDpcLevelBelowDispatch = 0x41;
constexpr std::uint64_t kAcquireAboveDispatch = 0x42;
constexpr std::uint64_t kReleasedNotAcquired = 0x1007;
// DDI compliance rules (Locking set).
constexpr std::uint64_t kRuleQueuedSpinLock = 0x00040006;
constexpr std::uint64_t kRuleQueuedSpinLockRelease = 0x00040007;
constexpr std::uint64_t kRuleSpinLock = 0x00040009;
constexpr std::uint64_t kRuleSpinlockRelease = 0x0004000A;
constexpr char kQueuedSpinLockCondition[] =
    "An in-stack queued spin lock must be released before it is acquired again.";
constexpr char kQueuedSpinLockReleaseCondition[] =
    "An in-stack queued spin lock must be acquired before it is released.";
constexpr char kSpinLockCondition[] = "A spin lock must be released before it is acquired again.";
constexpr char kSpinlockReleaseCondition[] = "A spin lock must be acquired before it is released.";

std::uint64_t address_of(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

verifier::LockKind kind_of(bool queued) {
  return queued ? verifier::LockKind::QueuedSpinLock : verifier::LockKind::SpinLock;
}

// A check of the verifier's own (an automatic check: [subcode, IRQL, lock, p4]).
void report(std::uint64_t subcode, KIRQL irql, const void* lock, std::uint64_t p4, std::string description) {
  verifier::violation({.parameters = {subcode, irql, address_of(lock), p4}, .description = std::move(description)});
}

// A lock hold in the event trace: a span of the holder from acquire to release.
[[gnu::cold, gnu::noinline]] void trace_lock(sched::Scheduler& scheduler, TraceEvent::Phase phase, const void* lock) {
  scheduler.trace_event(phase, "lock", scheduler.trace_lock_name(lock), address_of(lock));
}

// Takes the lock; the caller is already at DISPATCH_LEVEL or above.
void acquire(PKSPIN_LOCK lock, bool queued, const void* caller) {
  Kernel& kernel = Kernel::require();
  sched::Context& self = running_context();
  const KSPIN_LOCK token = token_of(&self);
  if (*lock == token) [[unlikely]] {
    ddi_rule_violation(
        queued ? kRuleQueuedSpinLock : kRuleSpinLock, queued ? kQueuedSpinLockCondition : kSpinLockCondition, caller,
        fmt::format("{} {} acquired again by {}, which already holds it.", queued ? "Queued spin lock" : "Spin lock",
                    static_cast<const void*>(lock), self.name()));
  }
  verifier::before_acquire(lock, kind_of(queued));
  if (VerifierCounters* counters = verifier::counters(); counters != nullptr && verifier::flags() != 0) {
    ++counters->acquire_spin_locks;
  }
  if (*lock == 0) {
    *lock = token;
    verifier::acquired(lock, kind_of(queued));
    if (kernel.scheduler().tracing()) [[unlikely]] trace_lock(kernel.scheduler(), TraceEvent::Phase::Begin, lock);
    return;
  }
  // Held (possibly by this very context, which then spins forever, as on Windows).
  for (;;) {
    kernel.spinners()[lock].push_back(&self);
    kernel.scheduler().block({queued ? "queued spin lock" : "spin lock", lock, &explain_spin, true});
    if ((queued && *lock == token) || (!queued && *lock == 0)) {  // handed over by the releaser, or free
      *lock = token;
      verifier::acquired(lock, kind_of(queued));
      if (kernel.scheduler().tracing()) [[unlikely]] trace_lock(kernel.scheduler(), TraceEvent::Phase::Begin, lock);
      return;
    }
  }
}

void release(PKSPIN_LOCK lock, bool queued, const void* caller) {
  Kernel& kernel = Kernel::require();
  if (*lock == 0) [[unlikely]] {
    const char* what = queued ? "queued spin lock" : "spin lock";
    ddi_rule_violation(queued ? kRuleQueuedSpinLockRelease : kRuleSpinlockRelease,
                       queued ? kQueuedSpinLockReleaseCondition : kSpinlockReleaseCondition, caller,
                       fmt::format("Release of {} {}, which is not held.", what, static_cast<const void*>(lock)));
    verifier::violation(
        {.parameters = {kReleasedNotAcquired, address_of(lock), 0, 0},
         .description = fmt::format("Release of {} {}, which nobody acquired.", what, static_cast<const void*>(lock))});
    bug_check(SPIN_LOCK_NOT_OWNED, address_of(lock), 0, 0, address_of(caller),
              fmt::format("Release of spin lock {} that is not held (released twice, or never acquired).",
                          static_cast<const void*>(lock)),
              "SpinlockRelease");
  }
  verifier::before_release(lock, kind_of(queued));
  if (kernel.scheduler().tracing()) [[unlikely]] trace_lock(kernel.scheduler(), TraceEvent::Phase::End, lock);
  *lock = 0;
  if (verifier::Verifier* verifier = verifier::Verifier::current();
      verifier != nullptr && verifier->queue_monitors.lock_released != nullptr) {
    verifier->queue_monitors.lock_released();
  }
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

// The acquire routines that raise to DISPATCH_LEVEL themselves.
KIRQL raise_to_dispatch(const void* lock, const void* caller, const char* routine) {
  sched::Scheduler& scheduler = Kernel::require().scheduler();
  const KIRQL old = scheduler.irql();
  if (old > DISPATCH_LEVEL) [[unlikely]] {
    irql_rule_violation(irql_rule_of(routine) != nullptr ? irql_rule_of(routine) : "IrqlKeDispatchLte", routine,
                        DISPATCH_LEVEL, caller);
    report(kAcquireAboveDispatch, old, lock, 0,
           fmt::format("{} called at IRQL {}; it must be called at IRQL <= DISPATCH_LEVEL.", routine, old));
    bug_check(IRQL_NOT_LESS_OR_EQUAL, address_of(lock), old, 1, address_of(caller),
              fmt::format("{} called at IRQL {}; it must be called at IRQL <= DISPATCH_LEVEL.", routine, old),
              "IrqlKeDispatchLte");
  }
  scheduler.set_irql(DISPATCH_LEVEL);
  return old;
}

// The routines that need DISPATCH_LEVEL or above on entry (the AtDpcLevel / FromDpcLevel forms).
void require_dispatch(const void* lock, const void* caller, const char* routine, std::uint64_t subcode) {
  const KIRQL irql = Kernel::require().scheduler().irql();
  if (irql < DISPATCH_LEVEL) [[unlikely]] {
    report(subcode, irql, lock, 0,
           fmt::format("{} called at IRQL {}; it must be called at IRQL >= DISPATCH_LEVEL.", routine, irql));
    bug_check(IRQL_NOT_GREATER_OR_EQUAL, irql, DISPATCH_LEVEL, address_of(lock), address_of(caller),
              fmt::format("{} called at IRQL {}; it must be called at IRQL >= DISPATCH_LEVEL.", routine, irql));
  }
}

// The releases that restore an IRQL need exactly DISPATCH_LEVEL: anything else is a release of
// a lock not held (often a second release, after the first lowered the IRQL) or an IRQL the
// driver changed while holding it.
void require_release_at_dispatch(const void* lock, KIRQL old_irql, const void* caller, const char* routine,
                                 std::uint64_t subcode) {
  const KIRQL irql = Kernel::require().scheduler().irql();
  if (irql == DISPATCH_LEVEL) [[likely]] return;
  if (subcode == kReleaseNotAtDispatch) irql_rule_violation("IrqlKeReleaseSpinLock", routine, DISPATCH_LEVEL, caller);
  report(subcode, irql, lock, subcode == kReleaseNotAtDispatch ? 0 : old_irql,
         fmt::format("{} called at IRQL {}; the lock's holder runs at DISPATCH_LEVEL (a release of a lock not held, "
                     "often a second release, or an IRQL changed while holding it).",
                     routine, irql));
  if (irql < DISPATCH_LEVEL) {
    bug_check(IRQL_NOT_GREATER_OR_EQUAL, irql, DISPATCH_LEVEL, address_of(lock), address_of(caller),
              fmt::format("{} called at IRQL {}; it must be called at IRQL >= DISPATCH_LEVEL.", routine, irql));
  }
}

void lower_after_release(KIRQL new_irql, const void* caller) {
  sched::Scheduler& scheduler = Kernel::require().scheduler();
  const KIRQL current = scheduler.irql();
  if (new_irql > current) {
    verifier::violation({.parameters = {0x31, current, new_irql, 0},
                         .description = fmt::format("A spin lock release asked to return to IRQL {} from IRQL {}.",
                                                    new_irql, current)});
    bug_check(IRQL_NOT_LESS_OR_EQUAL, 0, current, new_irql, address_of(caller),
              fmt::format("A spin lock release asked to return to IRQL {} from IRQL {}.", new_irql, current));
  }
  scheduler.set_irql(new_irql);
}

}  // namespace

bool held_by_running_context(const KSPIN_LOCK& lock) {
  const sched::Scheduler* scheduler = sched::Scheduler::current();
  return scheduler != nullptr && scheduler->running() != nullptr && lock != 0 && owner_of(lock) == scheduler->running();
}
}  // namespace wdmlab::ke

using namespace wdmlab::ke;

extern "C" {

VOID NTAPI KeInitializeSpinLock(PKSPIN_LOCK SpinLock) {
  wdmlab::sched::scheduling_point();
  wdmlab::verifier::forget_lock(SpinLock);
  *SpinLock = 0;
}

KIRQL NTAPI KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock) {
  wdmlab::sched::scheduling_point();
  const KIRQL old = raise_to_dispatch(SpinLock, __builtin_return_address(0), "KeAcquireSpinLock");
  acquire(SpinLock, false, __builtin_return_address(0));
  return old;
}

KIRQL NTAPI KeAcquireSpinLockForDpc(PKSPIN_LOCK SpinLock) {
  wdmlab::sched::scheduling_point();
  const KIRQL old = raise_to_dispatch(SpinLock, __builtin_return_address(0), "KeAcquireSpinLockForDpc");
  acquire(SpinLock, false, __builtin_return_address(0));
  return old;
}

VOID NTAPI KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql) {
  wdmlab::sched::scheduling_point();
  require_release_at_dispatch(SpinLock, NewIrql, __builtin_return_address(0), "KeReleaseSpinLock",
                              kReleaseNotAtDispatch);
  release(SpinLock, false, __builtin_return_address(0));
  lower_after_release(NewIrql, __builtin_return_address(0));
}

VOID NTAPI KeReleaseSpinLockForDpc(PKSPIN_LOCK SpinLock, KIRQL OldIrql) {
  wdmlab::sched::scheduling_point();
  require_release_at_dispatch(SpinLock, OldIrql, __builtin_return_address(0), "KeReleaseSpinLockForDpc",
                              kKernelReleaseNotAtDispatch);
  release(SpinLock, false, __builtin_return_address(0));
  lower_after_release(OldIrql, __builtin_return_address(0));
}

VOID NTAPI KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock) {
  wdmlab::sched::scheduling_point();
  require_dispatch(SpinLock, __builtin_return_address(0), "KeAcquireSpinLockAtDpcLevel",
                   kAcquireAtDpcLevelBelowDispatch);
  acquire(SpinLock, false, __builtin_return_address(0));
}

VOID NTAPI KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock) {
  wdmlab::sched::scheduling_point();
  require_dispatch(SpinLock, __builtin_return_address(0), "KeReleaseSpinLockFromDpcLevel",
                   kReleaseFromDpcLevelBelowDispatch);
  release(SpinLock, false, __builtin_return_address(0));
}

BOOLEAN NTAPI KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock) {
  wdmlab::sched::scheduling_point();
  require_dispatch(SpinLock, __builtin_return_address(0), "KeTryToAcquireSpinLockAtDpcLevel",
                   kAcquireAtDpcLevelBelowDispatch);
  if (*SpinLock != 0) return FALSE;
  acquire(SpinLock, false, __builtin_return_address(0));
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
  acquire(SpinLock, true, __builtin_return_address(0));
}

VOID NTAPI KeAcquireInStackQueuedSpinLockForDpc(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle) {
  wdmlab::sched::scheduling_point();
  LockHandle->LockQueue.Lock = SpinLock;
  LockHandle->LockQueue.Next = nullptr;
  LockHandle->OldIrql =
      raise_to_dispatch(SpinLock, __builtin_return_address(0), "KeAcquireInStackQueuedSpinLockForDpc");
  acquire(SpinLock, true, __builtin_return_address(0));
}

VOID NTAPI KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle) {
  wdmlab::sched::scheduling_point();
  require_release_at_dispatch(LockHandle->LockQueue.Lock, LockHandle->OldIrql, __builtin_return_address(0),
                              "KeReleaseInStackQueuedSpinLock", kQueuedReleaseNotAtDispatch);
  release(LockHandle->LockQueue.Lock, true, __builtin_return_address(0));
  lower_after_release(LockHandle->OldIrql, __builtin_return_address(0));
}

VOID NTAPI KeReleaseInStackQueuedSpinLockForDpc(PKLOCK_QUEUE_HANDLE LockHandle) {
  wdmlab::sched::scheduling_point();
  require_release_at_dispatch(LockHandle->LockQueue.Lock, LockHandle->OldIrql, __builtin_return_address(0),
                              "KeReleaseInStackQueuedSpinLockForDpc", kQueuedReleaseNotAtDispatch);
  release(LockHandle->LockQueue.Lock, true, __builtin_return_address(0));
  lower_after_release(LockHandle->OldIrql, __builtin_return_address(0));
}

VOID NTAPI KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle) {
  wdmlab::sched::scheduling_point();
  require_dispatch(SpinLock, __builtin_return_address(0), "KeAcquireInStackQueuedSpinLockAtDpcLevel",
                   kAcquireAtDpcLevelBelowDispatch);
  LockHandle->LockQueue.Lock = SpinLock;
  LockHandle->LockQueue.Next = nullptr;
  acquire(SpinLock, true, __builtin_return_address(0));
}

VOID NTAPI KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle) {
  wdmlab::sched::scheduling_point();
  require_dispatch(LockHandle->LockQueue.Lock, __builtin_return_address(0),
                   "KeReleaseInStackQueuedSpinLockFromDpcLevel", kReleaseFromDpcLevelBelowDispatch);
  release(LockHandle->LockQueue.Lock, true, __builtin_return_address(0));
}

}  // extern "C"
