/*
 * race_cleanup_vs_dpc - BUGGY ON PURPOSE: the DPC that delivers data to a waiting read drops the
 * device lock before it has taken the read out of the table it waits in, so IRP_MJ_CLEANUP can
 * take the same read and complete it too.
 *
 * The device hands data to reads. A read waits in a small table of pending reads (with the file
 * object it came on) until data arrives; it is set up to report STATUS_CANCELLED unless data
 * fills it. A write is the data arriving: its dispatch routine stores the bytes and queues the
 * device's DPC, which fills the first waiting read and completes it. When the last handle to a
 * file object is closed, IRP_MJ_CLEANUP takes every read of that file object out of the table and
 * completes it (cancelled).
 *
 * The bug: the DPC finds the read under the lock, fills it, releases the lock to complete it, and
 * only afterwards takes the lock again to clear the read's table entry. Until then the read is
 * still in the table, so the cleanup of its file object, running on another processor, takes it
 * and completes it as well. The DPC must clear the entry before it releases the lock (whoever
 * clears the entry owns the read).
 *
 * The interleaving that exposes it: the write arrives while the read waits, and the cleanup of
 * the read's file object runs between the DPC's two holds of the lock: on two processors, the
 * reader closes its handle (cleanup) while another thread's write runs the DPC. A write before
 * the read, or a cleanup before or after the DPC's window, is clean.
 *
 * What Windows reports, and the lab: whichever completes second completes an IRP already
 * completed: bug check 0x44 MULTIPLE_IRP_COMPLETE_REQUESTS, P1 = the read, in
 * RaceCleanupVsDpcTransferDpc or RaceCleanupVsDpcCleanup. Neither path touches the read after the
 * other may have completed it (the DPC fills it while it is still in the table, the cleanup only
 * calls IoCompleteRequest), so the double completion is the first thing that goes wrong. The
 * driver logs each read.
 */
#include <ntddk.h>

#define RACE_CLEANUP_VS_DPC_DEVICE_NAME L"\\Device\\RaceCleanupVsDpc"
#define RACE_CLEANUP_VS_DPC_LINK_NAME L"\\??\\RaceCleanupVsDpc"
#define RACE_CLEANUP_VS_DPC_READS 4
#define RACE_CLEANUP_VS_DPC_DATA 16

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD RaceCleanupVsDpcUnload;
KDEFERRED_ROUTINE RaceCleanupVsDpcTransferDpc;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH RaceCleanupVsDpcCreateClose;
_Dispatch_type_(IRP_MJ_CLEANUP) DRIVER_DISPATCH RaceCleanupVsDpcCleanup;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH RaceCleanupVsDpcRead;
_Dispatch_type_(IRP_MJ_WRITE) DRIVER_DISPATCH RaceCleanupVsDpcWrite;

typedef struct _RACE_CLEANUP_VS_DPC_EXTENSION {
  KSPIN_LOCK Lock;                                   /* protects everything below */
  PIRP Reads[RACE_CLEANUP_VS_DPC_READS];             /* waiting reads; NULL: free entry */
  PFILE_OBJECT ReadFiles[RACE_CLEANUP_VS_DPC_READS]; /* the file object of each */
  UCHAR Data[RACE_CLEANUP_VS_DPC_DATA];              /* the last write's bytes */
  ULONG DataLength;
  KDPC Dpc; /* RaceCleanupVsDpcTransferDpc, context: the device object */
} RACE_CLEANUP_VS_DPC_EXTENSION, *PRACE_CLEANUP_VS_DPC_EXTENSION;

static PRACE_CLEANUP_VS_DPC_EXTENSION RaceCleanupVsDpcExtension(_In_ PDEVICE_OBJECT DeviceObject) {
  return (PRACE_CLEANUP_VS_DPC_EXTENSION)DeviceObject->DeviceExtension;
}

static NTSTATUS RaceCleanupVsDpcComplete(_In_ PIRP Irp, _In_ NTSTATUS Status, _In_ ULONG_PTR Information) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

_Use_decl_annotations_ NTSTATUS RaceCleanupVsDpcCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  return RaceCleanupVsDpcComplete(Irp, STATUS_SUCCESS, 0);
}

_Use_decl_annotations_ NTSTATUS RaceCleanupVsDpcRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PRACE_CLEANUP_VS_DPC_EXTENSION extension = RaceCleanupVsDpcExtension(DeviceObject);
  PFILE_OBJECT file = IoGetCurrentIrpStackLocation(Irp)->FileObject;
  KIRQL irql;
  ULONG i;

  DbgPrint("race_cleanup_vs_dpc: read %p\n", Irp);
  KeAcquireSpinLock(&extension->Lock, &irql);
  for (i = 0; i < RACE_CLEANUP_VS_DPC_READS; ++i) {
    if (extension->Reads[i] == NULL) {
      /* What the read reports unless data fills it. */
      Irp->IoStatus.Status = STATUS_CANCELLED;
      Irp->IoStatus.Information = 0;
      IoMarkIrpPending(Irp);
      extension->Reads[i] = Irp;
      extension->ReadFiles[i] = file;
      KeReleaseSpinLock(&extension->Lock, irql);
      return STATUS_PENDING;
    }
  }
  KeReleaseSpinLock(&extension->Lock, irql);
  return RaceCleanupVsDpcComplete(Irp, STATUS_DEVICE_BUSY, 0);
}

