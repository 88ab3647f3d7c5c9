/*
 * pool_and_handle_cases - BUGGY ON PURPOSE: one classic pool, unload, handle or Zw argument bug
 * per IOCTL.
 *
 * The device keeps a few statistics for the application: a history of events, a snapshot of its
 * registers, a serial number, a cache of request contexts, settings saved when the driver goes
 * away, and a "ready" event. Each IOCTL below does one of these jobs, and each does it wrongly.
 * All are METHOD_BUFFERED but IOCTL_POOL_AND_HANDLE_CASES_CREATE_NAMED_EVENT (METHOD_NEITHER).
 * Each bug is fatal under Driver Verifier, so one run exposes one of them.
 *
 * What exposes each bug, and what Windows reports with Driver Verifier's standard settings (the
 * lab reports the same):
 *
 * - COPY_INPUT (0x800): the input is copied into a pool block of InputBufferLength bytes, with
 *   no test for an empty input. Sent with no input: 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION,
 *   P1 = 0x00 (an allocation of zero bytes), P2 = the IRQL (0), P3 = the pool type. Without the
 *   verifier, the allocation succeeds and the request goes on.
 * - RECORD_EVENT (0x801): a history entry is allocated from paged pool while the statistics spin
 *   lock is held. 0xC4, P1 = 0x01 (paged pool above APC_LEVEL, rule IrqlExAllocatePool),
 *   P2 = DISPATCH_LEVEL, P3 = PagedPool, P4 = the size. Without the verifier, 0xC2 (P1 = 0x08).
 * - SNAPSHOT (0x802): the register snapshot is taken with every interrupt masked (HIGH_LEVEL), and
 *   its buffer is allocated there. 0xC4, P1 = 0x02 (nonpaged pool above DISPATCH_LEVEL),
 *   P2 = HIGH_LEVEL, P3 = NonPagedPoolNx, P4 = the size.
 * - RESET_NAME (0x803): the device name is either the built-in default (a global of the image)
 *   or a pool copy, and the reset frees it without asking which. 0xC4, P1 = 0x10 (a free of an
 *   address no allocator returned), P2 = the global. Without the verifier, 0xC2 (P1 = 0x42).
 * - TRIM_HISTORY (0x804): a paged history entry is freed while the statistics spin lock is held.
 *   0xC4, P1 = 0x11 (paged pool freed above APC_LEVEL, rule IrqlExFree1), P2 = DISPATCH_LEVEL,
 *   P3 = PagedPool, P4 = the entry.
 * - DROP_SNAPSHOT (0x805): the register snapshot is freed before the IRQL is lowered again.
 *   0xC4, P1 = 0x12 (nonpaged pool freed above DISPATCH_LEVEL, rule IrqlExFree1),
 *   P2 = HIGH_LEVEL, P3 = NonPagedPoolNx, P4 = the snapshot.
 * - TIMED_REQUEST (0x806): a request context holds a timeout timer; when the request finishes at
 *   once the context is freed without KeCancelTimer. 0xC4, P1 = 0x15 (a block freed while it
 *   holds a set timer), P2 = the timer, P3 = the pool type, P4 = the context.
 * - READ_SERIAL (0x807): the 13-character serial number is copied with its terminating NUL into
 *   a 13-byte block. Special pool finds the byte written in the block's alignment slack when the
 *   block is freed: 0xC1 SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION, P1 = the block, P2 = the byte
 *   (block + 13), P4 = 0x24 (bytes past the end overwritten). Without the verifier, nothing.
 * - START_CACHE (0x808), then unloading the driver: the request-context lookaside list the IOCTL
 *   initialises is never deleted by DriverUnload. Bug check 0xCE
 *   DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS: Windows raises it when the system next
 *   touches the list in the unloaded image; the lab raises it at unload, with P1 = the list.
 * - CHANGE_SETTINGS (0x809), then unloading the driver: changed settings are saved by a work item
 *   (ExQueueWorkItem, which holds no reference on the driver) that DriverUnload queues and does
 *   not wait for. 0xCE again: Windows raises it when the routine runs in the unloaded image, the
 *   lab at unload, with P1 = the work item, P3 = its routine.
 * - WAIT_READY (0x80A): the kernel handle of the ready event is closed on the fast path and then
 *   referenced. 0xC4, P1 = 0x3C (a handle that names no object), P2 = the handle, P3 = the event
 *   type. Without the verifier, ObReferenceObjectByHandle returns STATUS_INVALID_HANDLE.
 * - RESET_READY (0x80B): the ready event's kernel handle is closed twice. 0x93
 *   INVALID_KERNEL_HANDLE, P1 = the handle, P2 = 1 (not a valid handle), P4 = 1. Without the
 *   verifier, the second ZwClose returns STATUS_INVALID_HANDLE.
 * - SIGNAL_LATER (0x80C): a work item (in the System process) creates a kernel event and
 *   references its kernel handle with the request's RequestorMode, UserMode. 0xC4, P1 = 0xF7,
 *   P2 = the handle, P3 = the event type, P4 = UserMode. Without the verifier, the reference
 *   fails with STATUS_INVALID_HANDLE.
 * - CREATE_NAMED_EVENT (0x80D, METHOD_NEITHER): the event's name is the application's input
 *   buffer, used in place by ZwCreateEvent. 0xC4, P1 = 0xE3 (a Zw routine given a user-mode
 *   address), P2 = the name's characters, P3 = the caller. Without the verifier the event is
 *   created from memory the application can change under the kernel.
 */
