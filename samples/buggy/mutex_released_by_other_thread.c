/*
 * mutex_released_by_other_thread - BUGGY ON PURPOSE: a kernel mutex released by a thread that
 * does not own it.
 *
 * IOCTL_MUTEX_HANDOFF_START starts two worker threads that share a buffer under a KMUTEX. The
 * producer takes the mutex, fills the buffer and signals the consumer; the consumer reads the
 * buffer and "hands the mutex back" by releasing it, as if ownership passed with the signal.
 *
 * The bug: a KMUTEX belongs to the thread that acquired it; only that thread may release it.
 *
 * The interleaving that exposes it: none is needed. The consumer waits for the producer's signal.
 *
 * What Windows reports: with Driver Verifier's deadlock detection, 0xC4 with P1 = 0x1004 (lock
 * released by a thread that does not own it), P2 = the mutex, P3 = the owning thread, P4 = the
 * releasing thread (all three logged). Without it, KeReleaseMutex raises STATUS_MUTANT_NOT_OWNED,
 * which, unhandled in a system thread, is bug check 0x7E.
 *
 * What the lab reports: the same 0xC4/0x1004 (tests/corpus asserts it).
 */
#include <ntddk.h>

#define MUTEX_HANDOFF_DEVICE_NAME L"\\Device\\MutexHandoff"
#define MUTEX_HANDOFF_LINK_NAME L"\\??\\MutexHandoff"
#define IOCTL_MUTEX_HANDOFF_START CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD MutexHandoffUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH MutexHandoffCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH MutexHandoffDeviceControl;
KSTART_ROUTINE MutexHandoffProducer;
KSTART_ROUTINE MutexHandoffConsumer;

typedef struct _MUTEX_HANDOFF_EXTENSION {
  KMUTEX BufferMutex; /* protects Buffer */
  ULONG Buffer;
  KEVENT Filled;
  KEVENT Consumed;
} MUTEX_HANDOFF_EXTENSION, *PMUTEX_HANDOFF_EXTENSION;

static PMUTEX_HANDOFF_EXTENSION MutexHandoffExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PMUTEX_HANDOFF_EXTENSION)DeviceObject->DeviceExtension;
}

static NTSTATUS MutexHandoffComplete(_In_ PIRP Irp, _In_ NTSTATUS Status) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS MutexHandoffCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return MutexHandoffComplete(Irp, STATUS_SUCCESS);
}

_Use_decl_annotations_ VOID MutexHandoffProducer(PVOID Context) {
  PMUTEX_HANDOFF_EXTENSION extension = (PMUTEX_HANDOFF_EXTENSION)Context;

  KeWaitForSingleObject(&extension->BufferMutex, Executive, KernelMode, FALSE, NULL);
  DbgPrint("mutex_released_by_other_thread: producer %p owns mutex %p\n", (PVOID)KeGetCurrentThread(),
           (PVOID)&extension->BufferMutex);
  extension->Buffer = 42;
  KeSetEvent(&extension->Filled, IO_NO_INCREMENT, FALSE);
  /* Leaves the release to the consumer (see there). */
  KeWaitForSingleObject(&extension->Consumed, Executive, KernelMode, FALSE, NULL);
}

_Use_decl_annotations_ VOID MutexHandoffConsumer(PVOID Context) {
  PMUTEX_HANDOFF_EXTENSION extension = (PMUTEX_HANDOFF_EXTENSION)Context;
  ULONG value;

  KeWaitForSingleObject(&extension->Filled, Executive, KernelMode, FALSE, NULL);
  DbgPrint("mutex_released_by_other_thread: consumer %p\n", (PVOID)KeGetCurrentThread());
  value = extension->Buffer;
  /* BUG: the consumer does not own the mutex; the producer does. */
  KeReleaseMutex(&extension->BufferMutex, FALSE);
  KeSetEvent(&extension->Consumed, IO_NO_INCREMENT, FALSE);
  UNREFERENCED_PARAMETER(value);
}

static NTSTATUS MutexHandoffStart(_In_ PKSTART_ROUTINE Routine, _In_ PMUTEX_HANDOFF_EXTENSION Extension) {
  HANDLE thread;
  OBJECT_ATTRIBUTES attributes;
  NTSTATUS status;

  InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
  status = PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, &attributes, NULL, NULL, Routine, Extension);
  if (NT_SUCCESS(status)) {
    ZwClose(thread);
  }
  return status;
}

_Use_decl_annotations_ NTSTATUS MutexHandoffDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PMUTEX_HANDOFF_EXTENSION extension = MutexHandoffExtension(DeviceObject);
  NTSTATUS status;

  switch (IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_MUTEX_HANDOFF_START:
      status = MutexHandoffStart(MutexHandoffProducer, extension);
      if (NT_SUCCESS(status)) {
        status = MutexHandoffStart(MutexHandoffConsumer, extension);
      }
      break;
    default:
      status = STATUS_INVALID_DEVICE_REQUEST;
      break;
  }
  return MutexHandoffComplete(Irp, status);
}

_Use_decl_annotations_ VOID MutexHandoffUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(MUTEX_HANDOFF_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(MUTEX_HANDOFF_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(MUTEX_HANDOFF_LINK_NAME);
  PDEVICE_OBJECT device;
  PMUTEX_HANDOFF_EXTENSION extension;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(MUTEX_HANDOFF_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = MutexHandoffExtension(device);
  KeInitializeMutex(&extension->BufferMutex, 0);
  KeInitializeEvent(&extension->Filled, NotificationEvent, FALSE);
  KeInitializeEvent(&extension->Consumed, NotificationEvent, FALSE);
  extension->Buffer = 0;
  DriverObject->MajorFunction[IRP_MJ_CREATE] = MutexHandoffCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = MutexHandoffCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = MutexHandoffDeviceControl;
  DriverObject->DriverUnload = MutexHandoffUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
