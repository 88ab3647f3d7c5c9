/*
 * irql_and_lock_cases - BUGGY ON PURPOSE: one IRQL, spin lock, wait, critical region or lock
 * ownership mistake per IOCTL.
 *
 * The device keeps a few counters behind two spin locks, an in-stack queued spin lock, a kernel
 * mutex and an event. Each IOCTL (METHOD_BUFFERED, no buffers) runs one code path, and each path
 * has one bug, marked BUG:. Every bug here is fatal under Driver Verifier, so one request is sent
 * per run; the interleaving is always the same: the application opens the device and sends it.
 * Addresses the findings name are printed with DbgPrint at load (the locks, the mutex, the event)
 * or by the path itself (the thread, the timeout, the routine).
 *
 * The cases, by IOCTL function code: the bug, then what Windows reports (0xC4
 * DRIVER_VERIFIER_DETECTED_VIOLATION parameters).
 *   0x800  KeLowerIrql(DISPATCH_LEVEL) after KeRaiseIrql(APC_LEVEL): [0x31, 1, 2, 0].
 *   0x801  the IRQL lowered to PASSIVE_LEVEL while holding a lock from KeAcquireSpinLockForDpc,
 *          then KeReleaseSpinLockForDpc: [0x35, 0, lock, 0].
 *   0x802  the IRQL lowered to APC_LEVEL while holding an in-stack queued lock, then
 *          KeReleaseInStackQueuedSpinLock: [0x36, 1, queued lock, 0].
 *   0x803  KeAcquireSpinLockAtDpcLevel from the dispatch routine (PASSIVE_LEVEL): [0x40, 0, lock, 0].
 *   0x804  the lock released with KeReleaseSpinLock, then again by a helper with
 *          KeReleaseSpinLockFromDpcLevel: [0x41, 0, lock, 0].
 *   0x805  KeAcquireSpinLock at HIGH_LEVEL: rule IrqlKeDispatchLte [0x20011, ...]; with DDI
 *          compliance off [0x42, 15, lock, 0].
 *   0x806  KeLeaveCriticalRegion with no enter: rule CriticalRegions [0x40003, ...]; with DDI
 *          compliance off [0x3E, thread, 0, 0]; unverified, 0x1 APC_INDEX_MISMATCH as the request
 *          returns to user mode.
 *   0x807  KeEnterCriticalRegion under a spin lock: rule IrqlKeApcLte2 [0x20010, ...]; with DDI
 *          compliance off [0x11A, 2, 0, 0].
 *   0x808  KeWaitForSingleObject with a 10 ms timeout under a spin lock: [0x122, 2, event, &timeout].
 *   0x809  a helper takes the spin lock its caller holds: rule SpinLock [0x40009, ...]; with DDI
 *          compliance off [0x1000, lock, 0, 0].
 *   0x80A  the outer of two spin locks released before the inner one: [0x1003, lock, other lock, 0];
 *          unverified, it runs on.
 *   0x80B  KeReleaseMutex on a mutex nobody owns: [0x1007, mutex, 0, 0].
 *   0x80C  a system thread returns owning the mutex: [0x100A, mutex, the thread, 0].
 *   0x80D  KeReleaseSpinLockFromDpcLevel of the lock not taken (the other one is): rule
 *          SpinlockRelease [0x4000A, ...]; with DDI compliance off [0x1007, lock, 0, 0].
 *   0x80E  a helper takes the in-stack queued lock its caller holds: rule QueuedSpinLock
 *          [0x40006, ...]; with DDI compliance off [0x1000, queued lock, 0, 0].
 *   0x80F  an in-stack queued handle released twice under the outer queued lock: rule
 *          QueuedSpinLockRelease [0x40007, ...]; with DDI compliance off [0x1007, inner lock, 0, 0].
 *   0x810  KeSetEvent(Wait = TRUE) under a spin lock: rule IrqlKeSetEvent [0x20016, ...].
 *
 * A DDI compliance rule is reported as 0xC4 [rule ID, the rule's message, 0, the caller] before
 * Driver Verifier's own check of the same call. What the lab reports: the same (tests/corpus).
 */
