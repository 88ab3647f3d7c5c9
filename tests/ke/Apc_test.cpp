// Asynchronous procedure calls (ke/apc.hpp): where and when kernel APCs run (on their thread, at
// APC_LEVEL then PASSIVE_LEVEL, special ones first, held back by raised IRQL and by critical and
// guarded regions, interrupting waits that then start again with their original due time); user
// APCs ending alertable user-mode waits with STATUS_USER_APC; queue bookkeeping (double insert,
// removal, rundown at thread termination); and that a run with APCs replays from its seed.
#include "ke/apc.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <type_traits>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

using namespace std::chrono_literals;
using ke::deliver_user_apcs;
using ke::initialize_apc;
using ke::insert_queue_apc;
using ke::remove_queue_apc;
using ke::user_apcs_pending;

std::uint64_t virtual_now() { return sched::Scheduler::current()->now(); }

// What one of an APC's routines saw when it last ran.
struct RoutineRun {
  int runs = 0;
  KIRQL irql = 0xFF;
  PKTHREAD thread = nullptr;
  PVOID argument1 = nullptr;
  PVOID argument2 = nullptr;

  void record(PVOID first, PVOID second) {
    ++runs;
    irql = KeGetCurrentIrql();
    thread = KeGetCurrentThread();
    argument1 = first;
    argument2 = second;
  }
};

// An APC whose routines record where, when and with what they ran. Standard layout, so that the
// routines find the probe from its KAPC.
struct ApcProbe {
  KAPC apc;
  char name = '?';
  std::string* trace = nullptr;                  // when set, each routine appends "<name>k", "<name>n" or "<name>r"
  bool cancel_normal = false;                    // the kernel routine sets *NormalRoutine = NULL
  PVOID replaced_argument1 = nullptr;            // when set, the kernel routine stores it in *SystemArgument1
  void (*in_normal)(ApcProbe& probe) = nullptr;  // extra work inside the normal routine
  void* extra = nullptr;                         // for in_normal

  RoutineRun kernel;
  RoutineRun normal;
  int rundowns = 0;
  BOOLEAN kernel_in_dpc = TRUE;
  std::uint64_t kernel_time = 0;
  PVOID normal_context = nullptr;

  void make_special(PKTHREAD thread) { initialize_apc(apc, *thread, &Kernel, &Rundown, nullptr, KernelMode, nullptr); }
  void make_normal(PKTHREAD thread, KPROCESSOR_MODE mode = KernelMode) {
    initialize_apc(apc, *thread, &Kernel, &Rundown, &Normal, mode, this);
  }
  bool insert(PVOID argument1 = nullptr, PVOID argument2 = nullptr) {
    return insert_queue_apc(apc, argument1, argument2, IO_NO_INCREMENT);
  }
  void note(char routine) {
    if (trace == nullptr) return;
    if (!trace->empty()) *trace += ' ';
    *trace += name;
    *trace += routine;
  }

  static ApcProbe& of(PKAPC apc) { return *reinterpret_cast<ApcProbe*>(apc); }

  static VOID Kernel(PKAPC apc, PKNORMAL_ROUTINE* normal_routine, PVOID* normal_context, PVOID* argument1,
                     PVOID* argument2) {
    (void)normal_context;
    ApcProbe& probe = of(apc);
    probe.note('k');
    probe.kernel_time = virtual_now();
    probe.kernel.record(*argument1, *argument2);
    probe.kernel_in_dpc = KeIsExecutingDpc();
    if (probe.cancel_normal) *normal_routine = nullptr;
    if (probe.replaced_argument1 != nullptr) *argument1 = probe.replaced_argument1;
  }
  static VOID Normal(PVOID context, PVOID argument1, PVOID argument2) {
    ApcProbe& probe = *static_cast<ApcProbe*>(context);
    probe.note('n');
    probe.normal.record(argument1, argument2);
    probe.normal_context = context;
    if (probe.in_normal != nullptr) probe.in_normal(probe);
  }
  static VOID Rundown(PKAPC apc) {
    ApcProbe& probe = of(apc);
    ++probe.rundowns;
    probe.note('r');
  }
};
static_assert(std::is_standard_layout_v<ApcProbe>);

// --- initialize_apc -----------------------------------------------------------------------------------

