/*
 * io_stack.h - the io_stack driver: a stack of three devices, configured per test, for the tests of
 * IoCallDriver, IoCompleteRequest, completion routines, device stacks and work items.
 *
 * DriverEntry creates \Device\IoStackLower (level 0, buffered I/O, also \DosDevices\IoStack) and
 * attaches two unnamed filter devices above it (levels 1 and 2; IoStackDevices[level]); and
 * \Device\IoStackExclusive, an exclusive device on its own.
 *
 * Create, cleanup and close pass down the stack (IoSkipCurrentIrpStackLocation) and the bottom
 * completes them with success. For IRP_MJ_READ, IRP_MJ_DEVICE_CONTROL and
 * IRP_MJ_INTERNAL_DEVICE_CONTROL each level does what IoStackLevels[level] says. Every dispatch
 * and completion routine logs a line starting "io_stack: ", in the order they run.
 *
 * The tests set IoStackLevels (IoStackReset first) before they send a request; the driver reads it
 * at dispatch time. Not thread-safe against a test changing it while requests are in flight.
 */
#ifndef IO_STACK_H
#define IO_STACK_H

#define IOCTL_IOSTACK_PING CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_NEITHER, FILE_ANY_ACCESS)

typedef enum _IOSTACK_ACTION {
  /* The bottom device (level 0). */
  IoStackComplete,      /* complete with Status and Information (after IoCancelIrp if SetCancel) */
  IoStackPendDpc,       /* IoMarkIrpPending, return STATUS_PENDING; a DPC completes it */
  IoStackPendWorkItem,  /* IoMarkIrpPending, return STATUS_PENDING; an I/O work item completes it */
  IoStackPendKeep,      /* IoMarkIrpPending, return STATUS_PENDING; the IRP is left in IoStackKept */
  /* A filter (level 1 or 2). */
  IoStackSkip,            /* IoSkipCurrentIrpStackLocation, IoCallDriver */
  IoStackCopy,            /* IoCopyCurrentIrpStackLocationToNext, IoSetCompletionRoutine, IoCallDriver */
  IoStackCopyEx,          /* the same with IoSetCompletionRoutineEx */
  IoStackForwardAndWait,  /* a routine that returns STATUS_MORE_PROCESSING_REQUIRED and signals an event; the
                             dispatch routine waits for it, then completes the IRP again with Status and
                             Information */
} IOSTACK_ACTION;

typedef struct _IOSTACK_LEVEL {
  IOSTACK_ACTION Action;
  NTSTATUS Status;
  ULONG_PTR Information;
  BOOLEAN SetCancel;
  /* IoStackCopy / IoStackCopyEx: the invoke flags and what the completion routine returns. When it
     returns STATUS_MORE_PROCESSING_REQUIRED the IRP is left in IoStackReclaimed. */
  BOOLEAN InvokeOnSuccess;
  BOOLEAN InvokeOnError;
  BOOLEAN InvokeOnCancel;
  NTSTATUS RoutineResult;
} IOSTACK_LEVEL, *PIOSTACK_LEVEL;

/* The calling process as a request saw it, in the bottom's dispatch routine ([0]) and where the
   bottom completed it ([1]). */
typedef struct _IOSTACK_REQUESTOR {
  BOOLEAN Recorded;
  PEPROCESS RequestorProcess;  /* IoGetRequestorProcess */
  ULONG RequestorProcessId;    /* IoGetRequestorProcessId */
  PEPROCESS CurrentProcess;    /* IoGetCurrentProcess */
  HANDLE CurrentProcessId;     /* PsGetCurrentProcessId */
  BOOLEAN Is32bit;             /* IoIs32bitProcess */
} IOSTACK_REQUESTOR;

/* What IoStackSend saw. */
typedef struct _IOSTACK_RESULT {
  NTSTATUS CallStatus;  /* IoCallDriver's return value */
  IO_STATUS_BLOCK IoStatus;
  BOOLEAN PendingReturned;       /* in the sender's completion routine */
  BOOLEAN RoutineDeviceIsNull;   /* the DeviceObject the sender's completion routine got */
} IOSTACK_RESULT, *PIOSTACK_RESULT;

#ifdef __cplusplus
extern "C" {
#endif

extern IOSTACK_LEVEL IoStackLevels[3];
extern PDEVICE_OBJECT IoStackDevices[3];
extern PDEVICE_OBJECT IoStackExclusiveDevice;
extern PIRP IoStackKept;
extern PIRP IoStackReclaimed;
extern IOSTACK_REQUESTOR IoStackRequestor[2];

/* Every level completes (level 0) or skips (filters) with STATUS_SUCCESS; the recorded state is
   cleared. */
VOID IoStackReset(VOID);

/* Sends IRP_MJ_INTERNAL_DEVICE_CONTROL (IOCTL_IOSTACK_PING) to Target in an IRP of Target's
   StackSize from IoAllocateIrp, with a completion routine that returns
   STATUS_MORE_PROCESSING_REQUIRED; waits for it, fills Result and frees the IRP. PASSIVE_LEVEL. */
VOID IoStackSend(PDEVICE_OBJECT Target, PIOSTACK_RESULT Result);

#ifdef __cplusplus
}
#endif

#endif