#include <ntddk.h>

#define IRQL_AND_LOCK_CASES_DEVICE_NAME L"\\Device\\IrqlAndLockCases"
#define IRQL_AND_LOCK_CASES_LINK_NAME L"\\??\\IrqlAndLockCases"
#define IRQL_AND_LOCK_CASES_IOCTL(function) CTL_CODE(FILE_DEVICE_UNKNOWN, function, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_IRQL_AND_LOCK_CASES_LOWER_TO_HIGHER IRQL_AND_LOCK_CASES_IOCTL(0x800)
#define IOCTL_IRQL_AND_LOCK_CASES_FOR_DPC_LOWERED IRQL_AND_LOCK_CASES_IOCTL(0x801)
#define IOCTL_IRQL_AND_LOCK_CASES_QUEUED_LOWERED IRQL_AND_LOCK_CASES_IOCTL(0x802)
#define IOCTL_IRQL_AND_LOCK_CASES_AT_DPC_AT_PASSIVE IRQL_AND_LOCK_CASES_IOCTL(0x803)
#define IOCTL_IRQL_AND_LOCK_CASES_FROM_DPC_TWICE IRQL_AND_LOCK_CASES_IOCTL(0x804)
#define IOCTL_IRQL_AND_LOCK_CASES_ABOVE_DISPATCH IRQL_AND_LOCK_CASES_IOCTL(0x805)
#define IOCTL_IRQL_AND_LOCK_CASES_LEAVE_UNENTERED IRQL_AND_LOCK_CASES_IOCTL(0x806)
#define IOCTL_IRQL_AND_LOCK_CASES_ENTER_AT_DISPATCH IRQL_AND_LOCK_CASES_IOCTL(0x807)
#define IOCTL_IRQL_AND_LOCK_CASES_WAIT_TIMEOUT IRQL_AND_LOCK_CASES_IOCTL(0x808)
#define IOCTL_IRQL_AND_LOCK_CASES_ACQUIRE_TWICE IRQL_AND_LOCK_CASES_IOCTL(0x809)
#define IOCTL_IRQL_AND_LOCK_CASES_RELEASE_CROSSED IRQL_AND_LOCK_CASES_IOCTL(0x80A)
#define IOCTL_IRQL_AND_LOCK_CASES_MUTEX_UNOWNED IRQL_AND_LOCK_CASES_IOCTL(0x80B)
#define IOCTL_IRQL_AND_LOCK_CASES_MUTEX_KEPT IRQL_AND_LOCK_CASES_IOCTL(0x80C)
#define IOCTL_IRQL_AND_LOCK_CASES_WRONG_LOCK IRQL_AND_LOCK_CASES_IOCTL(0x80D)
#define IOCTL_IRQL_AND_LOCK_CASES_QUEUED_TWICE IRQL_AND_LOCK_CASES_IOCTL(0x80E)
#define IOCTL_IRQL_AND_LOCK_CASES_QUEUED_RELEASE_TWICE IRQL_AND_LOCK_CASES_IOCTL(0x80F)
#define IOCTL_IRQL_AND_LOCK_CASES_SET_EVENT_WAIT IRQL_AND_LOCK_CASES_IOCTL(0x810)

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD IrqlAndLockCasesUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH IrqlAndLockCasesCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH IrqlAndLockCasesDeviceControl;
KSTART_ROUTINE IrqlAndLockCasesMutexWorker;

