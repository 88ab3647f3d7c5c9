// Kernel timers. A set KTIMER is backed by a scheduler timer; when it expires the timer object is
// signalled (releasing waiters), its DPC, if any, is queued on the processor that set the timer,
// and a periodic timer is set again for the next period.
#include <fmt/format.h>

#include "ke/dispatcher.hpp"
#include "ke/kernel.hpp"

namespace wdmlab::ke {

bool insert_dpc(KDPC* dpc, PVOID argument1, PVOID argument2, bool deliver_now, int default_target);

namespace {

void on_expiry(void* argument);

void arm(Kernel& kernel, KTIMER* timer, sched::Time due) {
  auto& state = kernel.timers()[timer];
  state.handle = kernel.scheduler().add_timer(due, &on_expiry, timer);
  state.due_system_time.QuadPart = kernel.boot_system_time() + static_cast<LONGLONG>(due);
  timer->DueTime.QuadPart = static_cast<ULONGLONG>(state.due_system_time.QuadPart);
}

void on_expiry(void* argument) {
  auto* timer = static_cast<KTIMER*>(argument);
  Kernel& kernel = Kernel::require();
  auto it = kernel.timers().find(timer);
  if (it == kernel.timers().end()) return;
  const LARGE_INTEGER expired_at = it->second.due_system_time;
  kernel.timers().erase(it);
  timer->Header.SignalState = 1;
  signal_waiters(&timer->Header);
  if (timer->Period != 0) {
    arm(kernel, timer, kernel.scheduler().now() + static_cast<sched::Time>(timer->Period) * sched::kTicksPerMillisecond);
  }
  if (timer->Dpc != nullptr) {
    // Queued on the processor that set the timer (KTIMER.Processor holds it plus one).
    insert_dpc(timer->Dpc, reinterpret_cast<PVOID>(static_cast<ULONG_PTR>(expired_at.LowPart)),
               reinterpret_cast<PVOID>(static_cast<ULONG_PTR>(static_cast<ULONG>(expired_at.HighPart))), false,
               static_cast<int>(timer->Processor) - 1);
  }
}

bool cancel(Kernel& kernel, KTIMER* timer) {
  auto it = kernel.timers().find(timer);
  if (it == kernel.timers().end()) return false;
  kernel.scheduler().cancel_timer(it->second.handle);
  kernel.timers().erase(it);
  return true;
}

BOOLEAN set_timer(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc) {
  sched::scheduling_point();
  Kernel& kernel = Kernel::require();
  const bool was_set = cancel(kernel, Timer);
  Timer->Header.SignalState = 0;
  Timer->Dpc = Dpc;
  Timer->Period = static_cast<ULONG>(Period < 0 ? 0 : Period);
  sched::Processor* processor = kernel.scheduler().current_processor();
  Timer->Processor = processor != nullptr ? processor->index() + 1 : 0;
  arm(kernel, Timer, due_time_to_virtual(kernel, DueTime.QuadPart));
  return was_set ? TRUE : FALSE;
}

}  // namespace
}  // namespace wdmlab::ke

using namespace wdmlab::ke;

extern "C" {

VOID NTAPI KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type) {
  wdmlab::sched::scheduling_point();
  Kernel& kernel = Kernel::require();
  cancel(kernel, Timer);
  Timer->Header.Type = static_cast<UCHAR>(Type == NotificationTimer ? TimerNotificationObject
                                                                    : TimerSynchronizationObject);
  Timer->Header.Size = static_cast<UCHAR>(sizeof(KTIMER) / sizeof(LONG));
  Timer->Header.SignalState = 0;
  InitializeListHead(&Timer->Header.WaitListHead);
  Timer->DueTime.QuadPart = 0;
  Timer->TimerListEntry.Flink = Timer->TimerListEntry.Blink = nullptr;
  Timer->Dpc = nullptr;
  Timer->Processor = 0;
  Timer->Period = 0;
}

VOID NTAPI KeInitializeTimer(PKTIMER Timer) { KeInitializeTimerEx(Timer, NotificationTimer); }

BOOLEAN NTAPI KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc) { return set_timer(Timer, DueTime, 0, Dpc); }

BOOLEAN NTAPI KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc) {
  return set_timer(Timer, DueTime, Period, Dpc);
}

// The tolerable delay only lets Windows coalesce expirations; the lab fires on time.
BOOLEAN NTAPI KeSetCoalescableTimer(PKTIMER Timer, LARGE_INTEGER DueTime, ULONG Period, ULONG TolerableDelay,
                                    PKDPC Dpc) {
  (void)TolerableDelay;
  return set_timer(Timer, DueTime, static_cast<LONG>(Period), Dpc);
}

BOOLEAN NTAPI KeCancelTimer(PKTIMER Timer) {
  wdmlab::sched::scheduling_point();
  return cancel(Kernel::require(), Timer) ? TRUE : FALSE;
}

BOOLEAN NTAPI KeReadStateTimer(PKTIMER Timer) {
  wdmlab::sched::scheduling_point();
  return Timer->Header.SignalState != 0 ? TRUE : FALSE;
}

}  // extern "C"
