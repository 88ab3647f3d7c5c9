#include "ke/apc.hpp"

#include <bit>

#include "base/check.hpp"
#include "ke/dispatcher.hpp"
#include "ke/kernel.hpp"
#include "wdmlab/errors.hpp"

namespace wdmlab::ke {

namespace {

PKKERNEL_ROUTINE kernel_routine(const KAPC& apc) { return std::bit_cast<PKKERNEL_ROUTINE>(apc.Reserved[0]); }
PKRUNDOWN_ROUTINE rundown_routine(const KAPC& apc) { return std::bit_cast<PKRUNDOWN_ROUTINE>(apc.Reserved[1]); }
PKNORMAL_ROUTINE normal_routine(const KAPC& apc) { return std::bit_cast<PKNORMAL_ROUTINE>(apc.Reserved[2]); }

bool is_special(const KAPC& apc) { return apc.ApcMode == KernelMode && normal_routine(apc) == nullptr; }

KAPC& apc_at(PLIST_ENTRY entry) { return *CONTAINING_RECORD(entry, KAPC, ApcListEntry); }

sched::Scheduler& scheduler() { return Kernel::require().scheduler(); }

void check_queue_irql(const char* routine) {
  const sched::Irql irql = scheduler().irql();
  WDMLAB_CHECK(irql <= DISPATCH_LEVEL, "{} at IRQL {}; it needs IRQL <= DISPATCH_LEVEL", routine, irql);
}

// Whether `thread` may take the kernel APC `apc` now, its IRQL aside.
bool deliverable(const _KTHREAD& thread, const KAPC& apc) {
  if (thread.SpecialApcDisable != 0) return false;
  return is_special(apc) || (thread.KernelApcDisable == 0 && !thread.kernel_apc_in_progress);
}

// What an APC's normal routine is called with, as its kernel routine left it.
struct NormalCall {
  PKNORMAL_ROUTINE routine;
  PVOID context;
  PVOID argument1;
  PVOID argument2;
};

// Dequeues `apc` and runs its kernel routine; the caller is at APC_LEVEL. The kernel routine may
// free the APC (an IRP's completion APC frees the IRP it is part of), so nothing here touches it
// afterwards.
NormalCall run_kernel_routine(KAPC& apc) {
  RemoveEntryList(&apc.ApcListEntry);
  apc.Inserted = FALSE;
  NormalCall call{normal_routine(apc), apc.NormalContext, apc.SystemArgument1, apc.SystemArgument2};
  kernel_routine(apc)(&apc, &call.routine, &call.context, &call.argument1, &call.argument2);
  return call;
}

// The APC interrupt on `thread`, its running thread at PASSIVE_LEVEL: runs the deliverable kernel
// APCs at APC_LEVEL, lowering to PASSIVE_LEVEL only for normal routines (special APCs queued while
// one runs interrupt it there).
void deliver_kernel_apcs(_KTHREAD& thread) {
  sched::Scheduler& s = scheduler();
  PLIST_ENTRY head = &thread.ApcListHead[KernelMode];
  s.set_irql(APC_LEVEL);
  while (!IsListEmpty(head) && deliverable(thread, apc_at(head->Flink))) {
    KAPC& apc = apc_at(head->Flink);
    const bool special = is_special(apc);
    const NormalCall call = run_kernel_routine(apc);
    // As on Windows, a special APC's kernel routine cannot add a normal routine.
    if (special || call.routine == nullptr) continue;
    thread.kernel_apc_in_progress = true;
    s.set_irql(PASSIVE_LEVEL);
    call.routine(call.context, call.argument1, call.argument2);
    s.set_irql(APC_LEVEL);
    thread.kernel_apc_in_progress = false;
  }
  s.set_irql(PASSIVE_LEVEL);
}

}  // namespace

void initialize_apc(KAPC& apc, _KTHREAD& thread, PKKERNEL_ROUTINE kernel_routine, PKRUNDOWN_ROUTINE rundown_routine,
                    PKNORMAL_ROUTINE normal_routine, KPROCESSOR_MODE apc_mode, PVOID normal_context) {
  WDMLAB_CHECK(kernel_routine != nullptr, "an APC needs a kernel routine");
  WDMLAB_CHECK(apc_mode == KernelMode || apc_mode == UserMode, "APC mode {} is neither KernelMode nor UserMode",
               static_cast<int>(apc_mode));
  apc = KAPC{};
  apc.Type = ApcObject;
  apc.Size = static_cast<UCHAR>(sizeof(KAPC));
  apc.Thread = &thread;
  apc.Reserved[0] = std::bit_cast<PVOID>(kernel_routine);
  apc.Reserved[1] = std::bit_cast<PVOID>(rundown_routine);
  apc.Reserved[2] = std::bit_cast<PVOID>(normal_routine);
  apc.ApcStateIndex = 0;  // OriginalApcEnvironment
  apc.ApcMode = normal_routine == nullptr ? static_cast<KPROCESSOR_MODE>(KernelMode) : apc_mode;
  apc.NormalContext = normal_routine == nullptr ? nullptr : normal_context;
  apc.Inserted = FALSE;
}

bool insert_queue_apc(KAPC& apc, PVOID system_argument1, PVOID system_argument2, KPRIORITY increment) {
  (void)increment;
  check_queue_irql("insert_queue_apc");
  _KTHREAD& thread = *apc.Thread;
  if (apc.Inserted != FALSE || !thread.apc_queueable) return false;
  WDMLAB_CHECK(thread.context != nullptr, "an APC was queued to a thread that never runs (an idle thread)");
  apc.SystemArgument1 = system_argument1;
  apc.SystemArgument2 = system_argument2;
  apc.Inserted = TRUE;
  PLIST_ENTRY head = &thread.ApcListHead[apc.ApcMode == UserMode ? UserMode : KernelMode];
  PLIST_ENTRY before = head;
  if (is_special(apc)) {
    before = head->Flink;
    while (before != head && is_special(apc_at(before))) before = before->Flink;
  }
  InsertTailList(before, &apc.ApcListEntry);

  if (apc.ApcMode == UserMode) {
    if (thread.waiting && thread.wait_mode == UserMode && (thread.wait_alertable || thread.user_apc_pending)) {
      end_wait(thread, STATUS_USER_APC);
    }
    return true;
  }
  sched::Scheduler& s = scheduler();
  s.request_apc_interrupt(*thread.context);
  if (s.running() == thread.context) {
    s.deliver_apc_interrupt();
  } else if (thread.waiting && thread.context->saved_irql() == PASSIVE_LEVEL && deliverable(thread, apc)) {
    end_wait(thread, STATUS_KERNEL_APC);
  }
  return true;
}

bool remove_queue_apc(KAPC& apc) {
  check_queue_irql("remove_queue_apc");
  if (apc.Inserted == FALSE) return false;
  RemoveEntryList(&apc.ApcListEntry);
  apc.Inserted = FALSE;
  _KTHREAD& thread = *apc.Thread;
  if (IsListEmpty(&thread.ApcListHead[KernelMode])) scheduler().clear_apc_interrupt(*thread.context);
  return true;
}

bool user_apcs_pending(const _KTHREAD& thread) { return !IsListEmpty(&thread.ApcListHead[UserMode]); }

void alert_for_user_apcs(_KTHREAD& thread) {
  check_queue_irql("alert_for_user_apcs");
  thread.user_apc_pending = true;
  if (thread.waiting && thread.wait_mode == UserMode && user_apcs_pending(thread)) end_wait(thread, STATUS_USER_APC);
}

std::size_t deliver_user_apcs() {
  sched::Scheduler& s = scheduler();
  sched::Context* running = s.running();
  _KTHREAD* thread = running != nullptr ? thread_of(*running) : nullptr;
  if (thread == nullptr) throw UsageError("user APCs are delivered on a lab thread, not on the host or in a DPC");
  WDMLAB_CHECK(s.irql() == PASSIVE_LEVEL, "user APCs delivered at IRQL {}", s.irql());
  PLIST_ENTRY head = &thread->ApcListHead[UserMode];
  thread->user_apc_pending = false;
  std::size_t delivered = 0;
  while (!IsListEmpty(head)) {
    s.set_irql(APC_LEVEL);
    const NormalCall call = run_kernel_routine(apc_at(head->Flink));
    s.set_irql(PASSIVE_LEVEL);
    if (call.routine != nullptr) call.routine(call.context, call.argument1, call.argument2);
    ++delivered;
  }
  return delivered;
}

void rundown_apcs(_KTHREAD& thread) {
  thread.apc_queueable = false;
  for (PLIST_ENTRY head : {&thread.ApcListHead[KernelMode], &thread.ApcListHead[UserMode]}) {
    while (!IsListEmpty(head)) {
      KAPC& apc = apc_at(RemoveHeadList(head));
      apc.Inserted = FALSE;
      if (PKRUNDOWN_ROUTINE rundown = rundown_routine(apc)) rundown(&apc);
    }
  }
  if (thread.context != nullptr) scheduler().clear_apc_interrupt(*thread.context);
}

void check_for_kernel_apc_delivery(_KTHREAD& thread) {
  if (thread.context == nullptr || IsListEmpty(&thread.ApcListHead[KernelMode])) return;
  sched::Scheduler& s = scheduler();
  s.request_apc_interrupt(*thread.context);
  s.deliver_apc_interrupt();
}

void apc_interrupt(sched::Context& thread) {
  _KTHREAD* kernel_thread = thread_of(thread);
  if (kernel_thread != nullptr) deliver_kernel_apcs(*kernel_thread);
}

}  // namespace wdmlab::ke