TEST(InitializeApc, FillsTheKapcAsWindowsX64Does) {
  ApcProbe normal, special;
  runs_clean([&] {
    normal.make_normal(KeGetCurrentThread(), UserMode);
    initialize_apc(special.apc, *KeGetCurrentThread(), &ApcProbe::Kernel, nullptr, nullptr, UserMode, &normal);
  });
  EXPECT_EQ(normal.apc.Type, ApcObject);
  EXPECT_EQ(normal.apc.Size, sizeof(KAPC));
  EXPECT_EQ(normal.apc.Reserved[0], reinterpret_cast<PVOID>(&ApcProbe::Kernel));
  EXPECT_EQ(normal.apc.Reserved[1], reinterpret_cast<PVOID>(&ApcProbe::Rundown));
  EXPECT_EQ(normal.apc.Reserved[2], reinterpret_cast<PVOID>(&ApcProbe::Normal));
  EXPECT_EQ(normal.apc.ApcMode, UserMode);
  EXPECT_EQ(normal.apc.NormalContext, &normal);
  EXPECT_FALSE(normal.apc.Inserted);
  // No normal routine: a special kernel APC, whatever mode and context were passed.
  EXPECT_EQ(special.apc.Reserved[1], nullptr);
  EXPECT_EQ(special.apc.Reserved[2], nullptr);
  EXPECT_EQ(special.apc.ApcMode, KernelMode);
  EXPECT_EQ(special.apc.NormalContext, nullptr);
}

// --- kernel APCs and waits ----------------------------------------------------------------------------

struct WaitRow {
  const char* name;
  KPROCESSOR_MODE mode;
  BOOLEAN alertable;
};

// A lab thread that waits on its event until virtual time `due` in the row's mode, and records who
// it is, what the wait returned and when. `before` and `after` run on it around the wait.
struct TimedWaiter {
  KEVENT event;
  PKTHREAD thread = nullptr;
  NTSTATUS status = -1;
  std::uint64_t returned = 0;

  void spawn(Lab& lab, const WaitRow& row, std::uint64_t due, std::function<void()> before = {},
             std::function<void()> after = {}) {
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    lab.spawn("waiter", [this, &lab, row, due, before = std::move(before), after = std::move(after)] {
      thread = KeGetCurrentThread();
      if (before) before();
      LARGE_INTEGER timeout = absolute_at(due);
      status = KeWaitForSingleObject(&event, UserRequest, row.mode, row.alertable, &timeout);
      returned = lab.now();
      if (after) after();
    });
  }
};

class KernelApcDuringAWait : public ::testing::TestWithParam<WaitRow> {};

INSTANTIATE_TEST_SUITE_P(Waits, KernelApcDuringAWait,
                         ::testing::Values(WaitRow{"KernelMode", KernelMode, FALSE},
                                           WaitRow{"KernelModeAlertable", KernelMode, TRUE},
                                           WaitRow{"UserMode", UserMode, FALSE},
                                           WaitRow{"UserModeAlertable", UserMode, TRUE}),
                         RowName{});

TEST_P(KernelApcDuringAWait, RunsOnTheWaiterAndTheWaitStillTimesOutAtItsOriginalDueTime) {
  const WaitRow row = GetParam();
  const std::uint64_t due = 20 * kTicksPerMillisecond + 3;
  Lab lab({.processors = 1, .seed = 3});
  TimedWaiter waiter;
  waiter.spawn(lab, row, due);
  ApcProbe probe;
  EXPECT_EQ(lab.run_for(1ms), RunStatus::TimeElapsed);
  ASSERT_EQ(blocked_on(&waiter.event), 1u);
  probe.make_special(waiter.thread);
  const std::uint64_t queued = lab.now();
  EXPECT_TRUE(probe.insert());  // from the host
  EXPECT_EQ(lab.run_for(1ms), RunStatus::TimeElapsed);
  EXPECT_EQ(probe.kernel.runs, 1);
  EXPECT_EQ(blocked_on(&waiter.event), 1u) << "the wait started again after the APC";
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(probe.kernel.runs, 1);
  EXPECT_EQ(probe.kernel.thread, waiter.thread);
  EXPECT_EQ(probe.kernel.irql, APC_LEVEL);
  EXPECT_FALSE(probe.kernel_in_dpc);
  EXPECT_GE(probe.kernel_time, queued);
  EXPECT_LT(probe.kernel_time, queued + kTicksPerMillisecond);
  EXPECT_EQ(waiter.status, STATUS_TIMEOUT);
  EXPECT_EQ(waiter.returned, due);
  for (const Finding& finding : lab.findings()) ADD_FAILURE() << finding.summary();
}

