// Cancel-safe queues: IoCsqInitialize(Ex), IoCsqInsertIrp(Ex), IoCsqRemoveIrp, IoCsqRemoveNextIrp,
// and the cancel routine the queue installs. The queue here is a test's own list under a spin lock;
// the IRPs come from IoAllocateIrp and are positioned on their first stack location, as a driver
// that allocates an IRP for itself would do.
#include <gtest/gtest.h>
#include <wdm.h>

#include <vector>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

struct TestQueue {
  IO_CSQ csq;  // first: the callbacks get back to the queue from it
  LIST_ENTRY list;
  KSPIN_LOCK lock;
  std::vector<PIRP> completed;  // what CsqCompleteCanceledIrp was given
  int locks = 0;                // CsqAcquireLock calls
  NTSTATUS insert_status = STATUS_SUCCESS;
  PVOID last_insert_context = nullptr;
};

TestQueue& queue_of(PIO_CSQ csq) { return *CONTAINING_RECORD(csq, TestQueue, csq); }

VOID insert(PIO_CSQ csq, PIRP irp) { InsertTailList(&queue_of(csq).list, &irp->Tail.Overlay.ListEntry); }

NTSTATUS insert_ex(PIO_CSQ csq, PIRP irp, PVOID insert_context) {
  TestQueue& queue = queue_of(csq);
  queue.last_insert_context = insert_context;
  if (!NT_SUCCESS(queue.insert_status)) return queue.insert_status;
  insert(csq, irp);
  return STATUS_SUCCESS;
}

VOID remove(PIO_CSQ, PIRP irp) { RemoveEntryList(&irp->Tail.Overlay.ListEntry); }

// Peek context: when not null, only IRPs whose stack location's Parameters.Others.Argument1 is it.
PIRP peek(PIO_CSQ csq, PIRP irp, PVOID peek_context) {
  TestQueue& queue = queue_of(csq);
  for (PLIST_ENTRY entry = irp == nullptr ? queue.list.Flink : irp->Tail.Overlay.ListEntry.Flink;
       entry != &queue.list; entry = entry->Flink) {
    PIRP candidate = CONTAINING_RECORD(entry, IRP, Tail.Overlay.ListEntry);
    if (peek_context == nullptr ||
        IoGetCurrentIrpStackLocation(candidate)->Parameters.Others.Argument1 == peek_context) {
      return candidate;
    }
  }
  return nullptr;
}

VOID acquire(PIO_CSQ csq, PKIRQL irql) {
  ++queue_of(csq).locks;
  KeAcquireSpinLock(&queue_of(csq).lock, irql);
}

VOID release(PIO_CSQ csq, KIRQL irql) { KeReleaseSpinLock(&queue_of(csq).lock, irql); }

VOID complete_canceled(PIO_CSQ csq, PIRP irp) { queue_of(csq).completed.push_back(irp); }

void initialize(TestQueue& queue, bool ex = false) {
  InitializeListHead(&queue.list);
  KeInitializeSpinLock(&queue.lock);
  const NTSTATUS status = ex ? IoCsqInitializeEx(&queue.csq, insert_ex, remove, peek, acquire, release,
                                                 complete_canceled)
                             : IoCsqInitialize(&queue.csq, insert, remove, peek, acquire, release, complete_canceled);
  EXPECT_EQ(status, STATUS_SUCCESS);
}

// An IRP positioned on its (only) stack location, tagged with `tag` for peeking.
PIRP new_irp(PVOID tag = nullptr) {
  PIRP irp = IoAllocateIrp(1, FALSE);
  IoSetNextIrpStackLocation(irp);
  IoGetCurrentIrpStackLocation(irp)->Parameters.Others.Argument1 = tag;
  return irp;
}

bool pending_marked(PIRP irp) { return (IoGetCurrentIrpStackLocation(irp)->Control & SL_PENDING_RETURNED) != 0; }

TEST(IoCsqInsertIrp, QueuesMarksPendingAndSetsACancelRoutineUnderTheDriversLock) {
  runs_clean([] {
    TestQueue queue;
    initialize(queue);
    EXPECT_EQ(queue.csq.Type, static_cast<ULONG>(IO_TYPE_CSQ));
    PIRP irp = new_irp();
    IO_CSQ_IRP_CONTEXT context;
    IoCsqInsertIrp(&queue.csq, irp, &context);
    EXPECT_EQ(queue.locks, 1);
    EXPECT_FALSE(IsListEmpty(&queue.list));
    EXPECT_TRUE(pending_marked(irp));
    EXPECT_NE(irp->CancelRoutine, nullptr);
    EXPECT_EQ(context.Type, static_cast<ULONG>(IO_TYPE_CSQ_IRP_CONTEXT));
    EXPECT_EQ(context.Irp, irp);
    EXPECT_EQ(context.Csq, &queue.csq);
    EXPECT_EQ(irp->Tail.Overlay.DriverContext[3], &context);

    EXPECT_EQ(IoCsqRemoveIrp(&queue.csq, &context), irp);
    EXPECT_TRUE(IsListEmpty(&queue.list));
    EXPECT_EQ(irp->CancelRoutine, nullptr);
    EXPECT_EQ(context.Irp, nullptr);
    EXPECT_EQ(irp->Tail.Overlay.DriverContext[3], nullptr);
    EXPECT_EQ(IoCsqRemoveIrp(&queue.csq, &context), nullptr);  // gone already
    IoFreeIrp(irp);
  });
}