#include <ntddk.h>

#define POOL_AND_HANDLE_CASES_DEVICE_NAME L"\\Device\\PoolAndHandleCases"
#define POOL_AND_HANDLE_CASES_LINK_NAME L"\\??\\PoolAndHandleCases"
#define POOL_AND_HANDLE_CASES_TAG 'cHaP'
#define POOL_AND_HANDLE_CASES_IOCTL(Function) \
  CTL_CODE(FILE_DEVICE_UNKNOWN, (Function), METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_POOL_AND_HANDLE_CASES_COPY_INPUT POOL_AND_HANDLE_CASES_IOCTL(0x800)
#define IOCTL_POOL_AND_HANDLE_CASES_RECORD_EVENT POOL_AND_HANDLE_CASES_IOCTL(0x801)
#define IOCTL_POOL_AND_HANDLE_CASES_SNAPSHOT POOL_AND_HANDLE_CASES_IOCTL(0x802)
#define IOCTL_POOL_AND_HANDLE_CASES_RESET_NAME POOL_AND_HANDLE_CASES_IOCTL(0x803)
#define IOCTL_POOL_AND_HANDLE_CASES_TRIM_HISTORY POOL_AND_HANDLE_CASES_IOCTL(0x804)
#define IOCTL_POOL_AND_HANDLE_CASES_DROP_SNAPSHOT POOL_AND_HANDLE_CASES_IOCTL(0x805)
#define IOCTL_POOL_AND_HANDLE_CASES_TIMED_REQUEST POOL_AND_HANDLE_CASES_IOCTL(0x806)
#define IOCTL_POOL_AND_HANDLE_CASES_READ_SERIAL POOL_AND_HANDLE_CASES_IOCTL(0x807)
#define IOCTL_POOL_AND_HANDLE_CASES_START_CACHE POOL_AND_HANDLE_CASES_IOCTL(0x808)
#define IOCTL_POOL_AND_HANDLE_CASES_CHANGE_SETTINGS POOL_AND_HANDLE_CASES_IOCTL(0x809)
#define IOCTL_POOL_AND_HANDLE_CASES_WAIT_READY POOL_AND_HANDLE_CASES_IOCTL(0x80A)
#define IOCTL_POOL_AND_HANDLE_CASES_RESET_READY POOL_AND_HANDLE_CASES_IOCTL(0x80B)
#define IOCTL_POOL_AND_HANDLE_CASES_SIGNAL_LATER POOL_AND_HANDLE_CASES_IOCTL(0x80C)
#define IOCTL_POOL_AND_HANDLE_CASES_CREATE_NAMED_EVENT \
  CTL_CODE(FILE_DEVICE_UNKNOWN, 0x80D, METHOD_NEITHER, FILE_ANY_ACCESS)

#define POOL_AND_HANDLE_CASES_HISTORY_BYTES 48
#define POOL_AND_HANDLE_CASES_SNAPSHOT_BYTES 64
#define POOL_AND_HANDLE_CASES_SERIAL "PAHC-26-00042"
#define POOL_AND_HANDLE_CASES_SERIAL_LENGTH 13 /* characters, without the NUL */
#define POOL_AND_HANDLE_CASES_TIMEOUT_MS 500

typedef struct _POOL_AND_HANDLE_CASES_REQUEST {
  ULONG Id;
  KTIMER Timeout;
  KDPC TimeoutDpc;
} POOL_AND_HANDLE_CASES_REQUEST, *PPOOL_AND_HANDLE_CASES_REQUEST;

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD PoolAndHandleCasesUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH PoolAndHandleCasesCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH PoolAndHandleCasesIoctl;
KDEFERRED_ROUTINE PoolAndHandleCasesTimedOut;
WORKER_THREAD_ROUTINE PoolAndHandleCasesSaveSettings;
IO_WORKITEM_ROUTINE PoolAndHandleCasesSignal;

static KSPIN_LOCK PoolAndHandleCasesStatisticsLock;
static LONG PoolAndHandleCasesEvents;
static WCHAR PoolAndHandleCasesDefaultName[] = L"PoolAndHandleCases";
static PWCHAR PoolAndHandleCasesName = PoolAndHandleCasesDefaultName;
static NPAGED_LOOKASIDE_LIST PoolAndHandleCasesRequests;
static BOOLEAN PoolAndHandleCasesCacheStarted;
static WORK_QUEUE_ITEM PoolAndHandleCasesSaveItem;
static LONG PoolAndHandleCasesSettings;
static BOOLEAN PoolAndHandleCasesSettingsChanged;

static NTSTATUS PoolAndHandleCasesComplete(_Inout_ PIRP Irp, _In_ NTSTATUS Status, _In_ ULONG_PTR Information) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS PoolAndHandleCasesCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return PoolAndHandleCasesComplete(Irp, STATUS_SUCCESS, 0);
}

