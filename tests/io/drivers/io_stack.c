/*
 * io_stack.c - a WDM driver with a three-device stack for the I/O manager's tests (see io_stack.h).
 */
#include <ntddk.h>

#include "io_stack.h"

typedef struct _IOSTACK_EXTENSION {
  ULONG Level;
  PDEVICE_OBJECT Lower; /* the device this one is attached to; NULL at the bottom */
  KDPC Dpc;
  PIO_WORKITEM WorkItem;
} IOSTACK_EXTENSION, *PIOSTACK_EXTENSION;

IOSTACK_LEVEL IoStackLevels[3];
PDEVICE_OBJECT IoStackDevices[3];
PDEVICE_OBJECT IoStackExclusiveDevice;
PIRP IoStackKept;
PIRP IoStackReclaimed;
IOSTACK_REQUESTOR IoStackRequestor[2];

static UNICODE_STRING LowerName = RTL_CONSTANT_STRING(L"\\Device\\IoStackLower");
static UNICODE_STRING ExclusiveName = RTL_CONSTANT_STRING(L"\\Device\\IoStackExclusive");
static UNICODE_STRING LinkName = RTL_CONSTANT_STRING(L"\\DosDevices\\IoStack");

VOID IoStackReset(VOID) {
  ULONG level;
  RtlZeroMemory(IoStackLevels, sizeof(IoStackLevels));
  for (level = 0; level < 3; ++level) {
    IoStackLevels[level].Action = level == 0 ? IoStackComplete : IoStackSkip;
    IoStackLevels[level].Status = STATUS_SUCCESS;
    IoStackLevels[level].InvokeOnSuccess = TRUE;
    IoStackLevels[level].InvokeOnError = TRUE;
    IoStackLevels[level].InvokeOnCancel = TRUE;
    IoStackLevels[level].RoutineResult = STATUS_CONTINUE_COMPLETION;
  }
  IoStackKept = NULL;
  IoStackReclaimed = NULL;
  RtlZeroMemory(IoStackRequestor, sizeof(IoStackRequestor));
}

static VOID RecordRequestor(PIRP Irp, ULONG Index) {
  IOSTACK_REQUESTOR* record = &IoStackRequestor[Index];
  record->Recorded = TRUE;
  record->RequestorProcess = IoGetRequestorProcess(Irp);
  record->RequestorProcessId = IoGetRequestorProcessId(Irp);
  record->CurrentProcess = IoGetCurrentProcess();
  record->CurrentProcessId = PsGetCurrentProcessId();
  record->Is32bit = IoIs32bitProcess(Irp);
}

/* The bottom device completes a request as IoStackLevels[0] says. */
static VOID CompleteAtBottom(PIRP Irp) {
  PIOSTACK_LEVEL config = &IoStackLevels[0];
  RecordRequestor(Irp, 1);
  DbgPrint("io_stack: L0 completes status=%08X irql=%u\n", config->Status, KeGetCurrentIrql());
  Irp->IoStatus.Status = config->Status;
  Irp->IoStatus.Information = config->Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

static KDEFERRED_ROUTINE CompleteFromDpc;
static VOID CompleteFromDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2) {
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(DeferredContext);
  UNREFERENCED_PARAMETER(SystemArgument2);
  CompleteAtBottom((PIRP)SystemArgument1);
}

static IO_WORKITEM_ROUTINE CompleteFromWorkItem;
static VOID CompleteFromWorkItem(PDEVICE_OBJECT DeviceObject, PVOID Context) {
  UNREFERENCED_PARAMETER(DeviceObject);
  CompleteAtBottom((PIRP)Context);
}

static NTSTATUS BottomDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIOSTACK_EXTENSION extension = (PIOSTACK_EXTENSION)DeviceObject->DeviceExtension;
  PIOSTACK_LEVEL config = &IoStackLevels[0];
  NTSTATUS status;
  RecordRequestor(Irp, 0);
  switch (config->Action) {
    case IoStackPendDpc:
      IoMarkIrpPending(Irp);
      KeInsertQueueDpc(&extension->Dpc, Irp, NULL);
      return STATUS_PENDING;
    case IoStackPendWorkItem:
      IoMarkIrpPending(Irp);
      IoQueueWorkItem(extension->WorkItem, CompleteFromWorkItem, DelayedWorkQueue, Irp);
      return STATUS_PENDING;
    case IoStackPendKeep:
      IoMarkIrpPending(Irp);
      IoStackKept = Irp;
      return STATUS_PENDING;
    default:
      if (config->SetCancel) IoCancelIrp(Irp);
      status = config->Status;
      CompleteAtBottom(Irp);
      return status;
  }
}

