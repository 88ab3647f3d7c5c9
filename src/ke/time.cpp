// Time, delays and processors. All time is virtual: it advances with scheduling decisions and
// jumps to the next timer when nothing can run, so no routine here ever waits for the wall clock.
#include <fmt/format.h>

#include <bit>

#include "ke/bugcheck.hpp"
#include "ke/dispatcher.hpp"
#include "ke/kernel.hpp"
#include "ke/thread.hpp"
#include "wdmlab/errors.hpp"

namespace wdmlab::ke {

namespace {

constexpr ULONG kTimeIncrement = 156250;  // 15.625 ms, in 100 ns units
constexpr LONGLONG kPerformanceFrequency = 10'000'000;

void on_sleep_done(void* argument) {
  auto* context = static_cast<sched::Context*>(argument);
  Kernel::require().scheduler().wake(*context, STATUS_SUCCESS);
}

}  // namespace

// Blocks the running thread for `duration` of virtual time.
void sleep_for(sched::Time duration) {
  sched::Scheduler& scheduler = Kernel::require().scheduler();
  sched::Context* self = scheduler.running();
  if (self == nullptr) throw UsageError("a delay cannot block on the host");
  scheduler.add_timer(scheduler.now() + duration, &on_sleep_done, self);
  scheduler.block({"delay", nullptr, nullptr, false});
}

}  // namespace wdmlab::ke

using namespace wdmlab::ke;

namespace {

Kernel& kernel() { return Kernel::require(); }

void on_stall_done(void* argument) {
  auto* context = static_cast<wdmlab::sched::Context*>(argument);
  Kernel::require().scheduler().wake(*context, 0);
}

}  // namespace

extern "C" {

NTSTATUS NTAPI KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Interval) {
  wdmlab::sched::scheduling_point();
  const KIRQL irql = wdmlab::ke::current_irql();
  if (irql > APC_LEVEL) [[unlikely]] {
    wdmlab::ke::check_irql_rule(APC_LEVEL, "KeDelayExecutionThread", __builtin_return_address(0));
    if (irql > DISPATCH_LEVEL || Interval->QuadPart != 0) {
      wdmlab::ke::report_wait_at_raised_irql(irql, nullptr, Interval);
    }
    wdmlab::ke::irql_too_high("KeDelayExecutionThread", Interval, irql, APC_LEVEL, __builtin_return_address(0),
                              "IrqlKeApcLte1");
  }
  return delay_execution(WaitMode, Alertable, due_time_to_virtual(kernel(), Interval->QuadPart));
}

VOID NTAPI KeStallExecutionProcessor(ULONG MicroSeconds) {
  wdmlab::sched::scheduling_point();
  wdmlab::sched::Scheduler* scheduler = wdmlab::sched::Scheduler::current();
  if (scheduler == nullptr || scheduler->running() == nullptr || MicroSeconds == 0) return;
  // A busy wait: the processor stays occupied (it can run nothing else) until the time passes.
  scheduler->add_timer(scheduler->now() + MicroSeconds * wdmlab::sched::kTicksPerMicrosecond, &on_stall_done,
                       scheduler->running());
  scheduler->block({"stall", nullptr, nullptr, true});
}

VOID NTAPI KeQuerySystemTime(PLARGE_INTEGER CurrentTime) {
  wdmlab::sched::scheduling_point();
  Kernel& k = kernel();
  CurrentTime->QuadPart = k.boot_system_time() + static_cast<LONGLONG>(k.scheduler().now());
}

VOID NTAPI KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime) { KeQuerySystemTime(CurrentTime); }

VOID NTAPI KeQueryTickCount(PLARGE_INTEGER CurrentCount) {
  wdmlab::sched::scheduling_point();
  CurrentCount->QuadPart = static_cast<LONGLONG>(kernel().scheduler().now() / kTimeIncrement);
}

ULONGLONG NTAPI KeQueryInterruptTime(VOID) {
  wdmlab::sched::scheduling_point();
  return kernel().scheduler().now();
}