/* 0x800: keeps a copy of the caller's input. */
static NTSTATUS PoolAndHandleCasesCopyInput(_In_ PIRP Irp, _In_ ULONG Length) {
  PVOID copy;

  /* BUG: an empty input is not refused, so this asks for zero bytes. */
  copy = ExAllocatePool2(POOL_FLAG_NON_PAGED, Length, POOL_AND_HANDLE_CASES_TAG);
  if (copy == NULL) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  RtlCopyMemory(copy, Irp->AssociatedIrp.SystemBuffer, Length);
  ExFreePoolWithTag(copy, POOL_AND_HANDLE_CASES_TAG);
  return STATUS_SUCCESS;
}

/* 0x801: counts an event and keeps a history entry for it. */
static NTSTATUS PoolAndHandleCasesRecordEvent(VOID) {
  KIRQL irql;
  PVOID entry;

  KeAcquireSpinLock(&PoolAndHandleCasesStatisticsLock, &irql);
  PoolAndHandleCasesEvents++;
  /* BUG: paged pool at DISPATCH_LEVEL (the spin lock is held). */
  entry = ExAllocatePool2(POOL_FLAG_PAGED, POOL_AND_HANDLE_CASES_HISTORY_BYTES, POOL_AND_HANDLE_CASES_TAG);
  KeReleaseSpinLock(&PoolAndHandleCasesStatisticsLock, irql);
  if (entry == NULL) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  ExFreePoolWithTag(entry, POOL_AND_HANDLE_CASES_TAG);
  return STATUS_SUCCESS;
}

