// Device queues (KDEVICE_QUEUE): the queue of IRPs waiting for a device's StartIo routine. The
// queue is Busy while the device works on a request; inserting into an idle queue only marks it
// busy (the caller starts the request itself), and removing from an empty busy queue marks it idle.
#include <wdm.h>

#include "sched/scheduler.hpp"

namespace {

void insert_sorted(PKDEVICE_QUEUE queue, PKDEVICE_QUEUE_ENTRY entry) {
  // After every entry whose key is less than or equal to this one: equal keys stay in order.
  PLIST_ENTRY next = queue->DeviceListHead.Flink;
  while (next != &queue->DeviceListHead &&
         CONTAINING_RECORD(next, KDEVICE_QUEUE_ENTRY, DeviceListEntry)->SortKey <= entry->SortKey) {
    next = next->Flink;
  }
  InsertTailList(next, &entry->DeviceListEntry);
}

PKDEVICE_QUEUE_ENTRY take(PLIST_ENTRY link) {
  RemoveEntryList(link);
  PKDEVICE_QUEUE_ENTRY entry = CONTAINING_RECORD(link, KDEVICE_QUEUE_ENTRY, DeviceListEntry);
  entry->Inserted = FALSE;
  return entry;
}

}  // namespace

extern "C" {

VOID NTAPI KeInitializeDeviceQueue(PKDEVICE_QUEUE DeviceQueue) {
  wdmlab::sched::scheduling_point();
  DeviceQueue->Type = DeviceQueueObject;
  DeviceQueue->Size = static_cast<CSHORT>(sizeof(KDEVICE_QUEUE));
  InitializeListHead(&DeviceQueue->DeviceListHead);
  DeviceQueue->Lock = 0;
  DeviceQueue->Busy = FALSE;
}

BOOLEAN NTAPI KeInsertDeviceQueue(PKDEVICE_QUEUE DeviceQueue, PKDEVICE_QUEUE_ENTRY DeviceQueueEntry) {
  wdmlab::sched::scheduling_point();
  if (!DeviceQueue->Busy) {
    DeviceQueue->Busy = TRUE;
    DeviceQueueEntry->Inserted = FALSE;
    return FALSE;
  }
  InsertTailList(&DeviceQueue->DeviceListHead, &DeviceQueueEntry->DeviceListEntry);
  DeviceQueueEntry->Inserted = TRUE;
  return TRUE;
}

BOOLEAN NTAPI KeInsertByKeyDeviceQueue(PKDEVICE_QUEUE DeviceQueue, PKDEVICE_QUEUE_ENTRY DeviceQueueEntry,
                                       ULONG SortKey) {
  wdmlab::sched::scheduling_point();
  DeviceQueueEntry->SortKey = SortKey;
  if (!DeviceQueue->Busy) {
    DeviceQueue->Busy = TRUE;
    DeviceQueueEntry->Inserted = FALSE;
    return FALSE;
  }
  insert_sorted(DeviceQueue, DeviceQueueEntry);
  DeviceQueueEntry->Inserted = TRUE;
  return TRUE;
}

PKDEVICE_QUEUE_ENTRY NTAPI KeRemoveDeviceQueue(PKDEVICE_QUEUE DeviceQueue) {
  wdmlab::sched::scheduling_point();
  if (IsListEmpty(&DeviceQueue->DeviceListHead)) {
    DeviceQueue->Busy = FALSE;
    return nullptr;
  }
  return take(DeviceQueue->DeviceListHead.Flink);
}

PKDEVICE_QUEUE_ENTRY NTAPI KeRemoveByKeyDeviceQueue(PKDEVICE_QUEUE DeviceQueue, ULONG SortKey) {
  wdmlab::sched::scheduling_point();
  if (IsListEmpty(&DeviceQueue->DeviceListHead)) {
    DeviceQueue->Busy = FALSE;
    return nullptr;
  }
  // The first entry whose key is at least SortKey, or, when there is none, the first entry.
  for (PLIST_ENTRY link = DeviceQueue->DeviceListHead.Flink; link != &DeviceQueue->DeviceListHead; link = link->Flink) {
    if (CONTAINING_RECORD(link, KDEVICE_QUEUE_ENTRY, DeviceListEntry)->SortKey >= SortKey) return take(link);
  }
  return take(DeviceQueue->DeviceListHead.Flink);
}

BOOLEAN NTAPI KeRemoveEntryDeviceQueue(PKDEVICE_QUEUE DeviceQueue, PKDEVICE_QUEUE_ENTRY DeviceQueueEntry) {
  (void)DeviceQueue;
  wdmlab::sched::scheduling_point();
  if (!DeviceQueueEntry->Inserted) return FALSE;
  take(&DeviceQueueEntry->DeviceListEntry);
  return TRUE;
}

}  // extern "C"
