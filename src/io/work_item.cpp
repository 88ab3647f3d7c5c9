// I/O work items: IoAllocateWorkItem, IoInitializeWorkItem, IoQueueWorkItem(Ex), IoFreeWorkItem.
//
// An I/O work item is an executive work item that also holds a reference on its device (or
// driver) object from the moment it is queued until its routine has returned, so the driver that
// queued it cannot be unloaded under the routine. The routine runs on a system worker thread at
// PASSIVE_LEVEL, charged to the driver that queued it.
#include "ex/executive.hpp"
#include "io/driver.hpp"
#include "ke/bugcheck.hpp"
#include "sched/scheduler.hpp"
#include "verifier/low_resources.hpp"

struct _IO_WORKITEM {
  WORK_QUEUE_ITEM item;
  PVOID io_object;                    // a device object or a driver object
  PIO_WORKITEM_ROUTINE routine;       // IoQueueWorkItem
  PIO_WORKITEM_ROUTINE_EX routine_ex;  // IoQueueWorkItemEx
  PVOID context;
  BOOLEAN queued;
};

using namespace wdmlab::io;

namespace {

VOID NTAPI run_work_item(PVOID parameter) {
  auto* work_item = static_cast<PIO_WORKITEM>(parameter);
  PVOID io_object = work_item->io_object;
  work_item->queued = FALSE;
  // The routine may free or requeue the item: read what it needs first.
  PIO_WORKITEM_ROUTINE routine = work_item->routine;
  PIO_WORKITEM_ROUTINE_EX routine_ex = work_item->routine_ex;
  PVOID context = work_item->context;
  if (routine_ex != nullptr) {
    routine_ex(io_object, context, work_item);
  } else {
    routine(static_cast<PDEVICE_OBJECT>(io_object), context);
  }
  IoManager::require().objects().dereference(io_object);
}

void queue(PIO_WORKITEM work_item, PIO_WORKITEM_ROUTINE routine, PIO_WORKITEM_ROUTINE_EX routine_ex,
           WORK_QUEUE_TYPE queue_type, PVOID context) {
  work_item->routine = routine;
  work_item->routine_ex = routine_ex;
  work_item->context = context;
  work_item->queued = TRUE;
  IoManager::require().objects().reference(work_item->io_object);
  ExInitializeWorkItem(&work_item->item, &run_work_item, work_item);
  ExQueueWorkItem(&work_item->item, queue_type);
}

}  // namespace

extern "C" {

ULONG NTAPI IoSizeofWorkItem(VOID) {
  wdmlab::sched::scheduling_point();
  return sizeof(_IO_WORKITEM);
}

VOID NTAPI IoInitializeWorkItem(PVOID IoObject, PIO_WORKITEM IoWorkItem) {
  wdmlab::sched::scheduling_point();
  *IoWorkItem = _IO_WORKITEM{};
  IoWorkItem->io_object = IoObject;
}

VOID NTAPI IoUninitializeWorkItem(PIO_WORKITEM IoWorkItem) {
  wdmlab::sched::scheduling_point();
  (void)IoWorkItem;
}

PIO_WORKITEM NTAPI IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "IoAllocateWorkItem", __builtin_return_address(0), DeviceObject);
  if (wdmlab::verifier::inject_failure("IoAllocateWorkItem", 0, __builtin_return_address(0))) return nullptr;
  auto* work_item = static_cast<PIO_WORKITEM>(wdmlab::ex::Executive::require().pool().allocate(
      wdmlab::ex::PoolRequest{.type = NonPagedPoolNx,
                              .bytes = sizeof(_IO_WORKITEM),
                              .tag = 'iWoI',
                              .zero = true,
                              .driver = wdmlab::sched::calling_driver()}));
  if (work_item == nullptr) return nullptr;
  work_item->io_object = DeviceObject;
  return work_item;
}

VOID NTAPI IoFreeWorkItem(PIO_WORKITEM IoWorkItem) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "IoFreeWorkItem", __builtin_return_address(0), IoWorkItem);
  ExFreePool(IoWorkItem);
}

VOID NTAPI IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine, WORK_QUEUE_TYPE QueueType,
                           PVOID Context) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "IoQueueWorkItem", __builtin_return_address(0), IoWorkItem);
  queue(IoWorkItem, WorkerRoutine, nullptr, QueueType, Context);
}

VOID NTAPI IoQueueWorkItemEx(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE_EX WorkerRoutine,
                             WORK_QUEUE_TYPE QueueType, PVOID Context) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "IoQueueWorkItemEx", __builtin_return_address(0), IoWorkItem);
  queue(IoWorkItem, nullptr, WorkerRoutine, QueueType, Context);
}

}  // extern "C"