/* 0x802: snapshots the device's registers with interrupts masked. */
static NTSTATUS PoolAndHandleCasesSnapshot(VOID) {
  KIRQL irql;
  PVOID snapshot;

  KeRaiseIrql(HIGH_LEVEL, &irql);
  /* BUG: no pool can be allocated above DISPATCH_LEVEL; the buffer belongs before the raise. */
  snapshot = ExAllocatePool2(POOL_FLAG_NON_PAGED, POOL_AND_HANDLE_CASES_SNAPSHOT_BYTES, POOL_AND_HANDLE_CASES_TAG);
  KeLowerIrql(irql);
  if (snapshot == NULL) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  ExFreePoolWithTag(snapshot, POOL_AND_HANDLE_CASES_TAG);
  return STATUS_SUCCESS;
}

/* 0x803: goes back to the default device name. */
static NTSTATUS PoolAndHandleCasesResetName(VOID) {
  DbgPrint("pool_and_handle_cases: default name %p\n", PoolAndHandleCasesDefaultName);
  /* BUG: the name may be the built-in default, which no allocator returned. */
  ExFreePoolWithTag(PoolAndHandleCasesName, POOL_AND_HANDLE_CASES_TAG);
  PoolAndHandleCasesName = PoolAndHandleCasesDefaultName;
  return STATUS_SUCCESS;
}

/* 0x804: records an event, then trims the history back to nothing. */
static NTSTATUS PoolAndHandleCasesTrimHistory(VOID) {
  KIRQL irql;
  PLONG entry;

  entry = (PLONG)ExAllocatePool2(POOL_FLAG_PAGED, POOL_AND_HANDLE_CASES_HISTORY_BYTES, POOL_AND_HANDLE_CASES_TAG);
  if (entry == NULL) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  *entry = InterlockedIncrement(&PoolAndHandleCasesEvents);
  DbgPrint("pool_and_handle_cases: history entry %p\n", entry);
  KeAcquireSpinLock(&PoolAndHandleCasesStatisticsLock, &irql);
  /* BUG: paged pool freed at DISPATCH_LEVEL (the spin lock is held). */
  ExFreePoolWithTag(entry, POOL_AND_HANDLE_CASES_TAG);
  KeReleaseSpinLock(&PoolAndHandleCasesStatisticsLock, irql);
  return STATUS_SUCCESS;
}

/* 0x805: takes a snapshot and drops it. */
static NTSTATUS PoolAndHandleCasesDropSnapshot(VOID) {
  KIRQL irql;
  PUCHAR snapshot;

  snapshot =
      (PUCHAR)ExAllocatePool2(POOL_FLAG_NON_PAGED, POOL_AND_HANDLE_CASES_SNAPSHOT_BYTES, POOL_AND_HANDLE_CASES_TAG);
  if (snapshot == NULL) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  DbgPrint("pool_and_handle_cases: snapshot %p\n", snapshot);
  KeRaiseIrql(HIGH_LEVEL, &irql);
  snapshot[0] = (UCHAR)PoolAndHandleCasesEvents;
  /* BUG: freed before KeLowerIrql, above DISPATCH_LEVEL. */
  ExFreePoolWithTag(snapshot, POOL_AND_HANDLE_CASES_TAG);
  KeLowerIrql(irql);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ VOID PoolAndHandleCasesTimedOut(PKDPC Dpc, PVOID Context, PVOID SystemArgument1,
                                                       PVOID SystemArgument2) {
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(Context);
  UNREFERENCED_PARAMETER(SystemArgument1);
  UNREFERENCED_PARAMETER(SystemArgument2);
  InterlockedIncrement(&PoolAndHandleCasesEvents);
}

/* 0x806: a request with a timeout, which the device answers at once. */
static NTSTATUS PoolAndHandleCasesTimedRequest(VOID) {
  PPOOL_AND_HANDLE_CASES_REQUEST request;
  LARGE_INTEGER due;

  request = (PPOOL_AND_HANDLE_CASES_REQUEST)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(POOL_AND_HANDLE_CASES_REQUEST),
                                                            POOL_AND_HANDLE_CASES_TAG);
  if (request == NULL) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  request->Id = (ULONG)InterlockedIncrement(&PoolAndHandleCasesEvents);
  KeInitializeTimer(&request->Timeout);
  KeInitializeDpc(&request->TimeoutDpc, PoolAndHandleCasesTimedOut, request);
  DbgPrint("pool_and_handle_cases: request %p timer %p\n", request, &request->Timeout);
  due.QuadPart = -10LL * 1000 * POOL_AND_HANDLE_CASES_TIMEOUT_MS;
  KeSetTimer(&request->Timeout, due, &request->TimeoutDpc);
  /* The device answered at once. BUG: the timer is still set: KeCancelTimer belongs here. */
  ExFreePoolWithTag(request, POOL_AND_HANDLE_CASES_TAG);
  return STATUS_SUCCESS;
}

