// Deferred procedure calls.
//
// Each processor has a DPC queue. Inserting a DPC queues it on its target processor (the current
// one unless KeSetTargetProcessorDpc chose another) and requests that processor's dispatch-level
// software interrupt; the scheduler runs the queue on the processor's DPC context at
// DISPATCH_LEVEL as soon as the processor's IRQL is below DISPATCH_LEVEL, immediately when the
// target is the current processor. KDPC.DpcData marks a queued DPC; KDPC.Number holds the
// target processor plus one (0 = the processor that inserts it).
#include <fmt/format.h>

#include <algorithm>

#include "base/driver_identity.hpp"
#include "ke/bugcheck.hpp"
#include "ke/kernel.hpp"

namespace wdmlab::ke {

namespace {

// A DPC routine's run in the event trace: a span on the processor's DPC context.
[[gnu::cold, gnu::noinline]] void trace_dpc(sched::Scheduler& scheduler, TraceEvent::Phase phase, const KDPC* dpc,
                                            PKDEFERRED_ROUTINE routine, const base::DriverIdentity* driver) {
  scheduler.trace_event(phase, "dpc",
                        "DPC " + scheduler.trace_routine_name(reinterpret_cast<const void*>(routine), driver),
                        reinterpret_cast<std::uintptr_t>(dpc));
}

}  // namespace

void sleep_for(sched::Time duration);

void dispatch_interrupt(sched::Processor& processor) {
  Kernel& kernel = Kernel::require();
  sched::Scheduler& scheduler = kernel.scheduler();
  auto& queue = kernel.dpc_queue(processor.index());
  scheduler.clear_dispatch_interrupt(processor);
  sched::Context& self = *scheduler.running();
  while (!queue.empty()) {
    KDPC* dpc = queue.front();
    queue.pop_front();
    dpc->DpcData = nullptr;
    PKDEFERRED_ROUTINE routine = dpc->DeferredRoutine;
    const base::DriverIdentity* driver = kernel.dpc_owner(dpc);
    if (driver != nullptr) self.push_driver(driver);
    const bool traced = scheduler.tracing();
    if (traced) [[unlikely]] trace_dpc(scheduler, TraceEvent::Phase::Begin, dpc, routine, driver);
    routine(dpc, dpc->DeferredContext, dpc->SystemArgument1, dpc->SystemArgument2);
    if (traced) [[unlikely]] trace_dpc(scheduler, TraceEvent::Phase::End, dpc, routine, driver);
    if (driver != nullptr) self.pop_driver();
    const KIRQL irql = scheduler.irql();
    if (irql != DISPATCH_LEVEL) {
      bug_check(IRQL_UNEXPECTED_VALUE, (static_cast<std::uint64_t>(irql) << 16) | (DISPATCH_LEVEL << 8),
                reinterpret_cast<std::uintptr_t>(routine), reinterpret_cast<std::uintptr_t>(dpc), 0,
                fmt::format("A DPC routine returned at IRQL {}; DPC routines must return at DISPATCH_LEVEL.", irql));
    }
    scheduler.clear_dispatch_interrupt(processor);
  }
}

// Queues `dpc` unless it is already queued; returns whether it was queued now.
// `default_target` is used when the DPC has no target of its own (-1: the current processor).
bool insert_dpc(KDPC* dpc, PVOID argument1, PVOID argument2, bool deliver_now, int default_target) {
  Kernel& kernel = Kernel::require();
  sched::Scheduler& scheduler = kernel.scheduler();
  if (dpc->DpcData != nullptr) return false;
  sched::Processor* current = scheduler.current_processor();
  std::uint32_t target = default_target >= 0 ? static_cast<std::uint32_t>(default_target)
                         : current != nullptr ? current->index()
                                              : 0;
  if (dpc->Number != 0) target = static_cast<std::uint32_t>(dpc->Number - 1) % scheduler.processors().size();
  auto& queue = kernel.dpc_queue(target);
  dpc->SystemArgument1 = argument1;
  dpc->SystemArgument2 = argument2;
  dpc->DpcData = &queue;
  if (dpc->Importance == HighImportance) {
    queue.push_front(dpc);
  } else {
    queue.push_back(dpc);
  }
  scheduler.request_dispatch_interrupt(scheduler.processors()[target]);
  if (deliver_now) scheduler.deliver_dispatch_interrupt();
  return true;
}

void forget_dpc(const KDPC* dpc) { Kernel::require().dpc_owner(dpc) = nullptr; }

}  // namespace wdmlab::ke