TEST(KernelApc, AnInterruptedWaitForAllStillSucceedsWhenTheObjectsAreSignaledLater) {
  Lab lab({.processors = 2, .seed = 5});
  KEVENT first, second;
  KeInitializeEvent(&first, NotificationEvent, FALSE);
  KeInitializeEvent(&second, SynchronizationEvent, FALSE);
  ApcProbe probe;
  PKTHREAD waiter = nullptr;
  NTSTATUS status = -1;
  std::uint64_t woke = 0, set_at = 0;
  std::size_t waiting_again = 0;
  lab.spawn("waiter", [&] {
    waiter = KeGetCurrentThread();
    PVOID objects[] = {&first, &second};
    LARGE_INTEGER timeout = relative_ms(100);
    status = KeWaitForMultipleObjects(2, objects, WaitAll, Executive, KernelMode, FALSE, &timeout, nullptr);
    woke = lab.now();
  });
  lab.spawn("signaller", [&] {
    wait_until_blocked(&first, 1);
    probe.make_special(waiter);
    probe.insert();
    while (probe.kernel.runs == 0) {
      LARGE_INTEGER tick = relative_ticks(1);
      KeDelayExecutionThread(KernelMode, FALSE, &tick);
    }
    wait_until_blocked(&first, 1);
    waiting_again = blocked_on(&first);
    KeSetEvent(&first, IO_NO_INCREMENT, FALSE);
    set_at = lab.now();
    KeSetEvent(&second, IO_NO_INCREMENT, FALSE);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(probe.kernel.runs, 1);
  EXPECT_EQ(probe.kernel.thread, waiter);
  EXPECT_EQ(probe.kernel.irql, APC_LEVEL);
  EXPECT_EQ(waiting_again, 1u);
  EXPECT_EQ(status, STATUS_SUCCESS);
  EXPECT_GE(woke, set_at);
  EXPECT_LT(woke, static_cast<std::uint64_t>(100 * kTicksPerMillisecond));
  EXPECT_EQ(KeReadStateEvent(&second), 0) << "the restarted wait acquired the synchronization event";
}

struct DpcQueuesApc {
  ApcProbe* probe;
  BOOLEAN in_dpc = FALSE;
  ULONG processor = 0xFF;
  bool inserted = false;

  static VOID Routine(PKDPC, PVOID context, PVOID, PVOID) {
    auto* self = static_cast<DpcQueuesApc*>(context);
    self->in_dpc = KeIsExecutingDpc();
    self->processor = KeGetCurrentProcessorNumber();
    self->inserted = self->probe->insert();
  }
};

TEST(KernelApc, QueuedFromADpcOnAnotherProcessorRunsOnTheWaitingThread) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    KEVENT event;
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    ApcProbe probe;
    DpcQueuesApc queuer{&probe};
    KDPC dpc;
    PKTHREAD waiter = nullptr;
    ULONG target = 0xFF;
    NTSTATUS status = -1;
    lab.spawn("waiter", [&] {
      waiter = KeGetCurrentThread();
      status = KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr);
    });
    lab.spawn("queuer", [&] {
      wait_until_blocked(&event, 1);
      probe.make_normal(waiter);
      KeInitializeDpc(&dpc, &DpcQueuesApc::Routine, &queuer);
      target = 1 - KeGetCurrentProcessorNumber();
      KeSetTargetProcessorDpc(&dpc, static_cast<CCHAR>(target));
      KeInsertQueueDpc(&dpc, nullptr, nullptr);
      while (probe.normal.runs == 0) {
        LARGE_INTEGER tick = relative_ticks(1);
        KeDelayExecutionThread(KernelMode, FALSE, &tick);
      }
      KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle) << "seed " << seed;
    EXPECT_TRUE(queuer.inserted);
    EXPECT_TRUE(queuer.in_dpc);
    EXPECT_EQ(queuer.processor, target);
    EXPECT_EQ(probe.kernel.thread, waiter);
    EXPECT_FALSE(probe.kernel_in_dpc);
    EXPECT_EQ(probe.kernel.irql, APC_LEVEL);
    EXPECT_EQ(probe.normal.thread, waiter);
    EXPECT_EQ(probe.normal.irql, PASSIVE_LEVEL);
    EXPECT_EQ(status, STATUS_SUCCESS);
  }
}