typedef struct _IRQL_AND_LOCK_CASES_EXTENSION {
  KSPIN_LOCK Lock;       /* protects Count */
  KSPIN_LOCK OtherLock;  /* protects Total; taken after Lock */
  KSPIN_LOCK QueuedLock; /* in-stack queued; protects Count too */
  KSPIN_LOCK InnerQueuedLock;
  KMUTEX Mutex; /* protects Settings */
  KEVENT Ready;
  ULONG Count;
  ULONG Total;
  ULONG Settings;
} IRQL_AND_LOCK_CASES_EXTENSION, *PIRQL_AND_LOCK_CASES_EXTENSION;

static PIRQL_AND_LOCK_CASES_EXTENSION IrqlAndLockCasesExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PIRQL_AND_LOCK_CASES_EXTENSION)DeviceObject->DeviceExtension;
}

static NTSTATUS IrqlAndLockCasesComplete(_In_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS IrqlAndLockCasesCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return IrqlAndLockCasesComplete(Irp, STATUS_SUCCESS);
}

static VOID IrqlAndLockCasesLowerToHigher(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  KIRQL old;

  KeRaiseIrql(APC_LEVEL, &old);
  Extension->Count++;
  /* BUG: "restores" a fixed DISPATCH_LEVEL instead of old; KeLowerIrql cannot raise. */
  KeLowerIrql(DISPATCH_LEVEL);
}

static VOID IrqlAndLockCasesForDpcLowered(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  KIRQL old = KeAcquireSpinLockForDpc(&Extension->Lock);

  /* BUG: drops to PASSIVE_LEVEL while still holding the lock. */
  KeLowerIrql(PASSIVE_LEVEL);
  Extension->Count++;
  KeReleaseSpinLockForDpc(&Extension->Lock, old);
}

static VOID IrqlAndLockCasesQueuedLowered(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  KLOCK_QUEUE_HANDLE handle;

  KeAcquireInStackQueuedSpinLock(&Extension->QueuedLock, &handle);
  /* BUG: drops to APC_LEVEL while still holding the queued lock. */
  KeLowerIrql(APC_LEVEL);
  Extension->Count++;
  KeReleaseInStackQueuedSpinLock(&handle);
}

/* Written for a DPC routine (DISPATCH_LEVEL), where the AtDpcLevel forms are right. */
static VOID IrqlAndLockCasesCountAtDpcLevel(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  KeAcquireSpinLockAtDpcLevel(&Extension->Lock);
  Extension->Count++;
  KeReleaseSpinLockFromDpcLevel(&Extension->Lock);
}

static VOID IrqlAndLockCasesFinishCount(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  Extension->Total++;
  KeReleaseSpinLockFromDpcLevel(&Extension->Lock);
}

static VOID IrqlAndLockCasesFromDpcTwice(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  KIRQL old;

  KeAcquireSpinLock(&Extension->Lock, &old);
  Extension->Count++;
  KeReleaseSpinLock(&Extension->Lock, old);
  /* BUG: the helper releases the lock again, now at PASSIVE_LEVEL. */
  IrqlAndLockCasesFinishCount(Extension);
}

static VOID IrqlAndLockCasesAboveDispatch(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  KIRQL high;
  KIRQL old;

  DbgPrint("irql_and_lock_cases: routine %p\n", (PVOID)(ULONG_PTR)IrqlAndLockCasesAboveDispatch);
  KeRaiseIrql(HIGH_LEVEL, &high);
  /* BUG: a spin lock cannot be acquired above DISPATCH_LEVEL. */
  KeAcquireSpinLock(&Extension->Lock, &old);
  Extension->Count++;
  KeReleaseSpinLock(&Extension->Lock, old);
  KeLowerIrql(high);
}

static VOID IrqlAndLockCasesLeaveUnentered(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  DbgPrint("irql_and_lock_cases: thread %p\n", (PVOID)KeGetCurrentThread());
  Extension->Count++;
  /* BUG: there is no KeEnterCriticalRegion to match. */
  KeLeaveCriticalRegion();
}