/* 0x807: returns the serial number. */
static NTSTATUS PoolAndHandleCasesReadSerial(_In_ PIRP Irp, _In_ ULONG OutputLength, _Out_ PULONG_PTR Information) {
  PCHAR serial;

  *Information = 0;
  serial = (PCHAR)ExAllocatePool2(POOL_FLAG_NON_PAGED, POOL_AND_HANDLE_CASES_SERIAL_LENGTH, POOL_AND_HANDLE_CASES_TAG);
  if (serial == NULL) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  DbgPrint("pool_and_handle_cases: serial %p\n", serial);
  /* BUG: sizeof counts the terminating NUL, one byte more than the block holds. */
  RtlCopyMemory(serial, POOL_AND_HANDLE_CASES_SERIAL, sizeof(POOL_AND_HANDLE_CASES_SERIAL));
  if (OutputLength >= POOL_AND_HANDLE_CASES_SERIAL_LENGTH) {
    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, serial, POOL_AND_HANDLE_CASES_SERIAL_LENGTH);
    *Information = POOL_AND_HANDLE_CASES_SERIAL_LENGTH;
  }
  ExFreePoolWithTag(serial, POOL_AND_HANDLE_CASES_TAG);
  return STATUS_SUCCESS;
}

/* 0x808: starts the request-context cache (once) and takes one context from it. */
static NTSTATUS PoolAndHandleCasesStartCache(VOID) {
  PVOID request;

  if (!PoolAndHandleCasesCacheStarted) {
    ExInitializeNPagedLookasideList(&PoolAndHandleCasesRequests, NULL, NULL, POOL_NX_ALLOCATION,
                                    sizeof(POOL_AND_HANDLE_CASES_REQUEST), POOL_AND_HANDLE_CASES_TAG, 0);
    PoolAndHandleCasesCacheStarted = TRUE;
    DbgPrint("pool_and_handle_cases: lookaside %p\n", &PoolAndHandleCasesRequests);
  }
  request = ExAllocateFromNPagedLookasideList(&PoolAndHandleCasesRequests);
  if (request == NULL) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  ExFreeToNPagedLookasideList(&PoolAndHandleCasesRequests, request);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ VOID PoolAndHandleCasesSaveSettings(PVOID Parameter) {
  UNREFERENCED_PARAMETER(Parameter);
  DbgPrint("pool_and_handle_cases: settings %ld saved\n", PoolAndHandleCasesSettings);
}

/* 0x809: changes a setting; it is saved when the driver unloads. */
static NTSTATUS PoolAndHandleCasesChangeSettings(VOID) {
  InterlockedIncrement(&PoolAndHandleCasesSettings);
  PoolAndHandleCasesSettingsChanged = TRUE;
  return STATUS_SUCCESS;
}

static NTSTATUS PoolAndHandleCasesCreateReadyEvent(_Out_ PHANDLE Handle) {
  OBJECT_ATTRIBUTES attributes;

  InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
  return ZwCreateEvent(Handle, EVENT_ALL_ACCESS, &attributes, NotificationEvent, TRUE);
}

/* 0x80A: waits until the device is ready (it always is, so the fast path closes the handle). */
static NTSTATUS PoolAndHandleCasesWaitReady(VOID) {
  HANDLE ready;
  PVOID event;
  NTSTATUS status;

  status = PoolAndHandleCasesCreateReadyEvent(&ready);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  DbgPrint("pool_and_handle_cases: stale handle %p type %p\n", ready, *ExEventObjectType);
  ZwClose(ready);
  /* BUG: the handle was closed on the fast path above and names nothing any more. */
  status = ObReferenceObjectByHandle(ready, SYNCHRONIZE, *ExEventObjectType, KernelMode, &event, NULL);
  if (NT_SUCCESS(status)) {
    KeWaitForSingleObject(event, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(event);
  }
  return status;
}

/* 0x80B: replaces the ready event. */
static NTSTATUS PoolAndHandleCasesResetReady(VOID) {
  HANDLE ready;
  NTSTATUS status;

  status = PoolAndHandleCasesCreateReadyEvent(&ready);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  DbgPrint("pool_and_handle_cases: closed handle %p\n", ready);
  ZwClose(ready);
  /* BUG: the common exit closes the handle a second time. */
  ZwClose(ready);
  return STATUS_SUCCESS;
}

/* 0x80C, in a system worker thread: signals a new event and completes the request. */
_Use_decl_annotations_ VOID PoolAndHandleCasesSignal(PDEVICE_OBJECT DeviceObject, PVOID Context) {
  PIRP irp = (PIRP)Context;
  PIO_WORKITEM item = (PIO_WORKITEM)irp->Tail.Overlay.DriverContext[0];
  HANDLE ready;
  PVOID event;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(DeviceObject);

  status = PoolAndHandleCasesCreateReadyEvent(&ready);
  if (NT_SUCCESS(status)) {
    DbgPrint("pool_and_handle_cases: kernel handle %p type %p\n", ready, *ExEventObjectType);
    /* BUG: the requestor's mode (UserMode) with the driver's own kernel handle. */
    status = ObReferenceObjectByHandle(ready, EVENT_MODIFY_STATE, *ExEventObjectType, irp->RequestorMode, &event, NULL);
    if (NT_SUCCESS(status)) {
      KeSetEvent((PKEVENT)event, IO_NO_INCREMENT, FALSE);
      ObDereferenceObject(event);
    }
    ZwClose(ready);
  }
  IoFreeWorkItem(item);
  PoolAndHandleCasesComplete(irp, status, 0);
}

static NTSTATUS PoolAndHandleCasesSignalLater(_In_ PDEVICE_OBJECT DeviceObject, _In_ PIRP Irp) {
  PIO_WORKITEM item = IoAllocateWorkItem(DeviceObject);

  if (item == NULL) {
    return PoolAndHandleCasesComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
  }
  Irp->Tail.Overlay.DriverContext[0] = item;
  IoMarkIrpPending(Irp);
  IoQueueWorkItem(item, PoolAndHandleCasesSignal, DelayedWorkQueue, Irp);
  return STATUS_PENDING;
}

/* 0x80D (METHOD_NEITHER): creates an event named by the application. */
static NTSTATUS PoolAndHandleCasesCreateNamedEvent(_In_ PIO_STACK_LOCATION Stack) {
  UNICODE_STRING name;
  OBJECT_ATTRIBUTES attributes;
  HANDLE event;
  NTSTATUS status;
  ULONG length = Stack->Parameters.DeviceIoControl.InputBufferLength;

  if (length == 0 || length > MAXUSHORT || length % sizeof(WCHAR) != 0) {
    return STATUS_INVALID_PARAMETER;
  }
  /* BUG: the characters stay in the application's buffer, never probed nor captured. */
  name.Buffer = (PWCH)Stack->Parameters.DeviceIoControl.Type3InputBuffer;
  name.Length = (USHORT)length;
  name.MaximumLength = (USHORT)length;
  DbgPrint("pool_and_handle_cases: user name %p\n", name.Buffer);
  InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE | OBJ_OPENIF, NULL, NULL);
  status = ZwCreateEvent(&event, EVENT_ALL_ACCESS, &attributes, NotificationEvent, FALSE);
  if (NT_SUCCESS(status)) {
    ZwClose(event);
  }
  return status;
}

_Use_decl_annotations_ NTSTATUS PoolAndHandleCasesIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  ULONG_PTR information = 0;
  NTSTATUS status;

  switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_POOL_AND_HANDLE_CASES_COPY_INPUT:
      status = PoolAndHandleCasesCopyInput(Irp, stack->Parameters.DeviceIoControl.InputBufferLength);
      break;
    case IOCTL_POOL_AND_HANDLE_CASES_RECORD_EVENT:
      status = PoolAndHandleCasesRecordEvent();
      break;
    case IOCTL_POOL_AND_HANDLE_CASES_SNAPSHOT:
      status = PoolAndHandleCasesSnapshot();
      break;
    case IOCTL_POOL_AND_HANDLE_CASES_RESET_NAME:
      status = PoolAndHandleCasesResetName();
      break;
    case IOCTL_POOL_AND_HANDLE_CASES_TRIM_HISTORY:
      status = PoolAndHandleCasesTrimHistory();
      break;
    case IOCTL_POOL_AND_HANDLE_CASES_DROP_SNAPSHOT:
      status = PoolAndHandleCasesDropSnapshot();
      break;
    case IOCTL_POOL_AND_HANDLE_CASES_TIMED_REQUEST:
      status = PoolAndHandleCasesTimedRequest();
      break;
    case IOCTL_POOL_AND_HANDLE_CASES_READ_SERIAL:
      status = PoolAndHandleCasesReadSerial(Irp, stack->Parameters.DeviceIoControl.OutputBufferLength, &information);
      break;
    case IOCTL_POOL_AND_HANDLE_CASES_START_CACHE:
      status = PoolAndHandleCasesStartCache();
      break;
    case IOCTL_POOL_AND_HANDLE_CASES_CHANGE_SETTINGS:
      status = PoolAndHandleCasesChangeSettings();
      break;
    case IOCTL_POOL_AND_HANDLE_CASES_WAIT_READY:
      status = PoolAndHandleCasesWaitReady();
      break;
    case IOCTL_POOL_AND_HANDLE_CASES_RESET_READY:
      status = PoolAndHandleCasesResetReady();
      break;
    case IOCTL_POOL_AND_HANDLE_CASES_SIGNAL_LATER:
      return PoolAndHandleCasesSignalLater(DeviceObject, Irp);
    case IOCTL_POOL_AND_HANDLE_CASES_CREATE_NAMED_EVENT:
      status = PoolAndHandleCasesCreateNamedEvent(stack);
      break;
    default:
      status = STATUS_INVALID_DEVICE_REQUEST;
      break;
  }
  return PoolAndHandleCasesComplete(Irp, status, information);
}