TEST(KernelApc, AWaitAtApcLevelOrWithApcsDisabledIsNotInterrupted) {
  struct Row {
    const char* name;
    bool special;
    void (*enter)();
    void (*leave)();
  };
  const Row rows[] = {
      {"APC_LEVEL", true, [] { KfRaiseIrql(APC_LEVEL); }, [] { KeLowerIrql(PASSIVE_LEVEL); }},
      {"guarded region", true, [] { KeEnterGuardedRegion(); }, [] { KeLeaveGuardedRegion(); }},
      {"critical region", false, [] { KeEnterCriticalRegion(); }, [] { KeLeaveCriticalRegion(); }},
  };
  for (const Row& row : rows) {
    Lab lab({.processors = 2, .seed = 8});
    KEVENT event;
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    ApcProbe probe;
    PKTHREAD waiter = nullptr;
    NTSTATUS status = -1;
    int runs_when_woken = -1, runs_after_leave = -1;
    std::size_t still_waiting = 0;
    lab.spawn("waiter", [&] {
      waiter = KeGetCurrentThread();
      row.enter();
      status = KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr);
      runs_when_woken = probe.kernel.runs;
      row.leave();
      runs_after_leave = probe.kernel.runs;
    });
    lab.spawn("queuer", [&] {
      wait_until_blocked(&event, 1);
      row.special ? probe.make_special(waiter) : probe.make_normal(waiter);
      probe.insert();
      LARGE_INTEGER delay = relative_ms(1);
      KeDelayExecutionThread(KernelMode, FALSE, &delay);
      still_waiting = blocked_on(&event);
      KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle) << row.name;
    EXPECT_EQ(still_waiting, 1u) << row.name;
    EXPECT_EQ(status, STATUS_SUCCESS) << row.name;
    EXPECT_EQ(runs_when_woken, 0) << row.name;
    EXPECT_EQ(runs_after_leave, 1) << row.name;
    EXPECT_EQ(probe.kernel.thread, waiter) << row.name;
  }
}

// --- what holds kernel APCs back -------------------------------------------------------------------------

KMUTEX g_mutex;

struct DisableRow {
  const char* name;
  bool special;
  void (*enter)();
  void (*leave)();
  bool runs_inside;  // the APC runs before `leave`
};

class KernelApcHeldBack : public ::testing::TestWithParam<DisableRow> {};

void raise_to_apc_level() { KfRaiseIrql(APC_LEVEL); }
void lower_to_passive_level() { KeLowerIrql(PASSIVE_LEVEL); }
void acquire_mutex() {
  KeInitializeMutex(&g_mutex, 0);
  KeWaitForSingleObject(&g_mutex, Executive, KernelMode, FALSE, nullptr);
}
void release_mutex() { KeReleaseMutex(&g_mutex, FALSE); }
void enter_guarded() { KeEnterGuardedRegion(); }
void leave_guarded() { KeLeaveGuardedRegion(); }
void enter_critical() { KeEnterCriticalRegion(); }
void leave_critical() { KeLeaveCriticalRegion(); }

INSTANTIATE_TEST_SUITE_P(
    Disablers, KernelApcHeldBack,
    ::testing::Values(DisableRow{"SpecialAtApcLevel", true, raise_to_apc_level, lower_to_passive_level, false},
                      DisableRow{"NormalAtApcLevel", false, raise_to_apc_level, lower_to_passive_level, false},
                      DisableRow{"SpecialInGuardedRegion", true, enter_guarded, leave_guarded, false},
                      DisableRow{"NormalInGuardedRegion", false, enter_guarded, leave_guarded, false},
                      DisableRow{"NormalInCriticalRegion", false, enter_critical, leave_critical, false},
                      DisableRow{"SpecialInCriticalRegion", true, enter_critical, leave_critical, true},
                      DisableRow{"NormalWhileOwningAKernelMutex", false, acquire_mutex, release_mutex, false},
                      DisableRow{"SpecialWhileOwningAKernelMutex", true, acquire_mutex, release_mutex, true}),
    RowName{});