static VOID IrqlAndLockCasesEnterAtDispatch(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  KIRQL old;

  DbgPrint("irql_and_lock_cases: routine %p\n", (PVOID)(ULONG_PTR)IrqlAndLockCasesEnterAtDispatch);
  KeAcquireSpinLock(&Extension->Lock, &old);
  /* BUG: critical regions are for IRQL <= APC_LEVEL. */
  KeEnterCriticalRegion();
  Extension->Count++;
  KeLeaveCriticalRegion();
  KeReleaseSpinLock(&Extension->Lock, old);
}

static VOID IrqlAndLockCasesWaitTimeout(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  KIRQL old;
  LARGE_INTEGER timeout;

  timeout.QuadPart = -10 * 1000 * 10; /* 10 ms */
  DbgPrint("irql_and_lock_cases: timeout %p\n", (PVOID)&timeout);
  KeAcquireSpinLock(&Extension->Lock, &old);
  /* BUG: a wait with a nonzero timeout at DISPATCH_LEVEL. */
  (VOID) KeWaitForSingleObject(&Extension->Ready, Executive, KernelMode, FALSE, &timeout);
  Extension->Count++;
  KeReleaseSpinLock(&Extension->Lock, old);
}

static VOID IrqlAndLockCasesAddTotal(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  /* BUG (with the caller): the caller already holds Lock. */
  KeAcquireSpinLockAtDpcLevel(&Extension->Lock);
  Extension->Total += Extension->Count;
  KeReleaseSpinLockFromDpcLevel(&Extension->Lock);
}

static VOID IrqlAndLockCasesAcquireTwice(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  KIRQL old;

  DbgPrint("irql_and_lock_cases: routine %p\n", (PVOID)(ULONG_PTR)IrqlAndLockCasesAddTotal);
  KeAcquireSpinLock(&Extension->Lock, &old);
  Extension->Count++;
  IrqlAndLockCasesAddTotal(Extension);
  KeReleaseSpinLock(&Extension->Lock, old);
}

static VOID IrqlAndLockCasesReleaseCrossed(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  KIRQL old;

  KeAcquireSpinLock(&Extension->Lock, &old);
  KeAcquireSpinLockAtDpcLevel(&Extension->OtherLock);
  Extension->Total += Extension->Count;
  /* BUG: the outer lock is released while the inner one is still held. */
  KeReleaseSpinLockFromDpcLevel(&Extension->Lock);
  KeReleaseSpinLock(&Extension->OtherLock, old);
}

static VOID IrqlAndLockCasesMutexUnowned(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  Extension->Settings = 0;
  /* BUG: the matching KeWaitForSingleObject was left out. */
  (VOID) KeReleaseMutex(&Extension->Mutex, FALSE);
}

_Use_decl_annotations_ VOID IrqlAndLockCasesMutexWorker(PVOID Context) {
  PIRQL_AND_LOCK_CASES_EXTENSION extension = (PIRQL_AND_LOCK_CASES_EXTENSION)Context;

  DbgPrint("irql_and_lock_cases: worker %p\n", (PVOID)KeGetCurrentThread());
  (VOID) KeWaitForSingleObject(&extension->Mutex, Executive, KernelMode, FALSE, NULL);
  extension->Settings++;
  /* BUG: returns without KeReleaseMutex. */
}

static NTSTATUS IrqlAndLockCasesMutexKept(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  HANDLE thread;
  OBJECT_ATTRIBUTES attributes;
  NTSTATUS status;

  InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
  status =
      PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, &attributes, NULL, NULL, IrqlAndLockCasesMutexWorker, Extension);
  if (NT_SUCCESS(status)) {
    ZwClose(thread);
  }
  return status;
}

static VOID IrqlAndLockCasesWrongLock(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  KIRQL old;

  DbgPrint("irql_and_lock_cases: routine %p\n", (PVOID)(ULONG_PTR)IrqlAndLockCasesWrongLock);
  KeAcquireSpinLock(&Extension->OtherLock, &old);
  Extension->Total++;
  /* BUG: releases Lock, which nobody holds, instead of OtherLock. */
  KeReleaseSpinLockFromDpcLevel(&Extension->Lock);
  KeLowerIrql(old);
}