_Use_decl_annotations_ VOID PoolAndHandleCasesUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(POOL_AND_HANDLE_CASES_LINK_NAME);

  PAGED_CODE();
  /* BUG: the request-context cache, if started, is never deleted: ExDeleteNPagedLookasideList
     (&PoolAndHandleCasesRequests) belongs here. */
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
  if (PoolAndHandleCasesSettingsChanged) {
    ExInitializeWorkItem(&PoolAndHandleCasesSaveItem, PoolAndHandleCasesSaveSettings, NULL);
    DbgPrint("pool_and_handle_cases: save item %p routine %p\n", &PoolAndHandleCasesSaveItem,
             (PVOID)(ULONG_PTR)PoolAndHandleCasesSaveSettings);
    /* BUG: DriverUnload returns without waiting for the item, whose routine is in this image. */
    ExQueueWorkItem(&PoolAndHandleCasesSaveItem, DelayedWorkQueue);
  }
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(POOL_AND_HANDLE_CASES_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(POOL_AND_HANDLE_CASES_LINK_NAME);
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, 0, &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  KeInitializeSpinLock(&PoolAndHandleCasesStatisticsLock);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = PoolAndHandleCasesCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = PoolAndHandleCasesCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = PoolAndHandleCasesCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = PoolAndHandleCasesIoctl;
  DriverObject->DriverUnload = PoolAndHandleCasesUnload;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