static IO_COMPLETION_ROUTINE FilterCompletion;
static NTSTATUS FilterCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  PIOSTACK_EXTENSION extension = (PIOSTACK_EXTENSION)DeviceObject->DeviceExtension;
  NTSTATUS result = IoStackLevels[extension->Level].RoutineResult;
  UNREFERENCED_PARAMETER(Context);
  DbgPrint("io_stack: L%u routine status=%08X pending=%u cancel=%u\n", extension->Level, Irp->IoStatus.Status,
           Irp->PendingReturned, Irp->Cancel);
  if (result == STATUS_MORE_PROCESSING_REQUIRED) {
    IoStackReclaimed = Irp;
    return result;
  }
  if (Irp->PendingReturned) IoMarkIrpPending(Irp);
  return result;
}

static IO_COMPLETION_ROUTINE SignalCompletion;
static NTSTATUS SignalCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  PIOSTACK_EXTENSION extension = (PIOSTACK_EXTENSION)DeviceObject->DeviceExtension;
  DbgPrint("io_stack: L%u routine status=%08X pending=%u cancel=%u\n", extension->Level, Irp->IoStatus.Status,
           Irp->PendingReturned, Irp->Cancel);
  KeSetEvent((PKEVENT)Context, IO_NO_INCREMENT, FALSE);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

static NTSTATUS ForwardAndWait(PIOSTACK_EXTENSION Extension, PIRP Irp) {
  PIOSTACK_LEVEL config = &IoStackLevels[Extension->Level];
  KEVENT event;
  NTSTATUS status;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  IoCopyCurrentIrpStackLocationToNext(Irp);
  IoSetCompletionRoutine(Irp, SignalCompletion, &event, TRUE, TRUE, TRUE);
  status = IoCallDriver(Extension->Lower, Irp);
  if (status == STATUS_PENDING) KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
  DbgPrint("io_stack: L%u completes again status=%08X\n", Extension->Level, config->Status);
  Irp->IoStatus.Status = config->Status;
  Irp->IoStatus.Information = config->Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return config->Status;
}

static NTSTATUS FilterDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIOSTACK_EXTENSION extension = (PIOSTACK_EXTENSION)DeviceObject->DeviceExtension;
  PIOSTACK_LEVEL config = &IoStackLevels[extension->Level];
  NTSTATUS status;
  switch (config->Action) {
    case IoStackCopy:
      IoCopyCurrentIrpStackLocationToNext(Irp);
      IoSetCompletionRoutine(Irp, FilterCompletion, NULL, config->InvokeOnSuccess, config->InvokeOnError,
                             config->InvokeOnCancel);
      return IoCallDriver(extension->Lower, Irp);
    case IoStackCopyEx:
      IoCopyCurrentIrpStackLocationToNext(Irp);
      status = IoSetCompletionRoutineEx(DeviceObject, Irp, FilterCompletion, NULL, config->InvokeOnSuccess,
                                        config->InvokeOnError, config->InvokeOnCancel);
      if (!NT_SUCCESS(status)) {
        Irp->IoStatus.Status = status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return status;
      }
      return IoCallDriver(extension->Lower, Irp);
    case IoStackForwardAndWait:
      return ForwardAndWait(extension, Irp);
    default:
      IoSkipCurrentIrpStackLocation(Irp);
      return IoCallDriver(extension->Lower, Irp);
  }
}

static DRIVER_DISPATCH IoStackRequest;
static NTSTATUS IoStackRequest(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIOSTACK_EXTENSION extension = (PIOSTACK_EXTENSION)DeviceObject->DeviceExtension;
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  DbgPrint("io_stack: L%u dispatch location=%d code=%08X\n", extension->Level, Irp->CurrentLocation,
           stack->Parameters.DeviceIoControl.IoControlCode);
  return extension->Lower == NULL ? BottomDispatch(DeviceObject, Irp) : FilterDispatch(DeviceObject, Irp);
}

/* Create, cleanup and close: passed down, completed at the bottom. */
static DRIVER_DISPATCH IoStackOpenClose;
static NTSTATUS IoStackOpenClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  static const char* const names[] = {"create", "?", "close", "?", "?", "?", "?", "?", "?",
                                      "?",      "?", "?",     "?", "?", "?", "?", "?", "?", "cleanup"};
  PIOSTACK_EXTENSION extension = (PIOSTACK_EXTENSION)DeviceObject->DeviceExtension;
  UCHAR major = IoGetCurrentIrpStackLocation(Irp)->MajorFunction;
  DbgPrint("io_stack: L%u %s\n", extension->Level, major < RTL_NUMBER_OF(names) ? names[major] : "?");
  if (extension->Lower != NULL) {
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(extension->Lower, Irp);
  }
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