ULONGLONG NTAPI KeQueryInterruptTimePrecise(PULONG64 QpcTimeStamp) {
  wdmlab::sched::scheduling_point();
  const ULONGLONG now = kernel().scheduler().now();
  *QpcTimeStamp = now;
  return now;
}

ULONGLONG NTAPI KeQueryUnbiasedInterruptTime(VOID) {
  wdmlab::sched::scheduling_point();
  return kernel().scheduler().now();
}

ULONG NTAPI KeQueryTimeIncrement(VOID) {
  wdmlab::sched::scheduling_point();
  return kTimeIncrement;
}

LARGE_INTEGER NTAPI KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency) {
  wdmlab::sched::scheduling_point();
  if (PerformanceFrequency != nullptr) PerformanceFrequency->QuadPart = kPerformanceFrequency;
  LARGE_INTEGER counter;
  counter.QuadPart = static_cast<LONGLONG>(kernel().scheduler().now());
  return counter;
}

// --- processors ----------------------------------------------------------------------------------------

ULONG NTAPI KeGetCurrentProcessorNumber(VOID) {
  wdmlab::sched::scheduling_point();
  wdmlab::sched::Processor* processor = kernel().scheduler().current_processor();
  return processor != nullptr ? processor->index() : 0;
}

ULONG NTAPI KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber) {
  const ULONG number = KeGetCurrentProcessorNumber();
  if (ProcNumber != nullptr) {
    ProcNumber->Group = 0;
    ProcNumber->Number = static_cast<UCHAR>(number);
    ProcNumber->Reserved = 0;
  }
  return number;
}

ULONG NTAPI KeGetCurrentProcessorIndex(VOID) { return KeGetCurrentProcessorNumber(); }

ULONG NTAPI KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors) {
  wdmlab::sched::scheduling_point();
  const auto count = static_cast<ULONG>(kernel().scheduler().processors().size());
  if (ActiveProcessors != nullptr) {
    *ActiveProcessors = count >= 64 ? ~KAFFINITY{0} : (KAFFINITY{1} << count) - 1;
  }
  return count;
}

ULONG NTAPI KeQueryActiveProcessorCountEx(USHORT GroupNumber) {
  if (GroupNumber != 0 && GroupNumber != ALL_PROCESSOR_GROUPS) return 0;
  return KeQueryActiveProcessorCount(nullptr);
}

ULONG NTAPI KeQueryMaximumProcessorCount(VOID) { return KeQueryActiveProcessorCount(nullptr); }

ULONG NTAPI KeQueryMaximumProcessorCountEx(USHORT GroupNumber) { return KeQueryActiveProcessorCountEx(GroupNumber); }

KAFFINITY NTAPI KeQueryActiveProcessors(VOID) {
  KAFFINITY affinity = 0;
  KeQueryActiveProcessorCount(&affinity);
  return affinity;
}

USHORT NTAPI KeQueryActiveGroupCount(VOID) { return 1; }

USHORT NTAPI KeQueryMaximumGroupCount(VOID) { return 1; }

NTSTATUS NTAPI KeGetProcessorNumberFromIndex(ULONG ProcIndex, PPROCESSOR_NUMBER ProcNumber) {
  if (ProcIndex >= KeQueryActiveProcessorCount(nullptr)) return STATUS_INVALID_PARAMETER;
  ProcNumber->Group = 0;
  ProcNumber->Number = static_cast<UCHAR>(ProcIndex);
  ProcNumber->Reserved = 0;
  return STATUS_SUCCESS;
}

ULONG NTAPI KeGetProcessorIndexFromNumber(PPROCESSOR_NUMBER ProcNumber) {
  if (ProcNumber->Group != 0 || ProcNumber->Number >= KeQueryActiveProcessorCount(nullptr)) return 0xFFFFFFFFu;
  return ProcNumber->Number;
}

}  // extern "C"