/* Data arrived: keep it and let the DPC hand it to a waiting read. */
_Use_decl_annotations_ NTSTATUS RaceCleanupVsDpcWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PRACE_CLEANUP_VS_DPC_EXTENSION extension = RaceCleanupVsDpcExtension(DeviceObject);
  ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Write.Length;
  KIRQL irql;

  if (length > RACE_CLEANUP_VS_DPC_DATA) {
    length = RACE_CLEANUP_VS_DPC_DATA;
  }
  KeAcquireSpinLock(&extension->Lock, &irql);
  RtlCopyMemory(extension->Data, Irp->AssociatedIrp.SystemBuffer, length);
  extension->DataLength = length;
  KeReleaseSpinLock(&extension->Lock, irql);
  KeInsertQueueDpc(&extension->Dpc, NULL, NULL);
  return RaceCleanupVsDpcComplete(Irp, STATUS_SUCCESS, length);
}

/* Fills the first waiting read with the data and completes it. */
_Use_decl_annotations_ VOID RaceCleanupVsDpcTransferDpc(PKDPC Dpc, PVOID Context, PVOID SystemArgument1,
                                                        PVOID SystemArgument2) {
  PRACE_CLEANUP_VS_DPC_EXTENSION extension = RaceCleanupVsDpcExtension((PDEVICE_OBJECT)Context);
  PIRP read = NULL;
  ULONG i;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(SystemArgument1);
  UNREFERENCED_PARAMETER(SystemArgument2);

  KeAcquireSpinLockAtDpcLevel(&extension->Lock);
  for (i = 0; i < RACE_CLEANUP_VS_DPC_READS && read == NULL; ++i) {
    read = extension->Reads[i];
  }
  if (read != NULL) {
    ULONG copied = IoGetCurrentIrpStackLocation(read)->Parameters.Read.Length;

    if (copied > extension->DataLength) {
      copied = extension->DataLength;
    }
    RtlCopyMemory(read->AssociatedIrp.SystemBuffer, extension->Data, copied);
    read->IoStatus.Status = STATUS_SUCCESS;
    read->IoStatus.Information = copied;
  }
  /* BUG: the read is still in the table; the cleanup can take it while the lock is free. */
  KeReleaseSpinLockFromDpcLevel(&extension->Lock);
  if (read == NULL) {
    return;
  }
  IoCompleteRequest(read, IO_NO_INCREMENT);
  KeAcquireSpinLockAtDpcLevel(&extension->Lock);
  for (i = 0; i < RACE_CLEANUP_VS_DPC_READS; ++i) {
    if (extension->Reads[i] == read) {
      extension->Reads[i] = NULL;
    }
  }
  KeReleaseSpinLockFromDpcLevel(&extension->Lock);
}

/* The last handle to a file object is closed: complete its waiting reads. */
_Use_decl_annotations_ NTSTATUS RaceCleanupVsDpcCleanup(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PRACE_CLEANUP_VS_DPC_EXTENSION extension = RaceCleanupVsDpcExtension(DeviceObject);
  PFILE_OBJECT file = IoGetCurrentIrpStackLocation(Irp)->FileObject;
  PIRP taken[RACE_CLEANUP_VS_DPC_READS];
  ULONG count = 0;
  KIRQL irql;
  ULONG i;

  KeAcquireSpinLock(&extension->Lock, &irql);
  for (i = 0; i < RACE_CLEANUP_VS_DPC_READS; ++i) {
    if (extension->Reads[i] != NULL && extension->ReadFiles[i] == file) {
      taken[count++] = extension->Reads[i];
      extension->Reads[i] = NULL;
    }
  }
  KeReleaseSpinLock(&extension->Lock, irql);
  for (i = 0; i < count; ++i) {
    IoCompleteRequest(taken[i], IO_NO_INCREMENT); /* with the status it was queued with */
  }
  return RaceCleanupVsDpcComplete(Irp, STATUS_SUCCESS, 0);
}

_Use_decl_annotations_ VOID RaceCleanupVsDpcUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(RACE_CLEANUP_VS_DPC_LINK_NAME);

  PAGED_CODE();
  KeFlushQueuedDpcs();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(RACE_CLEANUP_VS_DPC_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(RACE_CLEANUP_VS_DPC_LINK_NAME);
  PRACE_CLEANUP_VS_DPC_EXTENSION extension;
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(RACE_CLEANUP_VS_DPC_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  extension = RaceCleanupVsDpcExtension(device);
  RtlZeroMemory(extension, sizeof(*extension));
  KeInitializeSpinLock(&extension->Lock);
  KeInitializeDpc(&extension->Dpc, RaceCleanupVsDpcTransferDpc, device);
  DriverObject->MajorFunction[IRP_MJ_CREATE] = RaceCleanupVsDpcCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = RaceCleanupVsDpcCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = RaceCleanupVsDpcCleanup;
  DriverObject->MajorFunction[IRP_MJ_READ] = RaceCleanupVsDpcRead;
  DriverObject->MajorFunction[IRP_MJ_WRITE] = RaceCleanupVsDpcWrite;
  DriverObject->DriverUnload = RaceCleanupVsDpcUnload;
  device->Flags |= DO_BUFFERED_IO;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