static NTSTATUS CreateLevel(PDRIVER_OBJECT DriverObject, PUNICODE_STRING Name, ULONG Level, BOOLEAN Exclusive,
                            PDEVICE_OBJECT* Device) {
  PIOSTACK_EXTENSION extension;
  NTSTATUS status = IoCreateDevice(DriverObject, sizeof(IOSTACK_EXTENSION), Name, FILE_DEVICE_UNKNOWN, 0, Exclusive,
                                   Device);
  if (!NT_SUCCESS(status)) return status;
  extension = (PIOSTACK_EXTENSION)(*Device)->DeviceExtension;
  extension->Level = Level;
  KeInitializeDpc(&extension->Dpc, CompleteFromDpc, NULL);
  extension->WorkItem = IoAllocateWorkItem(*Device);
  if (extension->WorkItem == NULL) {
    IoDeleteDevice(*Device);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  return STATUS_SUCCESS;
}

static VOID DeleteLevel(PDEVICE_OBJECT Device) {
  PIOSTACK_EXTENSION extension = (PIOSTACK_EXTENSION)Device->DeviceExtension;
  if (extension->Lower != NULL) IoDetachDevice(extension->Lower);
  IoFreeWorkItem(extension->WorkItem);
  IoDeleteDevice(Device);
}

static DRIVER_UNLOAD IoStackUnload;
static VOID IoStackUnload(PDRIVER_OBJECT DriverObject) {
  UNREFERENCED_PARAMETER(DriverObject);
  IoDeleteSymbolicLink(&LinkName);
  DeleteLevel(IoStackDevices[2]);
  DeleteLevel(IoStackDevices[1]);
  DeleteLevel(IoStackDevices[0]);
  DeleteLevel(IoStackExclusiveDevice);
}

DRIVER_INITIALIZE DriverEntry;
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  NTSTATUS status;
  ULONG level;
  UNREFERENCED_PARAMETER(RegistryPath);
  IoStackReset();
  RtlZeroMemory(IoStackDevices, sizeof(IoStackDevices));
  status = CreateLevel(DriverObject, &LowerName, 0, FALSE, &IoStackDevices[0]);
  if (!NT_SUCCESS(status)) return status;
  IoStackDevices[0]->Flags |= DO_BUFFERED_IO;
  for (level = 1; level < 3 && NT_SUCCESS(status); ++level) {
    PIOSTACK_EXTENSION extension;
    status = CreateLevel(DriverObject, NULL, level, FALSE, &IoStackDevices[level]);
    if (!NT_SUCCESS(status)) break;
    extension = (PIOSTACK_EXTENSION)IoStackDevices[level]->DeviceExtension;
    extension->Lower = IoAttachDeviceToDeviceStack(IoStackDevices[level], IoStackDevices[level - 1]);
    IoStackDevices[level]->Flags |= DO_BUFFERED_IO;
  }
  if (NT_SUCCESS(status)) status = CreateLevel(DriverObject, &ExclusiveName, 0, TRUE, &IoStackExclusiveDevice);
  if (NT_SUCCESS(status)) status = IoCreateSymbolicLink(&LinkName, &LowerName);
  if (!NT_SUCCESS(status)) {
    for (level = 3; level-- > 0;) {
      if (IoStackDevices[level] != NULL) DeleteLevel(IoStackDevices[level]);
    }
    if (IoStackExclusiveDevice != NULL) DeleteLevel(IoStackExclusiveDevice);
    return status;
  }
  DriverObject->MajorFunction[IRP_MJ_CREATE] = IoStackOpenClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = IoStackOpenClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = IoStackOpenClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = IoStackRequest;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = IoStackRequest;
  DriverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = IoStackRequest;
  DriverObject->DriverUnload = IoStackUnload;
  return STATUS_SUCCESS;
}

/* The sender: an IRP of its own, freed in its completion routine's stead once it has waited. */
typedef struct _SEND_CONTEXT {
  KEVENT Done;
  PIOSTACK_RESULT Result;
} SEND_CONTEXT;

static IO_COMPLETION_ROUTINE SendCompletion;
static NTSTATUS SendCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  SEND_CONTEXT* send = (SEND_CONTEXT*)Context;
  DbgPrint("io_stack: sender routine status=%08X pending=%u\n", Irp->IoStatus.Status, Irp->PendingReturned);
  send->Result->PendingReturned = Irp->PendingReturned;
  send->Result->RoutineDeviceIsNull = DeviceObject == NULL;
  KeSetEvent(&send->Done, IO_NO_INCREMENT, FALSE);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

VOID IoStackSend(PDEVICE_OBJECT Target, PIOSTACK_RESULT Result) {
  SEND_CONTEXT send;
  PIO_STACK_LOCATION next;
  PIRP irp = IoAllocateIrp(Target->StackSize, FALSE);
  RtlZeroMemory(Result, sizeof(*Result));
  if (irp == NULL) {
    Result->CallStatus = STATUS_INSUFFICIENT_RESOURCES;
    return;
  }
  KeInitializeEvent(&send.Done, NotificationEvent, FALSE);
  send.Result = Result;
  irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
  next = IoGetNextIrpStackLocation(irp);
  next->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
  next->Parameters.DeviceIoControl.IoControlCode = IOCTL_IOSTACK_PING;
  IoSetCompletionRoutine(irp, SendCompletion, &send, TRUE, TRUE, TRUE);
  Result->CallStatus = IoCallDriver(Target, irp);
  KeWaitForSingleObject(&send.Done, Executive, KernelMode, FALSE, NULL);
  Result->IoStatus = irp->IoStatus;
  IoFreeIrp(irp);
}