static VOID IrqlAndLockCasesQueuedAddTotal(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  KLOCK_QUEUE_HANDLE handle;

  /* BUG (with the caller): the caller already holds QueuedLock. */
  KeAcquireInStackQueuedSpinLockAtDpcLevel(&Extension->QueuedLock, &handle);
  Extension->Total += Extension->Count;
  KeReleaseInStackQueuedSpinLockFromDpcLevel(&handle);
}

static VOID IrqlAndLockCasesQueuedTwice(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  KLOCK_QUEUE_HANDLE handle;

  DbgPrint("irql_and_lock_cases: routine %p\n", (PVOID)(ULONG_PTR)IrqlAndLockCasesQueuedAddTotal);
  KeAcquireInStackQueuedSpinLock(&Extension->QueuedLock, &handle);
  Extension->Count++;
  IrqlAndLockCasesQueuedAddTotal(Extension);
  KeReleaseInStackQueuedSpinLock(&handle);
}

static VOID IrqlAndLockCasesQueuedReleaseTwice(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  KLOCK_QUEUE_HANDLE outer;
  KLOCK_QUEUE_HANDLE inner;

  DbgPrint("irql_and_lock_cases: routine %p\n", (PVOID)(ULONG_PTR)IrqlAndLockCasesQueuedReleaseTwice);
  KeAcquireInStackQueuedSpinLock(&Extension->QueuedLock, &outer);
  KeAcquireInStackQueuedSpinLockAtDpcLevel(&Extension->InnerQueuedLock, &inner);
  Extension->Total += Extension->Count;
  KeReleaseInStackQueuedSpinLockFromDpcLevel(&inner);
  /* BUG: the inner handle is released a second time instead of the outer one. */
  KeReleaseInStackQueuedSpinLockFromDpcLevel(&inner);
  KeReleaseInStackQueuedSpinLock(&outer);
}

static VOID IrqlAndLockCasesSetEventWait(_Inout_ PIRQL_AND_LOCK_CASES_EXTENSION Extension) {
  KIRQL old;

  DbgPrint("irql_and_lock_cases: routine %p\n", (PVOID)(ULONG_PTR)IrqlAndLockCasesSetEventWait);
  KeAcquireSpinLock(&Extension->Lock, &old);
  Extension->Count++;
  /* BUG: Wait = TRUE promises a wait right after; that needs IRQL <= APC_LEVEL. */
  (VOID) KeSetEvent(&Extension->Ready, IO_NO_INCREMENT, TRUE);
  KeReleaseSpinLock(&Extension->Lock, old);
}

