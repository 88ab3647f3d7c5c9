/*
 * irp_handling_cases - BUGGY ON PURPOSE: one IOCTL per classic IRP handling mistake.
 *
 * The driver makes two devices: a lower one (no name) and an upper one (\Device\IrpHandlingCases)
 * attached to it. Every request arrives at the upper device; one device control code per case
 * runs exactly one bug, usually on that request, sometimes on an IRP the driver makes and sends
 * to its lower device. No interleaving is needed: one call of the IOCTL exposes it. A fatal case
 * stops the machine, so each case runs on a machine of its own.
 *
 * The cases (the bug -> what Driver Verifier reports). "rule X" is a DDI compliance rule with no
 * Driver Verifier ID, reported non-fatal as WDMLAB_DDI_RULE_VIOLATION [0, object, address in the
 * driver, rule-specific]. The driver prints with %p the request, its routines, its remove lock,
 * the upper device and every IRP or device it makes, so the parameters can be checked:
 *   0x800  completes the request with Status = STATUS_PENDING
 *          -> 0xC9 [0x06, 0x103, IRP, 0]
 *   0x801  completes the request at HIGH_LEVEL
 *          -> 0xC9 [0x0E, 0xF (the IRQL), IRP, 0]
 *   0x802  passes the request down with its cancel routine still set
 *          -> 0xC9 [0x203, caller, IRP, cancel routine]
 *   0x803  sends an IRP of one stack location to the upper device, whose StackSize is 2
 *          -> 0xC9 [0x208, caller, that IRP, upper device]
 *   0x804  deletes a spare device object twice
 *          -> 0xC9 [0x240, caller, 0, spare device]
 *   0x805  a completion routine sets a cancel routine and lets completion go on
 *          -> 0xC9 [0x23C, completion routine, IRP, cancel routine]
 *   0x806  the lower device keeps an IRP of the driver's own and returns 0xFFFFFFFF
 *          -> 0xC9 [0x225, dispatch routine, that IRP, 0xFFFFFFFF], non-fatal
 *   0x807  a completion routine returns at DISPATCH_LEVEL
 *          -> 0xC4 [0xFA, completion routine, 0, 2]
 *   0x808  a completion routine enters a critical region and never leaves it
 *          -> 0xC4 [0xFB, completion routine, 0, 0xFFFF]
 *   0x809  IoReleaseRemoveLockAndWait with the device object as tag; the IRP was the tag acquired
 *          -> 0xC4 [0xD6, lock, device object, IRP] (after the rule of case 0x80F)
 *   0x80A  IoInitializeRemoveLock again while an acquisition is held
 *          -> 0xC4 [0xD7, lock, 1, 0]
 *   0x80B  completes the request and returns STATUS_PENDING without marking it pending
 *          -> 0xC9 [0x23D, dispatch routine, IRP, 0x103], then rule PendedCompletedRequest
 *          [0, IRP, dispatch routine, 0x103]; the caller's wait is then never satisfied (a hang)
 *   0x80C  the lower device keeps an IRP of the driver's own and returns STATUS_SUCCESS
 *          -> rule IrpProcessingComplete [0, that IRP, dispatch routine, 0]
 *   0x80D  sets a completion routine with IoSetCompletionRoutineEx, then completes the request
 *          instead of sending it -> rule CompletionRoutineRegistered [0, IRP, dispatch routine, 0]
 *   0x80E  completes the request still holding the remove lock acquisition made for it
 *          -> rule RemoveLockReleaseDeviceControl [0, IRP, dispatch routine, 1]
 *   0x80F  IoReleaseRemoveLockAndWait while handling a device control (not IRP_MN_REMOVE_DEVICE)
 *          -> rule IoReleaseRemoveLockAndWaitOutsideRemoveDevice [0, lock, caller, 0]
 *   0x810  IoStartPacket with a cancel routine after IoSetStartIoAttributes(..., FALSE)
 *          -> rule StartIoCancel [0, IRP, caller, 0]
 *   0x811  IoFreeIrp of the request the I/O manager sent -> rule IoAllocateFree [0, IRP, caller, 0],
 *          then 0xC9 [0x02, IRP, 0, 0]: the IRP is still queued to its thread
 *   0x812  IoFreeIrp of an IRP from IoBuildDeviceIoControlRequest -> rule
 *          IoBuildDeviceControlNoFree [0, that IRP, caller, 0], then 0xC9 [0x02, that IRP, 0, 0]
 *   0x813  sends an IoBuildDeviceIoControlRequest IRP, the lower device pends it, and the
 *          dispatch routine returns without waiting for its event -> rule IoBuildDeviceControlWait
 *          [0, that IRP, dispatch routine, 0]
 *   0x814  sends an IRP from IoAllocateIrp without a completion routine -> rule IoAllocateForward
 *          [0, that IRP, caller, 0], then 0x1E: completion has no thread to finish the IRP for
 *   0x815  returns holding the cancel spin lock -> rule CancelSpinLock [0, the cancel spin lock,
 *          dispatch routine, 0], then 0xC9 [0x05, ...]: the IRQL is still DISPATCH_LEVEL
 *   0x816  ignores the failure of IoSetCompletionRoutineEx and passes the request down anyway;
 *          exposed by low resources simulation (systematic: the call's first stack fails)
 *          -> 0xC4 [0x4100F, caller, IRP, 0] (rule IoSetCompletionExCompleteIrp)
 *
 * Without Driver Verifier, Windows carries on: the cases that are non-fatal under the verifier
 * (0x806, 0x80C-0x80F, 0x813) give nothing at all; the others corrupt state, hang or crash later.
 */
