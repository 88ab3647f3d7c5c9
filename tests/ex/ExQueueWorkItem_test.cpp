// ExQueueWorkItem: items run on system worker threads at PASSIVE_LEVEL, charged to the driver
// that queued them; the lab waits for queued work; and the checks Windows makes before and after
// a worker routine runs.
#include <set>

#include "ex_support.hpp"

namespace wdmlab {
namespace {

using ex_test::fatal;
using ex_test::pool_books;
using ex_test::run_as_driver;

struct Observed {
  int runs = 0;
  KIRQL irql = 0xFF;
  PETHREAD thread = nullptr;
  BOOLEAN system_thread = FALSE;
  void* block = nullptr;
};
Observed g_observed;

VOID NTAPI ObservingRoutine(PVOID Parameter) {
  ++g_observed.runs;
  g_observed.irql = KeGetCurrentIrql();
  g_observed.thread = PsGetCurrentThread();
  g_observed.system_thread = PsIsSystemThread(PsGetCurrentThread());
  g_observed.block = ExAllocatePool2(POOL_FLAG_PAGED, 123, 'kroW');
  ExFreePoolWithTag(Parameter, 'metI');  // the routine owns its item
}

TEST(ExQueueWorkItem, RunsAtPassiveLevelOnAWorkerChargedToTheQueuingDriver) {
  g_observed = {};
  Lab lab({.processors = 2, .seed = 3});
  static PETHREAD queuer;
  run_as_driver(lab, "queuer", [] {
    queuer = PsGetCurrentThread();
    auto* item = static_cast<WORK_QUEUE_ITEM*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(WORK_QUEUE_ITEM), 'metI'));
    ExInitializeWorkItem(item, ObservingRoutine, item);
    EXPECT_EQ(item->List.Flink, nullptr);
    KIRQL old_irql;
    KeRaiseIrql(DISPATCH_LEVEL, &old_irql);  // queuing is allowed up to DISPATCH_LEVEL
    ExQueueWorkItem(item, DelayedWorkQueue);
    EXPECT_TRUE(ex::Executive::require().work_queues().queued(item));  // no worker ran yet
    KeLowerIrql(old_irql);
  });
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_EQ(g_observed.runs, 1);  // it ran before the lab went idle
  EXPECT_EQ(g_observed.irql, PASSIVE_LEVEL);
  EXPECT_NE(g_observed.thread, queuer);
  EXPECT_TRUE(g_observed.system_thread);
  EXPECT_EQ(pool_books().by_driver_name("queuer").current_bytes, 123u);  // the routine's allocation
  EXPECT_EQ(pool_books().by_driver_name("queuer").frees, 1u);            // the item, freed by the routine
  EXPECT_EQ(ex::Executive::require().work_queues().completed(), 1u);
  ExFreePool(g_observed.block);
}

VOID NTAPI SleepingRoutine(PVOID Parameter) {
  LARGE_INTEGER interval{.QuadPart = -50 * 10000};  // 50 ms
  KeDelayExecutionThread(KernelMode, FALSE, &interval);
  *static_cast<bool*>(Parameter) = true;
}

TEST(ExQueueWorkItem, TheLabWaitsForQueuedWorkThatSleeps) {
  Lab lab;
  static WORK_QUEUE_ITEM item;
  static bool finished;
  finished = false;
  lab.spawn("queuer", [] {
    ExInitializeWorkItem(&item, SleepingRoutine, &finished);
    ExQueueWorkItem(&item, CriticalWorkQueue);
  });  // the queuer ends at once; the item is still pending or sleeping
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(finished);
  EXPECT_GE(lab.now(), 50u * 10000u);
  EXPECT_EQ(ex::Executive::require().work_queues().workers(), 0u);  // workers end when idle
}

struct Concurrency {
  LONG running = 0;
  LONG most = 0;
  LONG done = 0;
};
Concurrency g_concurrency;

