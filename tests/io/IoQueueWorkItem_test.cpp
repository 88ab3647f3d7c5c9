// I/O work items: IoAllocateWorkItem, IoQueueWorkItem, IoQueueWorkItemEx and IoFreeWorkItem. The
// routine runs at PASSIVE_LEVEL on a system worker thread with the device object and context, and
// the device object is referenced from the moment the item is queued until the routine returns.
#include <gtest/gtest.h>

#include "io/io_stack_support.hpp"
#include "ob/object_names.hpp"

namespace wdmlab::test {
namespace {

struct WorkSeen {
  KEVENT done;
  PVOID io_object = nullptr;
  PVOID context = nullptr;
  PIO_WORKITEM item = nullptr;
  KIRQL irql = HIGH_LEVEL;
  bool system_thread = false;
  HANDLE thread_id = nullptr;
  HANDLE process_id = nullptr;
  std::int64_t references = 0;  // on the device, inside the routine
};

void record(WorkSeen& seen, PVOID io_object, PVOID context) {
  seen.io_object = io_object;
  seen.context = context;
  seen.irql = KeGetCurrentIrql();
  seen.system_thread = PsIsSystemThread(PsGetCurrentThread()) != FALSE;
  seen.thread_id = PsGetCurrentThreadId();
  seen.process_id = PsGetCurrentProcessId();
  seen.references = pointer_count(io_object);
}

WorkSeen* g_seen = nullptr;

VOID NTAPI work_routine(PDEVICE_OBJECT device, PVOID context) {
  record(*g_seen, device, context);
  KeSetEvent(&g_seen->done, IO_NO_INCREMENT, FALSE);
}

// Frees its own work item, as the routine may.
VOID NTAPI work_routine_ex(PVOID io_object, PVOID context, PIO_WORKITEM item) {
  record(*g_seen, io_object, context);
  g_seen->item = item;
  IoFreeWorkItem(item);
  KeSetEvent(&g_seen->done, IO_NO_INCREMENT, FALSE);
}

struct IoWorkItem : ::testing::Test {
  StackLab t{{.processors = 1, .seed = 21}};
  WorkSeen seen;
  std::int64_t before = 0, queued = 0;
  HANDLE queuer = nullptr;
  void SetUp() override { g_seen = &seen; }
  void TearDown() override { g_seen = nullptr; }
  // Queues from DISPATCH_LEVEL on the only processor, so the routine cannot have run when the
  // references are counted; then waits for it.
  void queue_and_wait(std::function<void(PIO_WORKITEM)> queue) {
    EXPECT_EQ(t.run([&] {
      KeInitializeEvent(&seen.done, NotificationEvent, FALSE);
      queuer = PsGetCurrentThreadId();
      PDEVICE_OBJECT device = IoStackDevices[1];
      PIO_WORKITEM item = IoAllocateWorkItem(device);
      ASSERT_NE(item, nullptr);
      before = pointer_count(device);
      KIRQL old_irql;
      KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
      queue(item);
      queued = pointer_count(device);
      KeLowerIrql(old_irql);
      KeWaitForSingleObject(&seen.done, Executive, KernelMode, FALSE, nullptr);
    }), RunStatus::Idle);
    t.expect_clean();
  }
  void expect_ran_as_a_worker() {
    EXPECT_EQ(seen.io_object, IoStackDevices[1]);
    EXPECT_EQ(seen.context, &seen);
    EXPECT_EQ(seen.irql, PASSIVE_LEVEL);
    EXPECT_TRUE(seen.system_thread);
    EXPECT_NE(seen.thread_id, queuer);
    EXPECT_EQ(seen.process_id, reinterpret_cast<HANDLE>(4));  // the System process
    EXPECT_EQ(queued, before + 1);
    EXPECT_EQ(seen.references, before + 1);
    EXPECT_EQ(pointer_count(IoStackDevices[1]), before);  // let go after the routine
  }
};

TEST_F(IoWorkItem, IoQueueWorkItemRunsTheRoutineOnAWorkerWithTheDeviceReferenced) {
  PIO_WORKITEM allocated = nullptr;
  queue_and_wait([&](PIO_WORKITEM item) {
    allocated = item;
    IoQueueWorkItem(item, work_routine, DelayedWorkQueue, &seen);
  });
  expect_ran_as_a_worker();
  EXPECT_NE(allocated, nullptr);
  EXPECT_EQ(t.run([&] { IoFreeWorkItem(allocated); }), RunStatus::Idle);
  t.expect_clean();
}

TEST_F(IoWorkItem, IoQueueWorkItemExPassesTheItemAndTheRoutineMayFreeIt) {
  PIO_WORKITEM allocated = nullptr;
  queue_and_wait([&](PIO_WORKITEM item) {
    allocated = item;
    IoQueueWorkItemEx(item, work_routine_ex, CriticalWorkQueue, &seen);
  });
  expect_ran_as_a_worker();
  EXPECT_EQ(seen.item, allocated);
}

}  // namespace
}  // namespace wdmlab::test