#include <ntddk.h>

#define IRP_CASES_DEVICE_NAME L"\\Device\\IrpHandlingCases"
#define IRP_CASES_LINK_NAME L"\\??\\IrpHandlingCases"
#define IRP_CASES_TAG 'cHrI'

#define IRP_CASES_IOCTL(n) CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800 + (n), METHOD_BUFFERED, FILE_ANY_ACCESS)

/* What the lower device does with an IRP it gets. */
typedef enum _IRP_CASES_LOWER_MODE {
  LowerComplete = 0,       /* completes it at once */
  LowerKeepSucceed,        /* keeps it, a timer completes it, returns STATUS_SUCCESS (bug) */
  LowerKeepUninitialised,  /* keeps it, a timer completes it, returns 0xFFFFFFFF (bug) */
  LowerPend                /* marks it pending, keeps it, a timer completes it */
} IRP_CASES_LOWER_MODE;

typedef struct _IRP_CASES_EXTENSION {
  BOOLEAN IsLower;
  PDEVICE_OBJECT Next;      /* upper: the lower device */
  IRP_CASES_LOWER_MODE Mode; /* lower: what to do with the next IRP */
  PIRP Held;                /* lower: the IRP it keeps */
  KTIMER Timer;
  KDPC Dpc;
  KEVENT Done;              /* upper: set when an IRP of its own is back */
  IO_STATUS_BLOCK BuiltStatus;
  IO_REMOVE_LOCK RemoveLock;
} IRP_CASES_EXTENSION, *PIRP_CASES_EXTENSION;

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD IrpCasesUnload;
DRIVER_DISPATCH IrpCasesDispatch;
DRIVER_STARTIO IrpCasesStartIo;
DRIVER_CANCEL IrpCasesCancel;
IO_COMPLETION_ROUTINE IrpCasesSignal;
IO_COMPLETION_ROUTINE IrpCasesSetCancel;
IO_COMPLETION_ROUTINE IrpCasesRaise;
IO_COMPLETION_ROUTINE IrpCasesEnterRegion;
KDEFERRED_ROUTINE IrpCasesTimerDpc;

static PDEVICE_OBJECT IrpCasesUpper;
static PDEVICE_OBJECT IrpCasesLower;

static NTSTATUS IrpCasesComplete(_In_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ VOID IrpCasesCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  IoReleaseCancelSpinLock(Irp->CancelIrql);
  IrpCasesComplete(Irp, STATUS_CANCELLED);
}

_Use_decl_annotations_ NTSTATUS IrpCasesSignal(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  UNREFERENCED_PARAMETER(DeviceObject);
  UNREFERENCED_PARAMETER(Irp);
  KeSetEvent((PKEVENT)Context, IO_NO_INCREMENT, FALSE);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

_Use_decl_annotations_ NTSTATUS IrpCasesSetCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  UNREFERENCED_PARAMETER(DeviceObject);
  UNREFERENCED_PARAMETER(Context);
  IoSetCancelRoutine(Irp, IrpCasesCancel); /* BUG: completion goes on with a cancel routine set */
  return STATUS_CONTINUE_COMPLETION;
}