VOID NTAPI CountingRoutine(PVOID Parameter) {
  (void)Parameter;
  const LONG now = InterlockedIncrement(&g_concurrency.running);
  if (now > g_concurrency.most) g_concurrency.most = now;
  LARGE_INTEGER interval{.QuadPart = -1000};
  KeDelayExecutionThread(KernelMode, FALSE, &interval);
  InterlockedDecrement(&g_concurrency.running);
  InterlockedIncrement(&g_concurrency.done);
}

TEST(ExQueueWorkItem, EachQueueHasASmallPoolOfWorkers) {
  g_concurrency = {};
  Lab lab({.processors = 2, .seed = 12});
  static WORK_QUEUE_ITEM items[12];
  lab.spawn("queuer", [] {
    for (WORK_QUEUE_ITEM& item : items) {
      ExInitializeWorkItem(&item, CountingRoutine, nullptr);
      ExQueueWorkItem(&item, DelayedWorkQueue);
    }
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_EQ(g_concurrency.done, 12);
  EXPECT_GT(g_concurrency.most, 1);                                 // items ran in parallel...
  EXPECT_LE(g_concurrency.most, ex::WorkQueues::kWorkersPerQueue);  // ...on at most this many workers
}

VOID NTAPI RequeueingRoutine(PVOID Parameter) {
  auto* item = static_cast<WORK_QUEUE_ITEM*>(Parameter);
  if (++g_observed.runs < 3) ExQueueWorkItem(item, NormalWorkQueue);  // the worker cleared List.Flink
}

TEST(ExQueueWorkItem, ARoutineMayQueueItsOwnItemAgain) {
  g_observed = {};
  Lab lab;
  static WORK_QUEUE_ITEM item;
  lab.spawn("queuer", [] {
    ExInitializeWorkItem(&item, RequeueingRoutine, &item);
    ExQueueWorkItem(&item, NormalWorkQueue);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_EQ(g_observed.runs, 3);
}

VOID NTAPI ReturnsAtDispatchLevel(PVOID Parameter) {
  (void)Parameter;
  KIRQL old_irql;
  KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
}

VOID NTAPI ReturnsHoldingAMutex(PVOID Parameter) {
  static KMUTEX mutex;
  (void)Parameter;
  KeInitializeMutex(&mutex, 0);
  KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr);
}

VOID NTAPI ReturnsHoldingAGuardedMutex(PVOID Parameter) {
  static KGUARDED_MUTEX mutex;
  (void)Parameter;
  KeInitializeGuardedMutex(&mutex);
  KeAcquireGuardedMutex(&mutex);
}

VOID NTAPI ReturnsInACriticalRegion(PVOID Parameter) {
  (void)Parameter;
  KeEnterCriticalRegion();
}

struct BadReturn {
  const char* what;
  PWORKER_THREAD_ROUTINE routine;
  std::uint32_t code;
  std::uint64_t parameters[4];  // 0 where the value is an address checked separately
};

TEST(ExQueueWorkItem, WhatAWorkerRoutineLeavesBehindIsChecked) {
  static int parameter;
  const BadReturn cases[] = {
      {"returns at DISPATCH_LEVEL", ReturnsAtDispatchLevel, 0xE1, {0, DISPATCH_LEVEL, 0, 0}},
      {"returns owning a KMUTEX", ReturnsHoldingAMutex, 0x39, {0, 0, 0, 0}},
      {"returns owning a guarded mutex", ReturnsHoldingAGuardedMutex, 0x39, {0, 0, 0, 0}},
      {"returns inside a critical region", ReturnsInACriticalRegion, 0x1, {0, 0, 0xFFFF, 1}},
  };
  for (const BadReturn& bad : cases) {
    Lab lab;
    static WORK_QUEUE_ITEM item;
    static PWORKER_THREAD_ROUTINE routine;
    routine = bad.routine;
    run_as_driver(lab, "sloppy", [] {
      ExInitializeWorkItem(&item, routine, &parameter);
      ExQueueWorkItem(&item, DelayedWorkQueue);
    });
    ASSERT_TRUE(lab.stopped()) << bad.what;
    const Finding& finding = fatal(lab);
    EXPECT_EQ(finding.code, bad.code) << bad.what;
    EXPECT_EQ(finding.driver, "sloppy") << bad.what;
    const auto routine_address = reinterpret_cast<std::uintptr_t>(bad.routine);
    const auto parameter_address = reinterpret_cast<std::uintptr_t>(&parameter);
    const auto item_address = reinterpret_cast<std::uintptr_t>(&item);
    EXPECT_EQ(finding.parameters[0], routine_address) << bad.what;
    switch (bad.code) {
      case 0xE1:  // routine, IRQL, parameter, item
        EXPECT_EQ(finding.parameters[1], bad.parameters[1]);
        EXPECT_EQ(finding.parameters[2], parameter_address);
        EXPECT_EQ(finding.parameters[3], item_address);
        break;
      case 0x39:  // routine, parameter, item
        EXPECT_EQ(finding.parameters[1], parameter_address) << bad.what;
        EXPECT_EQ(finding.parameters[2], item_address) << bad.what;
        break;
      default:  // APC_INDEX_MISMATCH: routine, ApcStateIndex, CombinedApcDisable, 1 = worker
        EXPECT_EQ(finding.parameters[2], bad.parameters[2]);
        EXPECT_EQ(finding.parameters[3], bad.parameters[3]);
        break;
    }
  }
}

VOID NTAPI Nothing(PVOID Parameter) { (void)Parameter; }

TEST(ExQueueWorkItem, QueuingAQueuedItemIsWorkerInvalid1) {
  Lab lab;
  static WORK_QUEUE_ITEM item;
  lab.spawn("queuer", [] {
    KIRQL old_irql;
    KeRaiseIrql(DISPATCH_LEVEL, &old_irql);  // no worker can run in between
    ExInitializeWorkItem(&item, Nothing, nullptr);
    ExQueueWorkItem(&item, DelayedWorkQueue);
    ExQueueWorkItem(&item, DelayedWorkQueue);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, 0xE4u);
  EXPECT_EQ(finding.parameters[0], 0x1u);
  EXPECT_EQ(finding.parameters[1], reinterpret_cast<std::uintptr_t>(&item));
  EXPECT_EQ(finding.parameters[2], static_cast<std::uint64_t>(DelayedWorkQueue));
}

TEST(ExQueueWorkItem, AnInvalidQueueTypeIsWorkerInvalid6) {
  Lab lab;
  static WORK_QUEUE_ITEM item;
  lab.spawn("queuer", [] {
    ExInitializeWorkItem(&item, Nothing, nullptr);
    ExQueueWorkItem(&item, MaximumWorkQueue);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  EXPECT_EQ(fatal(lab).code, 0xE4u);
  EXPECT_EQ(fatal(lab).parameters[0], 0x6u);
  EXPECT_EQ(fatal(lab).parameters[2], static_cast<std::uint64_t>(MaximumWorkQueue));
}

TEST(ExQueueWorkItem, CustomPriorityQueuesWork) {
  g_observed = {};
  Lab lab;
  static WORK_QUEUE_ITEM item;
  lab.spawn("queuer", [] {
    ExInitializeWorkItem(&item, RequeueingRoutine, &item);
    ExQueueWorkItem(&item, static_cast<WORK_QUEUE_TYPE>(CustomPriorityWorkQueue + 12));
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_EQ(g_observed.runs, 3);
}

KEVENT g_never;

VOID NTAPI WaitsForever(PVOID Parameter) {
  (void)Parameter;
  KeWaitForSingleObject(&g_never, Executive, KernelMode, FALSE, nullptr);
}

TEST(ExQueueWorkItem, AnItemThatCanNeverFinishIsAHang) {
  Lab lab;
  static WORK_QUEUE_ITEM item;
  KeInitializeEvent(&g_never, NotificationEvent, FALSE);
  lab.spawn("queuer", [] {
    ExInitializeWorkItem(&item, WaitsForever, nullptr);
    ExQueueWorkItem(&item, DelayedWorkQueue);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, ex_test::kHang);
  EXPECT_EQ(finding.context.name.rfind("ExWorker/Delayed", 0), 0u) << finding.context.name;
}

}  // namespace
}  // namespace wdmlab