using namespace wdmlab::ke;

namespace {

void initialize(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext, UCHAR type) {
  wdmlab::sched::scheduling_point();
  Kernel& kernel = Kernel::require();
  Dpc->Type = type;
  Dpc->Importance = MediumImportance;
  Dpc->Number = 0;
  Dpc->DpcListEntry.Next = nullptr;
  Dpc->ProcessorHistory = 0;
  Dpc->DeferredRoutine = DeferredRoutine;
  Dpc->DeferredContext = DeferredContext;
  Dpc->SystemArgument1 = nullptr;
  Dpc->SystemArgument2 = nullptr;
  Dpc->DpcData = nullptr;
  kernel.dpc_owner(Dpc) = wdmlab::sched::calling_driver();
}

}  // namespace

extern "C" {

VOID NTAPI KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext) {
  initialize(Dpc, DeferredRoutine, DeferredContext, DpcObject);
}

// Threaded DPCs run as ordinary DPCs in the lab (Windows does the same when threaded DPCs are
// disabled).
VOID NTAPI KeInitializeThreadedDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext) {
  initialize(Dpc, DeferredRoutine, DeferredContext, ThreadedDpcObject);
}

BOOLEAN NTAPI KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2) {
  wdmlab::sched::scheduling_point();
  return insert_dpc(Dpc, SystemArgument1, SystemArgument2, true, -1) ? TRUE : FALSE;
}

BOOLEAN NTAPI KeRemoveQueueDpc(PRKDPC Dpc) {
  wdmlab::sched::scheduling_point();
  if (Dpc->DpcData == nullptr) return FALSE;
  auto* queue = static_cast<std::deque<KDPC*>*>(Dpc->DpcData);
  queue->erase(std::find(queue->begin(), queue->end(), Dpc));
  Dpc->DpcData = nullptr;
  return TRUE;
}

VOID NTAPI KeSetImportanceDpc(PRKDPC Dpc, KDPC_IMPORTANCE Importance) {
  wdmlab::sched::scheduling_point();
  Dpc->Importance = static_cast<UCHAR>(Importance);
}

VOID NTAPI KeSetTargetProcessorDpc(PRKDPC Dpc, CCHAR Number) {
  wdmlab::sched::scheduling_point();
  Dpc->Number = static_cast<USHORT>(static_cast<UCHAR>(Number) + 1);
}

NTSTATUS NTAPI KeSetTargetProcessorDpcEx(PKDPC Dpc, PPROCESSOR_NUMBER ProcNumber) {
  wdmlab::sched::scheduling_point();
  if (ProcNumber->Group != 0 || ProcNumber->Number >= Kernel::require().scheduler().processors().size()) {
    return STATUS_INVALID_PARAMETER;
  }
  Dpc->Number = static_cast<USHORT>(ProcNumber->Number + 1);
  return STATUS_SUCCESS;
}

VOID NTAPI KeFlushQueuedDpcs(VOID) {
  wdmlab::sched::scheduling_point();
  Kernel& kernel = Kernel::require();
  require_irql_at_most(PASSIVE_LEVEL, "KeFlushQueuedDpcs", __builtin_return_address(0));
  // Wait until every processor's DPC queue has drained and no DPC runs.
  for (;;) {
    bool busy = false;
    for (wdmlab::sched::Processor& p : kernel.scheduler().processors()) {
      busy |= p.in_dpc() || !kernel.dpc_queue(p.index()).empty();
    }
    if (!busy) return;
    sleep_for(1);  // a nap, not a yield: even a policy that never preempts lets the DPCs run
  }
}

BOOLEAN NTAPI KeIsExecutingDpc(VOID) {
  wdmlab::sched::scheduling_point();
  wdmlab::sched::Scheduler* scheduler = wdmlab::sched::Scheduler::current();
  wdmlab::sched::Context* running = scheduler != nullptr ? scheduler->running() : nullptr;
  return running != nullptr && running->kind() == wdmlab::sched::ContextKind::DpcStack ? TRUE : FALSE;
}

}  // extern "C"