TEST(IoCsqInsertIrp, CancellingAQueuedIrpRemovesItAndHandsItToCompleteCanceledIrp) {
  runs_clean([] {
    TestQueue queue;
    initialize(queue);
    PIRP irp = new_irp();
    IO_CSQ_IRP_CONTEXT context;
    IoCsqInsertIrp(&queue.csq, irp, &context);
    EXPECT_TRUE(IoCancelIrp(irp));
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);  // the queue's cancel routine released the cancel lock
    ASSERT_EQ(queue.completed.size(), 1u);
    EXPECT_EQ(queue.completed[0], irp);
    EXPECT_TRUE(IsListEmpty(&queue.list));
    EXPECT_EQ(context.Irp, nullptr);
    EXPECT_EQ(IoCsqRemoveIrp(&queue.csq, &context), nullptr);
    EXPECT_EQ(IoCsqRemoveNextIrp(&queue.csq, nullptr), nullptr);
    IoFreeIrp(irp);
  });
}

TEST(IoCsqInsertIrp, AnIrpCancelledBeforeItIsInsertedIsCompletedAtOnce) {
  runs_clean([] {
    TestQueue queue;
    initialize(queue);
    PIRP irp = new_irp();
    EXPECT_FALSE(IoCancelIrp(irp));  // no cancel routine yet: only Irp->Cancel is set
    EXPECT_TRUE(irp->Cancel);
    IoCsqInsertIrp(&queue.csq, irp, nullptr);
    ASSERT_EQ(queue.completed.size(), 1u);
    EXPECT_EQ(queue.completed[0], irp);
    EXPECT_TRUE(IsListEmpty(&queue.list));
    EXPECT_EQ(irp->CancelRoutine, nullptr);
    IoFreeIrp(irp);
  });
}

TEST(IoCsqInsertIrpEx, ReturnsWhatTheInsertRoutineReturnsAndQueuesNothingOnFailure) {
  runs_clean([] {
    TestQueue queue;
    initialize(queue, true);
    EXPECT_EQ(queue.csq.Type, static_cast<ULONG>(IO_TYPE_CSQ_EX));
    int insert_context = 0;
    queue.insert_status = STATUS_QUOTA_EXCEEDED;
    PIRP irp = new_irp();
    EXPECT_EQ(IoCsqInsertIrpEx(&queue.csq, irp, nullptr, &insert_context), STATUS_QUOTA_EXCEEDED);
    EXPECT_EQ(queue.last_insert_context, &insert_context);
    EXPECT_TRUE(IsListEmpty(&queue.list));
    EXPECT_EQ(irp->CancelRoutine, nullptr);
    EXPECT_FALSE(pending_marked(irp));
    queue.insert_status = STATUS_SUCCESS;
    EXPECT_EQ(IoCsqInsertIrpEx(&queue.csq, irp, nullptr, nullptr), STATUS_SUCCESS);
    EXPECT_EQ(IoCsqRemoveNextIrp(&queue.csq, nullptr), irp);
    IoFreeIrp(irp);
  });
}

TEST(IoCsqRemoveNextIrp, TakesTheFirstMatchAndSkipsAnIrpWhoseCancellationIsUnderWay) {
  runs_clean([] {
    TestQueue queue;
    initialize(queue);
    int mine = 0, other = 0;
    PIRP first = new_irp(&other), second = new_irp(&mine), third = new_irp(&mine);
    for (PIRP irp : {first, second, third}) IoCsqInsertIrp(&queue.csq, irp, nullptr);
    // Whoever clears a cancel routine owns the cancellation: an IRP whose routine is gone is
    // being cancelled and must be left to its cancel routine.
    PDRIVER_CANCEL taken = IoSetCancelRoutine(second, nullptr);
    EXPECT_NE(taken, nullptr);
    EXPECT_EQ(IoCsqRemoveNextIrp(&queue.csq, &mine), third);
    EXPECT_EQ(IoCsqRemoveNextIrp(&queue.csq, &mine), nullptr);
    EXPECT_EQ(IoCsqRemoveNextIrp(&queue.csq, nullptr), first);
    // second is still linked: its cancel routine, run now, removes and completes it.
    KIRQL irql;
    IoAcquireCancelSpinLock(&irql);
    second->CancelIrql = irql;
    second->Cancel = TRUE;
    taken(nullptr, second);
    ASSERT_EQ(queue.completed.size(), 1u);
    EXPECT_EQ(queue.completed[0], second);
    EXPECT_TRUE(IsListEmpty(&queue.list));
    for (PIRP irp : {first, second, third}) IoFreeIrp(irp);
  });
}

TEST(IoCsqInsertIrp, AboveDispatchLevelIsAnIrqlViolation) {
  const Finding finding = bug_check_of([] {
    TestQueue queue;
    initialize(queue);
    PIRP irp = new_irp();
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL + 1, &old);
    IoCsqInsertIrp(&queue.csq, irp, nullptr);
  });
  EXPECT_EQ(finding.code, IRQL_NOT_LESS_OR_EQUAL) << finding.summary();
}

}  // namespace
}  // namespace wdmlab::test
