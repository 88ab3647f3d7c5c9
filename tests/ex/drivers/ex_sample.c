/*
 * ex_sample - a small driver that keeps a table of records the way a WDM driver would: record
 * entries come from a nonpaged lookaside list, an ERESOURCE guards the table (lookups shared,
 * inserts exclusive), a fast mutex guards the statistics, and the driver's state is a pool
 * block. DriverEntry starts two system threads that insert and look up records concurrently and
 * waits for both; DriverUnload empties the table and frees everything it allocated.
 */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD ExSampleUnload;
KSTART_ROUTINE ExSampleWorker;

#define EX_SAMPLE_TAG 'pmSx'
#define EX_SAMPLE_WORKERS 2
#define EX_SAMPLE_RECORDS_PER_WORKER 25

typedef struct _EX_SAMPLE_RECORD {
  LIST_ENTRY Links;
  ULONG Key;
  ULONG Value;
} EX_SAMPLE_RECORD, *PEX_SAMPLE_RECORD;

typedef struct _EX_SAMPLE_STATE {
  NPAGED_LOOKASIDE_LIST Records;
  ERESOURCE TableLock;
  LIST_ENTRY Table;
  FAST_MUTEX StatisticsLock;
  ULONG Inserted;
  ULONG Lookups;
  ULONG Hits;
} EX_SAMPLE_STATE, *PEX_SAMPLE_STATE;

static PEX_SAMPLE_STATE g_state;

/* What the test reads back. */
ULONG ex_sample_inserted;
ULONG ex_sample_lookups;
ULONG ex_sample_hits;
ULONG ex_sample_freed_at_unload;

static BOOLEAN ExSampleLookup(ULONG Key, PULONG Value) {
  PLIST_ENTRY entry;
  BOOLEAN found = FALSE;
  KeEnterCriticalRegion();
  ExAcquireResourceSharedLite(&g_state->TableLock, TRUE);
  for (entry = g_state->Table.Flink; entry != &g_state->Table; entry = entry->Flink) {
    PEX_SAMPLE_RECORD record = CONTAINING_RECORD(entry, EX_SAMPLE_RECORD, Links);
    if (record->Key == Key) {
      *Value = record->Value;
      found = TRUE;
      break;
    }
  }
  ExReleaseResourceLite(&g_state->TableLock);
  KeLeaveCriticalRegion();
  return found;
}

static NTSTATUS ExSampleInsert(ULONG Key, ULONG Value) {
  PEX_SAMPLE_RECORD record = (PEX_SAMPLE_RECORD)ExAllocateFromNPagedLookasideList(&g_state->Records);
  if (record == NULL) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  record->Key = Key;
  record->Value = Value;
  KeEnterCriticalRegion();
  ExAcquireResourceExclusiveLite(&g_state->TableLock, TRUE);
  InsertTailList(&g_state->Table, &record->Links);
  ExReleaseResourceLite(&g_state->TableLock);
  KeLeaveCriticalRegion();
  ExAcquireFastMutex(&g_state->StatisticsLock);
  g_state->Inserted++;
  ExReleaseFastMutex(&g_state->StatisticsLock);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ VOID ExSampleWorker(PVOID Context) {
  ULONG base = (ULONG)(ULONG_PTR)Context;
  ULONG i;
  for (i = 0; i < EX_SAMPLE_RECORDS_PER_WORKER; i++) {
    ULONG key = base + i;
    ULONG value = 0;
    BOOLEAN found;
    if (!NT_SUCCESS(ExSampleInsert(key, key * 2))) {
      continue;
    }
    found = ExSampleLookup(key, &value) && value == key * 2;
    ExAcquireFastMutex(&g_state->StatisticsLock);
    g_state->Lookups++;
    if (found) {
      g_state->Hits++;
    }
    ExReleaseFastMutex(&g_state->StatisticsLock);
  }
  PsTerminateSystemThread(STATUS_SUCCESS);
}

static NTSTATUS ExSampleRunWorkers(VOID) {
  PVOID threads[EX_SAMPLE_WORKERS];
  OBJECT_ATTRIBUTES attributes;
  ULONG started = 0;
  ULONG i;
  NTSTATUS status = STATUS_SUCCESS;

  InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
  for (i = 0; i < EX_SAMPLE_WORKERS; i++) {
    HANDLE handle;
    status = PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, &attributes, NULL, NULL, ExSampleWorker,
                                  (PVOID)(ULONG_PTR)(1000 * (i + 1)));
    if (!NT_SUCCESS(status)) {
      break;
    }
    status = ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsThreadType, KernelMode, &threads[started], NULL);
    ZwClose(handle);
    if (!NT_SUCCESS(status)) {
      break;
    }
    started++;
  }
  for (i = 0; i < started; i++) {
    KeWaitForSingleObject(threads[i], Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(threads[i]);
  }
  return status;
}

_Use_decl_annotations_ VOID ExSampleUnload(PDRIVER_OBJECT DriverObject) {
  UNREFERENCED_PARAMETER(DriverObject);
  ex_sample_freed_at_unload = 0;
  KeEnterCriticalRegion();
  ExAcquireResourceExclusiveLite(&g_state->TableLock, TRUE);
  while (!IsListEmpty(&g_state->Table)) {
    PLIST_ENTRY entry = RemoveHeadList(&g_state->Table);
    ExFreeToNPagedLookasideList(&g_state->Records, CONTAINING_RECORD(entry, EX_SAMPLE_RECORD, Links));
    ex_sample_freed_at_unload++;
  }
  ExReleaseResourceLite(&g_state->TableLock);
  KeLeaveCriticalRegion();
  ExDeleteNPagedLookasideList(&g_state->Records);
  ExDeleteResourceLite(&g_state->TableLock);
  ExFreePoolWithTag(g_state, EX_SAMPLE_TAG);
  g_state = NULL;
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  /* The lookaside list inside needs its cache alignment. */
  g_state = (PEX_SAMPLE_STATE)ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED, sizeof(EX_SAMPLE_STATE),
                                              EX_SAMPLE_TAG);
  if (g_state == NULL) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  ExInitializeNPagedLookasideList(&g_state->Records, NULL, NULL, POOL_NX_ALLOCATION, sizeof(EX_SAMPLE_RECORD),
                                  EX_SAMPLE_TAG, 0);
  status = ExInitializeResourceLite(&g_state->TableLock);
  if (!NT_SUCCESS(status)) {
    ExDeleteNPagedLookasideList(&g_state->Records);
    ExFreePoolWithTag(g_state, EX_SAMPLE_TAG);
    return status;
  }
  InitializeListHead(&g_state->Table);
  ExInitializeFastMutex(&g_state->StatisticsLock);
  DriverObject->DriverUnload = ExSampleUnload;

  status = ExSampleRunWorkers();
  ex_sample_inserted = g_state->Inserted;
  ex_sample_lookups = g_state->Lookups;
  ex_sample_hits = g_state->Hits;
  if (!NT_SUCCESS(status)) {
    ExSampleUnload(DriverObject);
  }
  return status;
}