_Use_decl_annotations_ NTSTATUS IrpCasesRaise(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  KIRQL irql;
  UNREFERENCED_PARAMETER(DeviceObject);
  UNREFERENCED_PARAMETER(Irp);
  UNREFERENCED_PARAMETER(Context);
  KeRaiseIrql(DISPATCH_LEVEL, &irql); /* BUG: never lowered */
  return STATUS_CONTINUE_COMPLETION;
}

_Use_decl_annotations_ NTSTATUS IrpCasesEnterRegion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  UNREFERENCED_PARAMETER(DeviceObject);
  UNREFERENCED_PARAMETER(Irp);
  UNREFERENCED_PARAMETER(Context);
  KeEnterCriticalRegion(); /* BUG: never left */
  return STATUS_CONTINUE_COMPLETION;
}

_Use_decl_annotations_ VOID IrpCasesTimerDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2) {
  PIRP_CASES_EXTENSION extension = (PIRP_CASES_EXTENSION)Context;
  PIRP held = extension->Held;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(Argument1);
  UNREFERENCED_PARAMETER(Argument2);
  extension->Held = NULL;
  if (held != NULL) {
    IrpCasesComplete(held, STATUS_SUCCESS);
  }
}

_Use_decl_annotations_ VOID IrpCasesStartIo(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  KIRQL irql;

  IoAcquireCancelSpinLock(&irql);
  if (IoSetCancelRoutine(Irp, NULL) == NULL) {
    IoReleaseCancelSpinLock(irql);
    return; /* the cancel routine owns it */
  }
  IoReleaseCancelSpinLock(irql);
  IrpCasesComplete(Irp, STATUS_SUCCESS);
  IoStartNextPacket(DeviceObject, TRUE);
}

/* The lower device: does what the upper one asked for the next IRP. */
static NTSTATUS IrpCasesLowerDispatch(_In_ PIRP_CASES_EXTENSION Extension, _In_ PIRP Irp) {
  IRP_CASES_LOWER_MODE mode = Extension->Mode;
  LARGE_INTEGER due;

  Extension->Mode = LowerComplete;
  if (mode == LowerComplete) {
    return IrpCasesComplete(Irp, STATUS_SUCCESS);
  }
  if (mode == LowerPend) {
    IoMarkIrpPending(Irp);
  }
  Extension->Held = Irp;
  due.QuadPart = -10000; /* 1 ms */
  KeSetTimer(&Extension->Timer, due, &Extension->Dpc);
  if (mode == LowerKeepSucceed) {
    return STATUS_SUCCESS; /* BUG (case 0x80C): neither completed nor passed on */
  }
  if (mode == LowerKeepUninitialised) {
    return (NTSTATUS)0xFFFFFFFF; /* BUG (case 0x806): a status never set */
  }
  return STATUS_PENDING;
}

/* Sends an IRP of the driver's own to the lower device and waits until it is back. */
static VOID IrpCasesSendOwn(_In_ PIRP_CASES_EXTENSION Extension, _In_ IRP_CASES_LOWER_MODE Mode) {
  PIRP own = IoAllocateIrp(Extension->Next->StackSize, FALSE);

  if (own == NULL) {
    return;
  }
  DbgPrint("irp_handling_cases: own %p\n", own);
  IoGetNextIrpStackLocation(own)->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
  KeInitializeEvent(&Extension->Done, NotificationEvent, FALSE);
  IoSetCompletionRoutine(own, IrpCasesSignal, &Extension->Done, TRUE, TRUE, TRUE);
  ((PIRP_CASES_EXTENSION)Extension->Next->DeviceExtension)->Mode = Mode;
  (void)IoCallDriver(Extension->Next, own);
  KeWaitForSingleObject(&Extension->Done, Executive, KernelMode, FALSE, NULL);
  IoFreeIrp(own);
}