TEST_P(KernelApcHeldBack, UntilTheThreadReenablesItAndThenRunsBeforeThatCallReturns) {
  const DisableRow row = GetParam();
  Lab lab({.processors = 2, .seed = 4});
  ApcProbe probe;
  PKTHREAD target = nullptr;
  LONG inside = 0, queued = 0;
  int runs_inside = -1, runs_after = -1;
  lab.spawn("target", [&] {
    target = KeGetCurrentThread();
    row.enter();
    InterlockedExchange(&inside, 1);
    while (ReadAcquire(&queued) == 0) YieldProcessor();
    for (int i = 0; i < 5; ++i) YieldProcessor();  // scheduling points inside
    runs_inside = probe.kernel.runs;
    row.leave();
    runs_after = probe.kernel.runs;
  });
  lab.spawn("queuer", [&] {
    while (ReadAcquire(&inside) == 0) YieldProcessor();
    row.special ? probe.make_special(target) : probe.make_normal(target);
    EXPECT_TRUE(probe.insert());
    InterlockedExchange(&queued, 1);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(runs_inside, row.runs_inside ? 1 : 0);
  EXPECT_EQ(runs_after, 1);
  EXPECT_EQ(probe.kernel.thread, target);
  EXPECT_EQ(probe.kernel.irql, APC_LEVEL);
  if (!row.special) {
    EXPECT_EQ(probe.normal.runs, 1);
    EXPECT_EQ(probe.normal.irql, PASSIVE_LEVEL);
  }
  for (const Finding& finding : lab.findings()) ADD_FAILURE() << finding.summary();
}

// --- order and routines ---------------------------------------------------------------------------------

TEST(KernelApc, SpecialApcsRunBeforeNormalOnesWhateverTheQueueOrder) {
  std::string trace;
  ApcProbe a, b, c, d;  // a, c normal; b, d special; queued in that order
  runs_clean([&] {
    PKTHREAD self = KeGetCurrentThread();
    a.make_normal(self);
    b.make_special(self);
    c.make_normal(self);
    d.make_special(self);
    KfRaiseIrql(APC_LEVEL);
    for (ApcProbe* probe : {&a, &b, &c, &d}) {
      probe->name = static_cast<char>('a' + (probe - &a));
      probe->trace = &trace;
      probe->insert();
    }
    KeLowerIrql(PASSIVE_LEVEL);
  });
  EXPECT_EQ(trace, "bk dk ak an ck cn");
}

TEST(KernelApc, TheNormalRoutineRunsAtPassiveLevelWithWhatTheKernelRoutineLeft) {
  ApcProbe probe;
  int argument1 = 0, argument2 = 0, replaced = 0;
  runs_clean([&] {
    probe.make_normal(KeGetCurrentThread());
    probe.replaced_argument1 = &replaced;
    probe.insert(&argument1, &argument2);
  });
  EXPECT_EQ(probe.kernel.irql, APC_LEVEL);
  EXPECT_EQ(probe.kernel.argument1, &argument1);
  EXPECT_EQ(probe.kernel.argument2, &argument2);
  EXPECT_EQ(probe.normal.runs, 1);
  EXPECT_EQ(probe.normal.irql, PASSIVE_LEVEL);
  EXPECT_EQ(probe.normal_context, &probe);
  EXPECT_EQ(probe.normal.argument1, &replaced);
  EXPECT_EQ(probe.normal.argument2, &argument2);
}

TEST(KernelApc, TheKernelRoutineCanCancelTheNormalRoutine) {
  ApcProbe probe;
  runs_clean([&] {
    probe.make_normal(KeGetCurrentThread());
    probe.cancel_normal = true;
    probe.insert();
  });
  EXPECT_EQ(probe.kernel.runs, 1);
  EXPECT_EQ(probe.normal.runs, 0);
}

TEST(KernelApc, ANormalRoutineIsInterruptedBySpecialApcsButNotByOtherNormalOnes) {
  std::string trace;
  ApcProbe outer, normal, special;
  ApcProbe* queued_inside[] = {&normal, &special};
  runs_clean([&] {
    PKTHREAD self = KeGetCurrentThread();
    outer.name = 'o';
    normal.name = 'n';
    special.name = 's';
    for (ApcProbe* probe : {&outer, &normal, &special}) probe->trace = &trace;
    outer.make_normal(self);
    normal.make_normal(self);
    special.make_special(self);
    outer.extra = queued_inside;
    outer.in_normal = [](ApcProbe& probe) {
      auto** inside = static_cast<ApcProbe**>(probe.extra);
      inside[0]->insert();  // normal: waits until this normal routine returns
      inside[1]->insert();  // special: runs before insert returns
      KeGetCurrentIrql();   // a scheduling point, where the normal APC still waits
    };
    outer.insert();
  });
  EXPECT_EQ(trace, "ok on sk nk nn");
}

TEST(KernelApc, QueuedToTheRunningThreadAtPassiveLevelItRunsBeforeInsertReturns) {
  for (bool special : {true, false}) {
    ApcProbe probe;
    bool inserted = false;
    int runs_on_return = -1, normal_runs_on_return = -1;
    PKTHREAD self = nullptr;
    runs_clean([&] {
      self = KeGetCurrentThread();
      special ? probe.make_special(self) : probe.make_normal(self);
      inserted = probe.insert();
      runs_on_return = probe.kernel.runs;
      normal_runs_on_return = probe.normal.runs;
    });
    EXPECT_TRUE(inserted);
    EXPECT_EQ(runs_on_return, 1);
    EXPECT_EQ(normal_runs_on_return, special ? 0 : 1);
    EXPECT_EQ(probe.kernel.thread, self);
  }
}

// --- queue bookkeeping ----------------------------------------------------------------------------------

TEST(InsertQueueApc, OfAQueuedApcReturnsFalseAndTheApcRunsOnce) {
  ApcProbe probe;
  bool first = false, second = true;
  BOOLEAN inserted_flag = FALSE;
  runs_clean([&] {
    probe.make_special(KeGetCurrentThread());
    KfRaiseIrql(APC_LEVEL);
    first = probe.insert();
    second = probe.insert();
    inserted_flag = probe.apc.Inserted;
    KeLowerIrql(PASSIVE_LEVEL);
  });
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  EXPECT_TRUE(inserted_flag);
  EXPECT_FALSE(probe.apc.Inserted);
  EXPECT_EQ(probe.kernel.runs, 1);
}

TEST(RemoveQueueApc, RemovesAQueuedApcSoItNeverRuns) {
  ApcProbe probe;
  bool removed = false, removed_again = true, reinserted = false;
  int runs_after_removal = -1;
  runs_clean([&] {
    probe.make_normal(KeGetCurrentThread());
    KfRaiseIrql(APC_LEVEL);
    probe.insert();
    removed = remove_queue_apc(probe.apc);
    removed_again = remove_queue_apc(probe.apc);
    KeLowerIrql(PASSIVE_LEVEL);
    runs_after_removal = probe.kernel.runs;
    reinserted = probe.insert();
  });
  EXPECT_TRUE(removed);
  EXPECT_FALSE(removed_again);
  EXPECT_EQ(runs_after_removal, 0);
  EXPECT_TRUE(reinserted);
  EXPECT_EQ(probe.kernel.runs, 1);
  EXPECT_EQ(probe.normal.runs, 1);
  EXPECT_EQ(probe.rundowns, 0);
}

// --- user APCs ---------------------------------------------------------------------------------------------

TEST(UserApc, AlreadyQueuedEndsAnAlertableUserModeWaitAtOnce) {
  ApcProbe probe;
  NTSTATUS status = -1;
  std::uint64_t before = 0, after = 0;
  int runs_after_wait = -1;
  bool pending_after_wait = false;
  std::size_t delivered = 0;
  PKTHREAD self = nullptr;
  int argument = 0;
  runs_clean([&] {
    self = KeGetCurrentThread();
    probe.make_normal(self, UserMode);
    probe.insert(&argument, nullptr);
    KEVENT never;
    KeInitializeEvent(&never, NotificationEvent, FALSE);
    LARGE_INTEGER timeout = relative_ms(10);
    before = virtual_now();
    status = KeWaitForSingleObject(&never, UserRequest, UserMode, TRUE, &timeout);
    after = virtual_now();
    runs_after_wait = probe.kernel.runs;
    pending_after_wait = user_apcs_pending(*self);
    delivered = deliver_user_apcs();
  });
  EXPECT_EQ(status, STATUS_USER_APC);
  EXPECT_LE(after - before, 2 * kDecisionTicks);
  EXPECT_EQ(runs_after_wait, 0) << "the wait returns; the user APC runs on the way back to user mode";
  EXPECT_TRUE(pending_after_wait);
  EXPECT_EQ(delivered, 1u);
  EXPECT_EQ(probe.kernel.irql, APC_LEVEL);
  EXPECT_EQ(probe.normal.irql, PASSIVE_LEVEL);
  EXPECT_EQ(probe.normal.thread, self);
  EXPECT_EQ(probe.normal.argument1, &argument);
  EXPECT_FALSE(user_apcs_pending(*self));
}

TEST(UserApc, ASignaledObjectTakesPrecedenceOverAQueuedOne) {
  ApcProbe probe;
  NTSTATUS status = -1;
  LONG state_after = -1;
  bool still_pending = false;
  runs_clean([&] {
    probe.make_normal(KeGetCurrentThread(), UserMode);
    probe.insert();
    KEVENT event;
    KeInitializeEvent(&event, SynchronizationEvent, TRUE);
    status = KeWaitForSingleObject(&event, UserRequest, UserMode, TRUE, nullptr);
    state_after = KeReadStateEvent(&event);
    still_pending = user_apcs_pending(*KeGetCurrentThread());
    deliver_user_apcs();
  });
  EXPECT_EQ(status, STATUS_SUCCESS);
  EXPECT_EQ(state_after, 0);
  EXPECT_TRUE(still_pending);
  EXPECT_EQ(probe.normal.runs, 1);
}

TEST(UserApc, QueuedDuringAnAlertableUserModeWaitEndsItThen) {
  Lab lab({.processors = 1, .seed = 2});
  KEVENT event;
  KeInitializeEvent(&event, SynchronizationEvent, FALSE);
  ApcProbe first, second;
  PKTHREAD waiter = nullptr;
  NTSTATUS status = -1;
  std::uint64_t returned = 0, queued_at = 0;
  bool unlinked = false;
  std::size_t delivered = 0;
  std::string trace;
  lab.spawn("waiter", [&] {
    waiter = KeGetCurrentThread();
    LARGE_INTEGER timeout = relative_ms(100);
    status = KeWaitForSingleObject(&event, UserRequest, UserMode, TRUE, &timeout);
    returned = lab.now();
    unlinked = IsListEmpty(&event.Header.WaitListHead) != FALSE;
    delivered = deliver_user_apcs();
  });
  lab.spawn("queuer", [&] {
    wait_until_blocked(&event, 1);
    first.name = 'f';
    second.name = 's';
    first.trace = second.trace = &trace;
    first.make_normal(waiter, UserMode);
    second.make_normal(waiter, UserMode);
    queued_at = lab.now();
    first.insert();
    second.insert();
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(status, STATUS_USER_APC);
  EXPECT_GE(returned, queued_at);
  EXPECT_LE(returned, queued_at + 10);
  EXPECT_TRUE(unlinked);
  EXPECT_EQ(delivered, 2u);
  EXPECT_EQ(trace, "fk fn sk sn");
}

TEST(UserApc, NonAlertableAndKernelModeWaitsIgnoreThem) {
  for (const WaitRow& row : {WaitRow{"UserMode", UserMode, FALSE}, WaitRow{"KernelModeAlertable", KernelMode, TRUE},
                             WaitRow{"KernelMode", KernelMode, FALSE}}) {
    for (bool queued_before : {true, false}) {
      Lab lab({.processors = 1, .seed = 9});
      const std::uint64_t due = 5 * kTicksPerMillisecond;
      ApcProbe probe;
      TimedWaiter waiter;
      int runs_after_wait = -1;
      std::size_t delivered = 0;
      waiter.spawn(
          lab, row, due,
          [&] {
            probe.make_normal(waiter.thread, UserMode);
            if (queued_before) probe.insert();
          },
          [&] {
            runs_after_wait = probe.kernel.runs;
            delivered = deliver_user_apcs();
          });
      lab.spawn("queuer", [&] {
        if (queued_before) return;
        wait_until_blocked(&waiter.event, 1);
        probe.insert();
      });
      EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle) << row.name;
      EXPECT_EQ(waiter.status, STATUS_TIMEOUT) << row.name << (queued_before ? " before" : " during");
      EXPECT_EQ(waiter.returned, due) << row.name;
      EXPECT_EQ(runs_after_wait, 0) << row.name;
      EXPECT_EQ(delivered, 1u) << row.name;
    }
  }
}

TEST(UserApc, EndsAnAlertableUserModeKeDelayExecutionThread) {
  for (bool queued_before : {true, false}) {
    Lab lab({.processors = 1, .seed = 6});
    ApcProbe probe;
    PKTHREAD sleeper = nullptr;
    LONG sleeping = 0;
    NTSTATUS status = -1;
    std::uint64_t slept = 0;
    lab.spawn("sleeper", [&] {
      sleeper = KeGetCurrentThread();
      probe.make_normal(sleeper, UserMode);
      if (queued_before) probe.insert();
      InterlockedExchange(&sleeping, 1);
      LARGE_INTEGER delay = relative_ms(50);
      const std::uint64_t before = lab.now();
      status = KeDelayExecutionThread(UserMode, TRUE, &delay);
      slept = lab.now() - before;
      deliver_user_apcs();
    });
    lab.spawn("queuer", [&] {
      if (queued_before) return;
      while (ReadAcquire(&sleeping) == 0) YieldProcessor();
      LARGE_INTEGER delay = relative_ms(1);
      KeDelayExecutionThread(KernelMode, FALSE, &delay);
      probe.insert();
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
    EXPECT_EQ(status, STATUS_USER_APC) << (queued_before ? "before" : "during");
    EXPECT_LT(slept, static_cast<std::uint64_t>(50 * kTicksPerMillisecond));
    EXPECT_EQ(probe.normal.runs, 1);
  }
}

TEST(UserApc, AKernelModeKeDelayExecutionThreadIgnoresThem) {
  ApcProbe probe;
  NTSTATUS status = -1;
  std::uint64_t slept = 0;
  runs_clean([&] {
    probe.make_normal(KeGetCurrentThread(), UserMode);
    probe.insert();
    LARGE_INTEGER delay = relative_ms(3);
    const std::uint64_t before = virtual_now();
    status = KeDelayExecutionThread(KernelMode, TRUE, &delay);
    slept = virtual_now() - before;
    deliver_user_apcs();
  });
  EXPECT_EQ(status, STATUS_SUCCESS);
  EXPECT_EQ(slept, kDecisionTicks + 3 * kTicksPerMillisecond);
}

// --- thread termination --------------------------------------------------------------------------------------

TEST(ApcRundown, TerminationRunsDownQueuedApcsAndClosesTheQueues) {
  Lab lab({.processors = 1, .seed = 1});
  std::string trace;
  ApcProbe with_rundown, without_rundown, late;
  with_rundown.name = 'a';
  without_rundown.name = 'b';
  for (ApcProbe* probe : {&with_rundown, &without_rundown}) probe->trace = &trace;
  PKTHREAD ended = nullptr;
  bool late_inserted = true;
  lab.spawn("ending", [&] {
    ended = KeGetCurrentThread();
    ObReferenceObject(ended);  // keeps the thread object for the inserts after it ends
    with_rundown.make_normal(ended, UserMode);
    initialize_apc(without_rundown.apc, *ended, &ApcProbe::Kernel, nullptr, &ApcProbe::Normal, UserMode,
                   &without_rundown);
    with_rundown.insert();
    without_rundown.insert();
  });
  lab.spawn("late", [&] {
    while (ended == nullptr) YieldProcessor();
    KeWaitForSingleObject(ended, Executive, KernelMode, FALSE, nullptr);
    late.make_special(ended);
    late_inserted = late.insert();
    ObDereferenceObject(ended);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(trace, "ar") << "only the rundown routine of the APC that has one ran";
  EXPECT_EQ(with_rundown.rundowns, 1);
  EXPECT_EQ(with_rundown.kernel.runs + with_rundown.normal.runs, 0);
  EXPECT_EQ(without_rundown.kernel.runs + without_rundown.normal.runs, 0);
  EXPECT_FALSE(with_rundown.apc.Inserted);
  EXPECT_FALSE(without_rundown.apc.Inserted);
  EXPECT_FALSE(late_inserted);
  EXPECT_EQ(late.kernel.runs, 0);
}

// --- determinism ---------------------------------------------------------------------------------------------

struct ApcRun {
  std::uint64_t digest;
  std::uint64_t time;
  std::string trace;
  bool operator==(const ApcRun&) const = default;
};

ApcRun run_apc_scenario(std::uint64_t seed) {
  Lab lab({.processors = 2, .seed = seed});
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  std::string trace;
  ApcProbe probes[4];
  KDPC dpc;
  DpcQueuesApc from_dpc{&probes[3]};
  PKTHREAD waiter = nullptr;
  for (int i = 0; i < 4; ++i) {
    probes[i].name = static_cast<char>('a' + i);
    probes[i].trace = &trace;
  }
  lab.spawn("waiter", [&] {
    waiter = KeGetCurrentThread();
    LARGE_INTEGER timeout = relative_ms(5);
    KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &timeout);
    KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
  });
  lab.spawn("queuer", [&] {
    while (waiter == nullptr) YieldProcessor();
    probes[0].make_special(waiter);
    probes[1].make_normal(waiter);
    probes[2].make_special(waiter);
    probes[3].make_normal(waiter);
    for (int i = 0; i < 3; ++i) {
      probes[i].insert();
      KeGetCurrentIrql();
    }
    KeInitializeDpc(&dpc, &DpcQueuesApc::Routine, &from_dpc);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
    KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle) << "seed " << seed;
  return {lab.schedule_digest(), lab.now(), trace};
}

TEST(ApcDeterminism, TheSameSeedGivesTheSameScheduleAndDelivery) {
  std::set<std::string> traces;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const ApcRun run = run_apc_scenario(seed);
    EXPECT_TRUE(run == run_apc_scenario(seed)) << "seed " << seed << " did not replay";
    EXPECT_EQ(run.trace.size(), 6u * 3u - 1u) << run.trace;  // four kernel routines, two normal ones
    traces.insert(run.trace);
  }
  EXPECT_GT(traces.size(), 1u) << "seeds differ in where the APCs interrupt the waiter";
}

}  // namespace
}  // namespace wdmlab::test
