/*
 * thread_left_at_unload - BUGGY ON PURPOSE: DriverUnload returns while the worker thread
 * DriverEntry started is still waiting for work.
 *
 * The driver starts one system thread that waits for work on a notification event and handles
 * it. DriverUnload never tells the thread to stop, nor waits for it.
 *
 * The bug: the thread's code and its data are in the image being unloaded; the next time the
 * thread wakes it runs unloaded code. DriverUnload must signal the thread to exit and wait on its
 * thread object (KeWaitForSingleObject after ObReferenceObjectByHandle) before returning.
 *
 * The interleaving that exposes it: none. Load, then unload.
 *
 * What the lab reports with Driver Verifier, as its unload audit: 0xCE
 * DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, P1 = the thread object, charged to the
 * driver, on the DriverUnload thread. The driver logs its thread object.
 */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD ThreadLeftAtUnloadUnload;
KSTART_ROUTINE ThreadLeftAtUnloadWorker;

static KEVENT WorkArrived; /* notification event: set when there is work */

_Use_decl_annotations_ VOID ThreadLeftAtUnloadWorker(PVOID Context) {
  UNREFERENCED_PARAMETER(Context);
  for (;;) {
    KeWaitForSingleObject(&WorkArrived, Executive, KernelMode, FALSE, NULL);
    KeClearEvent(&WorkArrived);
    DbgPrint("thread_left_at_unload: work\n");
  }
}

_Use_decl_annotations_ VOID ThreadLeftAtUnloadUnload(PDRIVER_OBJECT DriverObject) {
  UNREFERENCED_PARAMETER(DriverObject);
  PAGED_CODE();
  DbgPrint("thread_left_at_unload: unloading\n"); /* BUG: the worker is never told to stop */
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  HANDLE handle;
  PVOID thread;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  KeInitializeEvent(&WorkArrived, NotificationEvent, FALSE);
  status = PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, ThreadLeftAtUnloadWorker, NULL);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = ObReferenceObjectByHandle(handle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &thread, NULL);
  ZwClose(handle);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  DbgPrint("thread_left_at_unload: thread %p\n", thread);
  ObDereferenceObject(thread);
  DriverObject->DriverUnload = ThreadLeftAtUnloadUnload;
  return STATUS_SUCCESS;
}