/* Passes the request down with a copy of its location and `Routine` as completion routine. */
static NTSTATUS IrpCasesForward(_In_ PIRP_CASES_EXTENSION Extension, _In_ PIRP Irp,
                                _In_ PIO_COMPLETION_ROUTINE Routine) {
  IoCopyCurrentIrpStackLocationToNext(Irp);
  IoSetCompletionRoutine(Irp, Routine, NULL, TRUE, TRUE, TRUE);
  return IoCallDriver(Extension->Next, Irp);
}

static NTSTATUS IrpCasesDeviceControl(_In_ PDEVICE_OBJECT DeviceObject, _In_ PIRP Irp) {
  PIRP_CASES_EXTENSION extension = (PIRP_CASES_EXTENSION)DeviceObject->DeviceExtension;
  ULONG code = IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode;
  PDEVICE_OBJECT spare;
  PIRP own;
  KIRQL irql;
  NTSTATUS status;

  DbgPrint("irp_handling_cases: irp %p dispatch %p cancel %p lock %p upper %p\n", Irp, (PVOID)IrpCasesDispatch,
           (PVOID)IrpCasesCancel, (PVOID)&extension->RemoveLock, DeviceObject);
  DbgPrint("irp_handling_cases: signal %p setcancel %p raise %p region %p\n", (PVOID)IrpCasesSignal,
           (PVOID)IrpCasesSetCancel, (PVOID)IrpCasesRaise, (PVOID)IrpCasesEnterRegion);
  switch (code) {
    case IRP_CASES_IOCTL(0x00):
      Irp->IoStatus.Status = STATUS_PENDING; /* BUG: not a final status */
      IoCompleteRequest(Irp, IO_NO_INCREMENT);
      return STATUS_PENDING;
    case IRP_CASES_IOCTL(0x01):
      KeRaiseIrql(HIGH_LEVEL, &irql);
      IrpCasesComplete(Irp, STATUS_SUCCESS); /* BUG: above DISPATCH_LEVEL */
      KeLowerIrql(irql);
      return STATUS_SUCCESS;
    case IRP_CASES_IOCTL(0x02):
      IoSetCancelRoutine(Irp, IrpCasesCancel);
      IoSkipCurrentIrpStackLocation(Irp);
      return IoCallDriver(extension->Next, Irp); /* BUG: still cancelable */
    case IRP_CASES_IOCTL(0x03):
      own = IoAllocateIrp(1, FALSE); /* BUG: the upper device needs two locations */
      if (own == NULL) {
        return IrpCasesComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
      }
      DbgPrint("irp_handling_cases: own %p\n", own);
      IoGetNextIrpStackLocation(own)->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
      (void)IoCallDriver(DeviceObject, own);
      IoFreeIrp(own);
      return IrpCasesComplete(Irp, STATUS_SUCCESS);
    case IRP_CASES_IOCTL(0x04):
      status = IoCreateDevice(DeviceObject->DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &spare);
      if (!NT_SUCCESS(status)) {
        return IrpCasesComplete(Irp, status);
      }
      DbgPrint("irp_handling_cases: spare %p\n", spare);
      ObReferenceObject(spare);
      IoDeleteDevice(spare);
      IoDeleteDevice(spare); /* BUG: deleted twice */
      ObDereferenceObject(spare);
      return IrpCasesComplete(Irp, STATUS_SUCCESS);
    case IRP_CASES_IOCTL(0x05):
      return IrpCasesForward(extension, Irp, IrpCasesSetCancel);
    case IRP_CASES_IOCTL(0x06):
      IrpCasesSendOwn(extension, LowerKeepUninitialised);
      return IrpCasesComplete(Irp, STATUS_SUCCESS);
    case IRP_CASES_IOCTL(0x07):
      return IrpCasesForward(extension, Irp, IrpCasesRaise);
    case IRP_CASES_IOCTL(0x08):
      return IrpCasesForward(extension, Irp, IrpCasesEnterRegion);
    case IRP_CASES_IOCTL(0x09):
      status = IoAcquireRemoveLock(&extension->RemoveLock, Irp);
      if (!NT_SUCCESS(status)) {
        return IrpCasesComplete(Irp, status);
      }
      IoReleaseRemoveLockAndWait(&extension->RemoveLock, DeviceObject); /* BUG: not the tag acquired */
      return IrpCasesComplete(Irp, STATUS_SUCCESS);
    case IRP_CASES_IOCTL(0x0A):
      status = IoAcquireRemoveLock(&extension->RemoveLock, Irp);
      if (!NT_SUCCESS(status)) {
        return IrpCasesComplete(Irp, status);
      }
      IoInitializeRemoveLock(&extension->RemoveLock, IRP_CASES_TAG, 0, 0); /* BUG: the lock is in use */
      return IrpCasesComplete(Irp, STATUS_SUCCESS);
    case IRP_CASES_IOCTL(0x0B):
      IrpCasesComplete(Irp, STATUS_SUCCESS);
      return STATUS_PENDING; /* BUG: completed, and never marked pending */
    case IRP_CASES_IOCTL(0x0C):
      IrpCasesSendOwn(extension, LowerKeepSucceed);
      return IrpCasesComplete(Irp, STATUS_SUCCESS);
    case IRP_CASES_IOCTL(0x0D):
      IoCopyCurrentIrpStackLocationToNext(Irp);
      (void)IoSetCompletionRoutineEx(DeviceObject, Irp, IrpCasesSignal, &extension->Done, TRUE, TRUE, TRUE);
      return IrpCasesComplete(Irp, STATUS_SUCCESS); /* BUG: the routine was registered, never sent */
    case IRP_CASES_IOCTL(0x0E):
      status = IoAcquireRemoveLock(&extension->RemoveLock, Irp);
      if (!NT_SUCCESS(status)) {
        return IrpCasesComplete(Irp, status);
      }
      return IrpCasesComplete(Irp, STATUS_SUCCESS); /* BUG: no IoReleaseRemoveLock */
    case IRP_CASES_IOCTL(0x0F):
      status = IoAcquireRemoveLock(&extension->RemoveLock, Irp);
      if (!NT_SUCCESS(status)) {
        return IrpCasesComplete(Irp, status);
      }
      IoReleaseRemoveLockAndWait(&extension->RemoveLock, Irp); /* BUG: only for IRP_MN_REMOVE_DEVICE */
      return IrpCasesComplete(Irp, STATUS_SUCCESS);
    case IRP_CASES_IOCTL(0x10):
      IoSetStartIoAttributes(DeviceObject, TRUE, FALSE);
      IoMarkIrpPending(Irp);
      IoStartPacket(DeviceObject, Irp, NULL, IrpCasesCancel); /* BUG: StartIo was made non-cancelable */
      return STATUS_PENDING;
    case IRP_CASES_IOCTL(0x11):
      IoFreeIrp(Irp); /* BUG: the I/O manager's IRP */
      return STATUS_SUCCESS;
    case IRP_CASES_IOCTL(0x12):
      own = IoBuildDeviceIoControlRequest(IRP_CASES_IOCTL(0x20), extension->Next, NULL, 0, NULL, 0, TRUE,
                                          &extension->Done, &extension->BuiltStatus);
      if (own != NULL) {
        DbgPrint("irp_handling_cases: own %p\n", own);
        IoFreeIrp(own); /* BUG: the I/O manager frees it */
      }
      return IrpCasesComplete(Irp, STATUS_SUCCESS);
    case IRP_CASES_IOCTL(0x13):
      KeInitializeEvent(&extension->Done, NotificationEvent, FALSE);
      own = IoBuildDeviceIoControlRequest(IRP_CASES_IOCTL(0x20), extension->Next, NULL, 0, NULL, 0, TRUE,
                                          &extension->Done, &extension->BuiltStatus);
      if (own != NULL) {
        DbgPrint("irp_handling_cases: own %p\n", own);
        ((PIRP_CASES_EXTENSION)extension->Next->DeviceExtension)->Mode = LowerPend;
        (void)IoCallDriver(extension->Next, own); /* BUG: STATUS_PENDING, and no wait */
      }
      return IrpCasesComplete(Irp, STATUS_SUCCESS);
    case IRP_CASES_IOCTL(0x14):
      own = IoAllocateIrp(extension->Next->StackSize, FALSE);
      if (own != NULL) {
        DbgPrint("irp_handling_cases: own %p\n", own);
        IoGetNextIrpStackLocation(own)->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
        (void)IoCallDriver(extension->Next, own); /* BUG: no completion routine to take it back */
      }
      return IrpCasesComplete(Irp, STATUS_SUCCESS);
    case IRP_CASES_IOCTL(0x16):
      IoCopyCurrentIrpStackLocationToNext(Irp);
      (void)IoSetCompletionRoutineEx(DeviceObject, Irp, IrpCasesSignal, &extension->Done, TRUE, TRUE, TRUE);
      return IoCallDriver(extension->Next, Irp); /* BUG: sent although IoSetCompletionRoutineEx failed */
    case IRP_CASES_IOCTL(0x15):
      IoAcquireCancelSpinLock(&irql);
      UNREFERENCED_PARAMETER(irql);
      return IrpCasesComplete(Irp, STATUS_SUCCESS); /* BUG: the cancel spin lock is still held */
    default:
      return IrpCasesComplete(Irp, STATUS_INVALID_DEVICE_REQUEST);
  }
}

