/*
 * timer_worker - a correct driver that uses the kernel's basic machinery the way a careful author
 * would: a periodic timer whose DPC counts ticks under a spin lock and wakes a worker thread
 * every few ticks; the worker thread waits with a timeout and logs; DriverUnload stops the timer,
 * flushes queued DPCs, tells the worker to stop and waits for it to exit before returning.
 */
#include <ntddk.h>

#define TIMER_WORKER_TAG 'krWT'
#define TICKS_PER_ROUND 3
#define ROUNDS 4

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD TimerWorkerUnload;
KDEFERRED_ROUTINE TimerWorkerDpc;
KSTART_ROUTINE TimerWorkerThread;

typedef struct _TIMER_WORKER {
  KTIMER Timer;
  KDPC Dpc;
  KSPIN_LOCK Lock;
  ULONG Ticks;        /* protected by Lock */
  KEVENT RoundDone;   /* synchronization event: one round of ticks completed */
  KEVENT Stop;        /* notification event: the worker must exit */
  PETHREAD Worker;    /* referenced while the driver is loaded */
} TIMER_WORKER, *PTIMER_WORKER;

static TIMER_WORKER g_worker;

#ifdef ALLOC_PRAGMA
#pragma alloc_text(INIT, DriverEntry)
#pragma alloc_text(PAGE, TimerWorkerUnload)
#pragma alloc_text(PAGE, TimerWorkerThread)
#endif

_Use_decl_annotations_ VOID TimerWorkerDpc(PKDPC Dpc, PVOID Context, PVOID SystemArgument1, PVOID SystemArgument2) {
  PTIMER_WORKER worker = (PTIMER_WORKER)Context;
  ULONG ticks;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(SystemArgument1);
  UNREFERENCED_PARAMETER(SystemArgument2);

  KeAcquireSpinLockAtDpcLevel(&worker->Lock);
  ticks = ++worker->Ticks;
  KeReleaseSpinLockFromDpcLevel(&worker->Lock);
  if (ticks % TICKS_PER_ROUND == 0) {
    KeSetEvent(&worker->RoundDone, IO_NO_INCREMENT, FALSE);
  }
}

_Use_decl_annotations_ VOID TimerWorkerThread(PVOID Context) {
  PTIMER_WORKER worker = (PTIMER_WORKER)Context;
  PVOID events[2];
  LARGE_INTEGER timeout;
  ULONG rounds = 0;
  KIRQL old_irql;
  ULONG ticks;
  NTSTATUS status;

  PAGED_CODE();
  events[0] = &worker->Stop;
  events[1] = &worker->RoundDone;
  timeout.QuadPart = -10 * 1000 * 1000; /* one second */
  while (rounds < ROUNDS) {
    status = KeWaitForMultipleObjects(2, events, WaitAny, Executive, KernelMode, FALSE, &timeout, NULL);
    if (status == STATUS_WAIT_0) {
      break;
    }
    if (status == STATUS_TIMEOUT) {
      DbgPrint("timer_worker: no round completed within a second\n");
      continue;
    }
    KeAcquireSpinLock(&worker->Lock, &old_irql);
    ticks = worker->Ticks;
    KeReleaseSpinLock(&worker->Lock, old_irql);
    ++rounds;
    DbgPrint("timer_worker: round %lu done after %lu ticks on processor %lu\n", rounds, ticks,
             KeGetCurrentProcessorNumber());
  }
  DbgPrint("timer_worker: worker exits after %lu rounds\n", rounds);
  PsTerminateSystemThread(STATUS_SUCCESS);
}

_Use_decl_annotations_ VOID TimerWorkerUnload(PDRIVER_OBJECT DriverObject) {
  UNREFERENCED_PARAMETER(DriverObject);
  PAGED_CODE();

  KeCancelTimer(&g_worker.Timer);
  KeFlushQueuedDpcs();
  KeSetEvent(&g_worker.Stop, IO_NO_INCREMENT, FALSE);
  KeWaitForSingleObject(g_worker.Worker, Executive, KernelMode, FALSE, NULL);
  ObDereferenceObject(g_worker.Worker);
  DbgPrint("timer_worker: unloaded after %lu ticks\n", g_worker.Ticks);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  OBJECT_ATTRIBUTES attributes;
  HANDLE thread;
  LARGE_INTEGER due;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  RtlZeroMemory(&g_worker, sizeof(g_worker));
  KeInitializeSpinLock(&g_worker.Lock);
  KeInitializeEvent(&g_worker.RoundDone, SynchronizationEvent, FALSE);
  KeInitializeEvent(&g_worker.Stop, NotificationEvent, FALSE);
  KeInitializeDpc(&g_worker.Dpc, TimerWorkerDpc, &g_worker);
  KeInitializeTimerEx(&g_worker.Timer, NotificationTimer);

  InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
  status = PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, &attributes, NULL, NULL, TimerWorkerThread, &g_worker);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = ObReferenceObjectByHandle(thread, THREAD_ALL_ACCESS, *PsThreadType, KernelMode,
                                     (PVOID *)&g_worker.Worker, NULL);
  ZwClose(thread);
  if (!NT_SUCCESS(status)) {
    return status;
  }

  due.QuadPart = -10 * 1000 * 10; /* 10 ms, then every 10 ms */
  KeSetTimerEx(&g_worker.Timer, due, 10, &g_worker.Dpc);
  DriverObject->DriverUnload = TimerWorkerUnload;
  DbgPrint("timer_worker: loaded, tag %08lx\n", (ULONG)TIMER_WORKER_TAG);
  return STATUS_SUCCESS;
}
