/*
 * timer_left_at_unload - BUGGY ON PURPOSE: unloads with its periodic timer still set.
 *
 * DriverEntry starts a periodic timer (every TIMER_LEFT_AT_UNLOAD_PERIOD_MS milliseconds) whose
 * DPC polls the device; the KTIMER and the KDPC are global variables of the driver. DriverUnload
 * deletes the device and its link.
 *
 * The bug: DriverUnload never cancels the timer (KeCancelTimer) nor waits for a queued DPC
 * (KeFlushQueuedDpcs). Once the image is unmapped the timer still sits in the system's timer
 * table inside memory that is gone, and its next expiry runs a DPC routine that no longer exists.
 *
 * What exposes it: unloading the driver. What Windows reports with Driver Verifier: as the image
 * is unloaded, bug check 0xC7 TIMER_OR_DPC_INVALID, P1 = 0 (a timer object), P2 = the timer, P3
 * and P4 = the range being unloaded (the driver's image). The lab reports the same, with the range
 * DriverObject->DriverStart to DriverStart + DriverSize.
 */
#include <ntddk.h>

#define TIMER_LEFT_AT_UNLOAD_DEVICE_NAME L"\\Device\\TimerLeftAtUnload"
#define TIMER_LEFT_AT_UNLOAD_LINK_NAME L"\\??\\TimerLeftAtUnload"
#define TIMER_LEFT_AT_UNLOAD_PERIOD_MS 10

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD TimerLeftAtUnloadUnload;
KDEFERRED_ROUTINE TimerLeftAtUnloadPoll;

static KTIMER TimerLeftAtUnloadTimer;
static KDPC TimerLeftAtUnloadDpc;
static LONG TimerLeftAtUnloadPolls;

_Use_decl_annotations_ VOID TimerLeftAtUnloadPoll(PKDPC Dpc, PVOID Context, PVOID SystemArgument1,
                                                  PVOID SystemArgument2) {
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(Context);
  UNREFERENCED_PARAMETER(SystemArgument1);
  UNREFERENCED_PARAMETER(SystemArgument2);
  InterlockedIncrement(&TimerLeftAtUnloadPolls);
}

_Use_decl_annotations_ VOID TimerLeftAtUnloadUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(TIMER_LEFT_AT_UNLOAD_LINK_NAME);

  PAGED_CODE();
  /* BUG: the timer is still set: KeCancelTimer(&TimerLeftAtUnloadTimer) and KeFlushQueuedDpcs()
     belong here. */
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(TIMER_LEFT_AT_UNLOAD_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(TIMER_LEFT_AT_UNLOAD_LINK_NAME);
  LARGE_INTEGER due;
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
  KeInitializeTimer(&TimerLeftAtUnloadTimer);
  KeInitializeDpc(&TimerLeftAtUnloadDpc, TimerLeftAtUnloadPoll, NULL);
  DbgPrint("timer_left_at_unload: timer %p, image %p size %lx\n", &TimerLeftAtUnloadTimer, DriverObject->DriverStart,
           DriverObject->DriverSize);
  due.QuadPart = -10LL * 1000 * TIMER_LEFT_AT_UNLOAD_PERIOD_MS;
  KeSetTimerEx(&TimerLeftAtUnloadTimer, due, TIMER_LEFT_AT_UNLOAD_PERIOD_MS, &TimerLeftAtUnloadDpc);
  DriverObject->DriverUnload = TimerLeftAtUnloadUnload;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}