_Use_decl_annotations_ NTSTATUS IrqlAndLockCasesDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIRQL_AND_LOCK_CASES_EXTENSION extension = IrqlAndLockCasesExtension(DeviceObject);
  NTSTATUS status = STATUS_SUCCESS;

  switch (IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_IRQL_AND_LOCK_CASES_LOWER_TO_HIGHER:
      IrqlAndLockCasesLowerToHigher(extension);
      break;
    case IOCTL_IRQL_AND_LOCK_CASES_FOR_DPC_LOWERED:
      IrqlAndLockCasesForDpcLowered(extension);
      break;
    case IOCTL_IRQL_AND_LOCK_CASES_QUEUED_LOWERED:
      IrqlAndLockCasesQueuedLowered(extension);
      break;
    case IOCTL_IRQL_AND_LOCK_CASES_AT_DPC_AT_PASSIVE:
      /* BUG: called from the dispatch routine, at PASSIVE_LEVEL. */
      IrqlAndLockCasesCountAtDpcLevel(extension);
      break;
    case IOCTL_IRQL_AND_LOCK_CASES_FROM_DPC_TWICE:
      IrqlAndLockCasesFromDpcTwice(extension);
      break;
    case IOCTL_IRQL_AND_LOCK_CASES_ABOVE_DISPATCH:
      IrqlAndLockCasesAboveDispatch(extension);
      break;
    case IOCTL_IRQL_AND_LOCK_CASES_LEAVE_UNENTERED:
      IrqlAndLockCasesLeaveUnentered(extension);
      break;
    case IOCTL_IRQL_AND_LOCK_CASES_ENTER_AT_DISPATCH:
      IrqlAndLockCasesEnterAtDispatch(extension);
      break;
    case IOCTL_IRQL_AND_LOCK_CASES_WAIT_TIMEOUT:
      IrqlAndLockCasesWaitTimeout(extension);
      break;
    case IOCTL_IRQL_AND_LOCK_CASES_ACQUIRE_TWICE:
      IrqlAndLockCasesAcquireTwice(extension);
      break;
    case IOCTL_IRQL_AND_LOCK_CASES_RELEASE_CROSSED:
      IrqlAndLockCasesReleaseCrossed(extension);
      break;
    case IOCTL_IRQL_AND_LOCK_CASES_MUTEX_UNOWNED:
      IrqlAndLockCasesMutexUnowned(extension);
      break;
    case IOCTL_IRQL_AND_LOCK_CASES_MUTEX_KEPT:
      status = IrqlAndLockCasesMutexKept(extension);
      break;
    case IOCTL_IRQL_AND_LOCK_CASES_WRONG_LOCK:
      IrqlAndLockCasesWrongLock(extension);
      break;
    case IOCTL_IRQL_AND_LOCK_CASES_QUEUED_TWICE:
      IrqlAndLockCasesQueuedTwice(extension);
      break;
    case IOCTL_IRQL_AND_LOCK_CASES_QUEUED_RELEASE_TWICE:
      IrqlAndLockCasesQueuedReleaseTwice(extension);
      break;
    case IOCTL_IRQL_AND_LOCK_CASES_SET_EVENT_WAIT:
      IrqlAndLockCasesSetEventWait(extension);
      break;
    default:
      status = STATUS_INVALID_DEVICE_REQUEST;
      break;
  }
  return IrqlAndLockCasesComplete(Irp, status);
}

_Use_decl_annotations_ VOID IrqlAndLockCasesUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(IRQL_AND_LOCK_CASES_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(IRQL_AND_LOCK_CASES_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(IRQL_AND_LOCK_CASES_LINK_NAME);
  PDEVICE_OBJECT device;
  PIRQL_AND_LOCK_CASES_EXTENSION extension;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(IRQL_AND_LOCK_CASES_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = IrqlAndLockCasesExtension(device);
  KeInitializeSpinLock(&extension->Lock);
  KeInitializeSpinLock(&extension->OtherLock);
  KeInitializeSpinLock(&extension->QueuedLock);
  KeInitializeSpinLock(&extension->InnerQueuedLock);
  KeInitializeMutex(&extension->Mutex, 0);
  KeInitializeEvent(&extension->Ready, NotificationEvent, FALSE);
  extension->Count = 0;
  extension->Total = 0;
  extension->Settings = 0;
  DbgPrint("irql_and_lock_cases: lock %p other lock %p\n", (PVOID)&extension->Lock, (PVOID)&extension->OtherLock);
  DbgPrint("irql_and_lock_cases: queued lock %p inner lock %p\n", (PVOID)&extension->QueuedLock,
           (PVOID)&extension->InnerQueuedLock);
  DbgPrint("irql_and_lock_cases: mutex %p event %p\n", (PVOID)&extension->Mutex, (PVOID)&extension->Ready);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = IrqlAndLockCasesCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = IrqlAndLockCasesCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = IrqlAndLockCasesDeviceControl;
  DriverObject->DriverUnload = IrqlAndLockCasesUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