_Use_decl_annotations_ NTSTATUS IrpCasesDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIRP_CASES_EXTENSION extension = (PIRP_CASES_EXTENSION)DeviceObject->DeviceExtension;
  UCHAR major = IoGetCurrentIrpStackLocation(Irp)->MajorFunction;

  if (extension->IsLower) {
    return IrpCasesLowerDispatch(extension, Irp);
  }
  if (major == IRP_MJ_DEVICE_CONTROL) {
    return IrpCasesDeviceControl(DeviceObject, Irp);
  }
  return IrpCasesComplete(Irp, major == IRP_MJ_CREATE || major == IRP_MJ_CLEANUP || major == IRP_MJ_CLOSE
                                   ? STATUS_SUCCESS
                                   : STATUS_INVALID_DEVICE_REQUEST);
}

_Use_decl_annotations_ VOID IrpCasesUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(IRP_CASES_LINK_NAME);
  UNREFERENCED_PARAMETER(DriverObject);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDetachDevice(IrpCasesLower);
  IoDeleteDevice(IrpCasesUpper);
  IoDeleteDevice(IrpCasesLower);
}

static VOID IrpCasesInitExtension(_In_ PDEVICE_OBJECT Device, _In_ BOOLEAN IsLower) {
  PIRP_CASES_EXTENSION extension = (PIRP_CASES_EXTENSION)Device->DeviceExtension;

  RtlZeroMemory(extension, sizeof(*extension));
  extension->IsLower = IsLower;
  KeInitializeTimer(&extension->Timer);
  KeInitializeDpc(&extension->Dpc, IrpCasesTimerDpc, extension);
  KeInitializeEvent(&extension->Done, NotificationEvent, FALSE);
  IoInitializeRemoveLock(&extension->RemoveLock, IRP_CASES_TAG, 0, 0);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(IRP_CASES_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(IRP_CASES_LINK_NAME);
  PIRP_CASES_EXTENSION upper;
  NTSTATUS status;
  ULONG major;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(IRP_CASES_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE,
                          &IrpCasesLower);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  IrpCasesInitExtension(IrpCasesLower, TRUE);
  status = IoCreateDevice(DriverObject, sizeof(IRP_CASES_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &IrpCasesUpper);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(IrpCasesLower);
    return status;
  }
  IrpCasesInitExtension(IrpCasesUpper, FALSE);
  upper = (PIRP_CASES_EXTENSION)IrpCasesUpper->DeviceExtension;
  upper->Next = IoAttachDeviceToDeviceStack(IrpCasesUpper, IrpCasesLower);
  status = IoCreateSymbolicLink(&link, &name);
  if (upper->Next == NULL || !NT_SUCCESS(status)) {
    if (upper->Next != NULL) {
      IoDetachDevice(upper->Next);
    }
    IoDeleteDevice(IrpCasesUpper);
    IoDeleteDevice(IrpCasesLower);
    return NT_SUCCESS(status) ? STATUS_UNSUCCESSFUL : status;
  }
  for (major = 0; major <= IRP_MJ_MAXIMUM_FUNCTION; major++) {
    DriverObject->MajorFunction[major] = IrpCasesDispatch;
  }
  DriverObject->DriverStartIo = IrpCasesStartIo;
  DriverObject->DriverUnload = IrpCasesUnload;
  IrpCasesUpper->Flags |= DO_BUFFERED_IO;
  IrpCasesUpper->Flags &= ~DO_DEVICE_INITIALIZING;
  IrpCasesLower->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
