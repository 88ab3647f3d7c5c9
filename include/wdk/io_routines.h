/*
 * wdk/io_routines.h - the I/O manager's routines: device objects and stacks, IRPs and their stack
 * locations, completion, StartIo and device queues, work items, MDLs, and the file services a
 * driver calls (ZwCreateFile, ZwReadFile, ZwWriteFile, ZwDeviceIoControlFile).
 *
 * The stack-location helpers (IoGetCurrentIrpStackLocation, IoSkipCurrentIrpStackLocation,
 * IoCopyCurrentIrpStackLocationToNext, IoSetCompletionRoutine, IoMarkIrpPending, ...) are inline
 * functions exactly as in the WDK: they only touch the IRP, and the I/O manager sees what they did
 * when the IRP reaches IoCallDriver or IoCompleteRequest. IoSetCancelRoutine uses
 * InterlockedExchangePointer, a scheduling point in the lab.
 */
#ifndef WDMLAB_WDK_IO_ROUTINES_H
#define WDMLAB_WDK_IO_ROUTINES_H

WDMLAB_EXTERN_C_START

extern NTKERNELAPI POBJECT_TYPE *IoDeviceObjectType;
extern NTKERNELAPI POBJECT_TYPE *IoDriverObjectType;
extern NTKERNELAPI POBJECT_TYPE *IoFileObjectType;

/* --- device objects and device stacks ---------------------------------------------------------- */

_IRQL_requires_max_(APC_LEVEL) _Must_inspect_result_ NTKERNELAPI NTSTATUS NTAPI
  IoCreateDevice(_In_ PDRIVER_OBJECT DriverObject, _In_ ULONG DeviceExtensionSize,
                 _In_opt_ PUNICODE_STRING DeviceName, _In_ DEVICE_TYPE DeviceType, _In_ ULONG DeviceCharacteristics,
                 _In_ BOOLEAN Exclusive,
                 _Outptr_result_nullonfailure_ _At_(*DeviceObject, __drv_allocatesMem(Mem) _When_(
                   ((_In_function_class_(DRIVER_INITIALIZE)) || (_In_function_class_(DRIVER_DISPATCH))),
                   __drv_aliasesMem)) PDEVICE_OBJECT *DeviceObject);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI VOID NTAPI IoDeleteDevice(_In_ __drv_freesMem(Mem) PDEVICE_OBJECT DeviceObject);
_IRQL_requires_max_(DISPATCH_LEVEL) _Must_inspect_result_ NTKERNELAPI PDEVICE_OBJECT NTAPI
  IoAttachDeviceToDeviceStack(_In_ _When_(return != 0, __drv_aliasesMem) PDEVICE_OBJECT SourceDevice,
                              _In_ PDEVICE_OBJECT TargetDevice);
_IRQL_requires_max_(DISPATCH_LEVEL) _Must_inspect_result_ NTKERNELAPI NTSTATUS NTAPI
  IoAttachDeviceToDeviceStackSafe(_In_ PDEVICE_OBJECT SourceDevice, _In_ PDEVICE_OBJECT TargetDevice,
                                  _Outptr_ PDEVICE_OBJECT *AttachedToDeviceObject);
_IRQL_requires_max_(PASSIVE_LEVEL) _Must_inspect_result_ NTKERNELAPI NTSTATUS NTAPI
  IoAttachDevice(_In_ _When_(return == 0, __drv_aliasesMem) PDEVICE_OBJECT SourceDevice,
                 _In_ PUNICODE_STRING TargetDevice, _Out_ PDEVICE_OBJECT *AttachedDevice);
_IRQL_requires_max_(PASSIVE_LEVEL) NTKERNELAPI VOID NTAPI IoDetachDevice(_Inout_ PDEVICE_OBJECT TargetDevice);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI PDEVICE_OBJECT NTAPI IoGetAttachedDevice(_In_ PDEVICE_OBJECT DeviceObject);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI PDEVICE_OBJECT NTAPI
  IoGetAttachedDeviceReference(_In_ PDEVICE_OBJECT DeviceObject);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI PDEVICE_OBJECT NTAPI
  IoGetLowerDeviceObject(_In_ PDEVICE_OBJECT DeviceObject);
_IRQL_requires_max_(PASSIVE_LEVEL) NTKERNELAPI NTSTATUS NTAPI
  IoGetDeviceObjectPointer(_In_ PUNICODE_STRING ObjectName, _In_ ACCESS_MASK DesiredAccess,
                           _Out_ PFILE_OBJECT *FileObject, _Out_ PDEVICE_OBJECT *DeviceObject);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI PDEVICE_OBJECT NTAPI
  IoGetRelatedDeviceObject(_In_ PFILE_OBJECT FileObject);
NTKERNELAPI BOOLEAN NTAPI IoIsWdmVersionAvailable(_In_ UCHAR MajorVersion, _In_ UCHAR MinorVersion);

/* --- symbolic links ---------------------------------------------------------------------------- */

_IRQL_requires_max_(PASSIVE_LEVEL) NTKERNELAPI NTSTATUS NTAPI
  IoCreateSymbolicLink(_In_ PUNICODE_STRING SymbolicLinkName, _In_ PUNICODE_STRING DeviceName);
_IRQL_requires_max_(PASSIVE_LEVEL) NTKERNELAPI NTSTATUS NTAPI
  IoCreateUnprotectedSymbolicLink(_In_ PUNICODE_STRING SymbolicLinkName, _In_ PUNICODE_STRING DeviceName);
_IRQL_requires_max_(PASSIVE_LEVEL) NTKERNELAPI NTSTATUS NTAPI
  IoDeleteSymbolicLink(_In_ PUNICODE_STRING SymbolicLinkName);

/* --- IRPs -------------------------------------------------------------------------------------- */

#define IoSizeOfIrp(StackSize) ((USHORT)(sizeof(IRP) + ((StackSize) * (sizeof(IO_STACK_LOCATION)))))

_IRQL_requires_max_(DISPATCH_LEVEL) _Must_inspect_result_ NTKERNELAPI PIRP NTAPI
  IoAllocateIrp(_In_ CCHAR StackSize, _In_ BOOLEAN ChargeQuota);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI IoFreeIrp(_In_ __drv_freesMem(Mem) PIRP Irp);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  IoInitializeIrp(_Inout_updates_bytes_(PacketSize) PIRP Irp, _In_ USHORT PacketSize, _In_ CCHAR StackSize);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI IoReuseIrp(_Inout_ PIRP Irp, _In_ NTSTATUS Iostatus);
_IRQL_requires_max_(PASSIVE_LEVEL) _Must_inspect_result_ NTKERNELAPI PIRP NTAPI
  IoBuildDeviceIoControlRequest(_In_ ULONG IoControlCode, _In_ PDEVICE_OBJECT DeviceObject,
                                _In_opt_ PVOID InputBuffer, _In_ ULONG InputBufferLength,
                                _Out_opt_ PVOID OutputBuffer, _In_ ULONG OutputBufferLength,
                                _In_ BOOLEAN InternalDeviceIoControl, _In_opt_ PKEVENT Event,
                                _Out_ PIO_STATUS_BLOCK IoStatusBlock);
_IRQL_requires_max_(PASSIVE_LEVEL) _Must_inspect_result_ NTKERNELAPI PIRP NTAPI
  IoBuildSynchronousFsdRequest(_In_ ULONG MajorFunction, _In_ PDEVICE_OBJECT DeviceObject,
                               _Inout_opt_ PVOID Buffer, _In_opt_ ULONG Length,
                               _In_opt_ PLARGE_INTEGER StartingOffset, _In_ PKEVENT Event,
                               _Out_ PIO_STATUS_BLOCK IoStatusBlock);
_IRQL_requires_max_(DISPATCH_LEVEL) _Must_inspect_result_ NTKERNELAPI PIRP NTAPI
  IoBuildAsynchronousFsdRequest(_In_ ULONG MajorFunction, _In_ PDEVICE_OBJECT DeviceObject,
                                _Inout_opt_ PVOID Buffer, _In_opt_ ULONG Length,
                                _In_opt_ PLARGE_INTEGER StartingOffset, _In_opt_ PIO_STATUS_BLOCK IoStatusBlock);

_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI NTSTATUS FASTCALL
  IofCallDriver(_In_ PDEVICE_OBJECT DeviceObject, _Inout_ __drv_aliasesMem PIRP Irp);
#define IoCallDriver(DeviceObject, Irp) IofCallDriver(DeviceObject, Irp)
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID FASTCALL
  IofCompleteRequest(_In_ PIRP Irp, _In_ CCHAR PriorityBoost);
#define IoCompleteRequest(Irp, PriorityBoost) IofCompleteRequest(Irp, PriorityBoost)

_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI NTSTATUS NTAPI
  IoSetCompletionRoutineEx(_In_ PDEVICE_OBJECT DeviceObject, _In_ PIRP Irp,
                           _In_ PIO_COMPLETION_ROUTINE CompletionRoutine, _In_opt_ PVOID Context,
                           _In_ BOOLEAN InvokeOnSuccess, _In_ BOOLEAN InvokeOnError, _In_ BOOLEAN InvokeOnCancel);

/* Cancellation. */
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI BOOLEAN NTAPI IoCancelIrp(_In_ PIRP Irp);
_IRQL_requires_max_(DISPATCH_LEVEL) _IRQL_raises_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  IoAcquireCancelSpinLock(_Out_ _At_(*Irql, _IRQL_saves_) PKIRQL Irql);
_IRQL_requires_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  IoReleaseCancelSpinLock(_In_ _IRQL_restores_ _IRQL_uses_cancel_ KIRQL Irql);

/* The requesting process and thread. */
NTKERNELAPI PEPROCESS NTAPI IoGetCurrentProcess(VOID);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI PEPROCESS NTAPI IoGetRequestorProcess(_In_ PIRP Irp);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI ULONG NTAPI IoGetRequestorProcessId(_In_ PIRP Irp);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI BOOLEAN NTAPI IoIs32bitProcess(_In_opt_ PIRP Irp);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI BOOLEAN NTAPI IoIsOperationSynchronous(_In_ PIRP Irp);

/* Stack locations. */
FORCEINLINE PIO_STACK_LOCATION IoGetCurrentIrpStackLocation(_In_ PIRP Irp) {
  return Irp->Tail.Overlay.CurrentStackLocation;
}

FORCEINLINE PIO_STACK_LOCATION IoGetNextIrpStackLocation(_In_ PIRP Irp) {
  return Irp->Tail.Overlay.CurrentStackLocation - 1;
}

FORCEINLINE VOID IoSetNextIrpStackLocation(_Inout_ PIRP Irp) {
  Irp->CurrentLocation--;
  Irp->Tail.Overlay.CurrentStackLocation--;
}

FORCEINLINE VOID IoSkipCurrentIrpStackLocation(_Inout_ PIRP Irp) {
  Irp->CurrentLocation++;
  Irp->Tail.Overlay.CurrentStackLocation++;
}

FORCEINLINE VOID IoCopyCurrentIrpStackLocationToNext(_Inout_ PIRP Irp) {
  PIO_STACK_LOCATION current = IoGetCurrentIrpStackLocation(Irp);
  PIO_STACK_LOCATION next = IoGetNextIrpStackLocation(Irp);
  RtlCopyMemory(next, current, FIELD_OFFSET(IO_STACK_LOCATION, CompletionRoutine));
  next->Control = 0;
}

FORCEINLINE VOID IoSetCompletionRoutine(_In_ PIRP Irp, _In_opt_ PIO_COMPLETION_ROUTINE CompletionRoutine,
                                        _In_opt_ __drv_aliasesMem PVOID Context, _In_ BOOLEAN InvokeOnSuccess,
                                        _In_ BOOLEAN InvokeOnError, _In_ BOOLEAN InvokeOnCancel) {
  PIO_STACK_LOCATION next = IoGetNextIrpStackLocation(Irp);
  next->CompletionRoutine = CompletionRoutine;
  next->Context = Context;
  next->Control = 0;
  if (InvokeOnSuccess) next->Control = SL_INVOKE_ON_SUCCESS;
  if (InvokeOnError) next->Control |= SL_INVOKE_ON_ERROR;
  if (InvokeOnCancel) next->Control |= SL_INVOKE_ON_CANCEL;
}

FORCEINLINE VOID IoMarkIrpPending(_Inout_ PIRP Irp) { IoGetCurrentIrpStackLocation(Irp)->Control |= SL_PENDING_RETURNED; }

_IRQL_requires_max_(DISPATCH_LEVEL) FORCEINLINE PDRIVER_CANCEL
  IoSetCancelRoutine(_Inout_ PIRP Irp, _In_opt_ PDRIVER_CANCEL CancelRoutine) {
  return (PDRIVER_CANCEL)(ULONG_PTR)InterlockedExchangePointer((PVOID volatile *)&Irp->CancelRoutine,
                                                               (PVOID)(ULONG_PTR)CancelRoutine);
}

#define IoGetFunctionCodeFromCtlCode(ControlCode) (((ULONG)((ControlCode) & 0x3FFC)) >> 2)
#define IoIsErrorUserInduced(Status) \
  ((BOOLEAN)(((Status) == STATUS_DEVICE_NOT_READY) || ((Status) == STATUS_IO_TIMEOUT) || \
             ((Status) == STATUS_MEDIA_WRITE_PROTECTED) || ((Status) == STATUS_NO_MEDIA_IN_DEVICE) || \
             ((Status) == STATUS_UNRECOGNIZED_MEDIA) || ((Status) == STATUS_VERIFY_REQUIRED) || \
             ((Status) == STATUS_WRONG_VOLUME)))

/* --- cancel-safe IRP queues -------------------------------------------------------------------- */

#define IO_TYPE_CSQ_IRP_CONTEXT 1
#define IO_TYPE_CSQ 2
#define IO_TYPE_CSQ_EX 3

struct _IO_CSQ;

typedef struct _IO_CSQ_IRP_CONTEXT {
  ULONG Type;
  PIRP Irp;
  struct _IO_CSQ *Csq;
} IO_CSQ_IRP_CONTEXT, *PIO_CSQ_IRP_CONTEXT;

_IRQL_requires_max_(DISPATCH_LEVEL) typedef VOID
  IO_CSQ_INSERT_IRP(_In_ struct _IO_CSQ *Csq, _In_ PIRP Irp);
typedef IO_CSQ_INSERT_IRP *PIO_CSQ_INSERT_IRP;
_IRQL_requires_max_(DISPATCH_LEVEL) typedef NTSTATUS
  IO_CSQ_INSERT_IRP_EX(_In_ struct _IO_CSQ *Csq, _In_ PIRP Irp, _In_ PVOID InsertContext);
typedef IO_CSQ_INSERT_IRP_EX *PIO_CSQ_INSERT_IRP_EX;
_IRQL_requires_max_(DISPATCH_LEVEL) typedef VOID IO_CSQ_REMOVE_IRP(_In_ struct _IO_CSQ *Csq, _In_ PIRP Irp);
typedef IO_CSQ_REMOVE_IRP *PIO_CSQ_REMOVE_IRP;
_IRQL_requires_max_(DISPATCH_LEVEL) typedef PIRP
  IO_CSQ_PEEK_NEXT_IRP(_In_ struct _IO_CSQ *Csq, _In_opt_ PIRP Irp, _In_opt_ PVOID PeekContext);
typedef IO_CSQ_PEEK_NEXT_IRP *PIO_CSQ_PEEK_NEXT_IRP;
_IRQL_requires_max_(DISPATCH_LEVEL) _IRQL_raises_(DISPATCH_LEVEL) typedef VOID
  IO_CSQ_ACQUIRE_LOCK(_In_ struct _IO_CSQ *Csq, _Out_ _IRQL_saves_ PKIRQL Irql);
typedef IO_CSQ_ACQUIRE_LOCK *PIO_CSQ_ACQUIRE_LOCK;
_IRQL_requires_(DISPATCH_LEVEL) typedef VOID
  IO_CSQ_RELEASE_LOCK(_In_ struct _IO_CSQ *Csq, _In_ _IRQL_restores_ KIRQL Irql);
typedef IO_CSQ_RELEASE_LOCK *PIO_CSQ_RELEASE_LOCK;
_IRQL_requires_max_(DISPATCH_LEVEL) typedef VOID
  IO_CSQ_COMPLETE_CANCELED_IRP(_In_ struct _IO_CSQ *Csq, _In_ PIRP Irp);
typedef IO_CSQ_COMPLETE_CANCELED_IRP *PIO_CSQ_COMPLETE_CANCELED_IRP;

/* The queue's dispatch table. Drivers treat it as opaque: IoCsqInitialize(Ex) fills it in. The
 * IoCsq routines keep their per-IRP state in Irp->Tail.Overlay.DriverContext[3]. */
typedef struct _IO_CSQ {
  ULONG Type;
  PIO_CSQ_INSERT_IRP CsqInsertIrp;
  PIO_CSQ_REMOVE_IRP CsqRemoveIrp;
  PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp;
  PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock;
  PIO_CSQ_RELEASE_LOCK CsqReleaseLock;
  PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp;
  PVOID ReservePointer;
} IO_CSQ, *PIO_CSQ;

_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI NTSTATUS NTAPI
  IoCsqInitialize(_Out_ PIO_CSQ Csq, _In_ PIO_CSQ_INSERT_IRP CsqInsertIrp, _In_ PIO_CSQ_REMOVE_IRP CsqRemoveIrp,
                  _In_ PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp, _In_ PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock,
                  _In_ PIO_CSQ_RELEASE_LOCK CsqReleaseLock,
                  _In_ PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI NTSTATUS NTAPI
  IoCsqInitializeEx(_Out_ PIO_CSQ Csq, _In_ PIO_CSQ_INSERT_IRP_EX CsqInsertIrp,
                    _In_ PIO_CSQ_REMOVE_IRP CsqRemoveIrp, _In_ PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp,
                    _In_ PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock, _In_ PIO_CSQ_RELEASE_LOCK CsqReleaseLock,
                    _In_ PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  IoCsqInsertIrp(_Inout_ PIO_CSQ Csq, _Inout_ PIRP Irp, _Out_opt_ PIO_CSQ_IRP_CONTEXT Context);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI NTSTATUS NTAPI
  IoCsqInsertIrpEx(_Inout_ PIO_CSQ Csq, _Inout_ PIRP Irp, _Out_opt_ PIO_CSQ_IRP_CONTEXT Context,
                   _In_opt_ PVOID InsertContext);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI PIRP NTAPI IoCsqRemoveNextIrp(_Inout_ PIO_CSQ Csq,
                                                                                 _In_opt_ PVOID PeekContext);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI PIRP NTAPI IoCsqRemoveIrp(_Inout_ PIO_CSQ Csq,
                                                                             _Inout_ PIO_CSQ_IRP_CONTEXT Context);

/* --- remove locks ------------------------------------------------------------------------------ */

/* The free-build layout: the lab keeps the tags and acquisition sites of each lock in a table of
 * its own, so the checked-build debug block is not needed. */
typedef struct _IO_REMOVE_LOCK_COMMON_BLOCK {
  BOOLEAN Removed;
  BOOLEAN Reserved[3];
  __volatile LONG IoCount;
  KEVENT RemoveEvent;
} IO_REMOVE_LOCK_COMMON_BLOCK;

typedef struct _IO_REMOVE_LOCK {
  IO_REMOVE_LOCK_COMMON_BLOCK Common;
} IO_REMOVE_LOCK, *PIO_REMOVE_LOCK;

_IRQL_requires_max_(PASSIVE_LEVEL) NTKERNELAPI VOID NTAPI
  IoInitializeRemoveLockEx(_Out_ PIO_REMOVE_LOCK Lock, _In_ ULONG AllocateTag, _In_ ULONG MaxLockedMinutes,
                           _In_ ULONG HighWatermark, _In_ ULONG RemlockSize);
_IRQL_requires_max_(DISPATCH_LEVEL) _Must_inspect_result_ NTKERNELAPI NTSTATUS NTAPI
  IoAcquireRemoveLockEx(_Inout_ PIO_REMOVE_LOCK RemoveLock, _In_opt_ PVOID Tag, _In_ PCSTR File, _In_ ULONG Line,
                        _In_ ULONG RemlockSize);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  IoReleaseRemoveLockEx(_Inout_ PIO_REMOVE_LOCK RemoveLock, _In_opt_ PVOID Tag, _In_ ULONG RemlockSize);
_IRQL_requires_max_(PASSIVE_LEVEL) NTKERNELAPI VOID NTAPI
  IoReleaseRemoveLockAndWaitEx(_Inout_ PIO_REMOVE_LOCK RemoveLock, _In_opt_ PVOID Tag, _In_ ULONG RemlockSize);

#define IoInitializeRemoveLock(Lock, AllocateTag, MaxLockedMinutes, HighWatermark) \
  IoInitializeRemoveLockEx(Lock, AllocateTag, MaxLockedMinutes, HighWatermark, sizeof(IO_REMOVE_LOCK))
#define IoAcquireRemoveLock(RemoveLock, Tag) \
  IoAcquireRemoveLockEx(RemoveLock, Tag, __FILE__, __LINE__, sizeof(IO_REMOVE_LOCK))
#define IoReleaseRemoveLock(RemoveLock, Tag) IoReleaseRemoveLockEx(RemoveLock, Tag, sizeof(IO_REMOVE_LOCK))
#define IoReleaseRemoveLockAndWait(RemoveLock, Tag) \
  IoReleaseRemoveLockAndWaitEx(RemoveLock, Tag, sizeof(IO_REMOVE_LOCK))

/* --- StartIo and device queues ----------------------------------------------------------------- */

_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  IoStartPacket(_In_ PDEVICE_OBJECT DeviceObject, _In_ PIRP Irp, _In_opt_ PULONG Key,
                _In_opt_ PDRIVER_CANCEL CancelFunction);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  IoStartNextPacket(_In_ PDEVICE_OBJECT DeviceObject, _In_ BOOLEAN Cancelable);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  IoStartNextPacketByKey(_In_ PDEVICE_OBJECT DeviceObject, _In_ BOOLEAN Cancelable, _In_ ULONG Key);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  IoSetStartIoAttributes(_In_ PDEVICE_OBJECT DeviceObject, _In_ BOOLEAN DeferredStartIo,
                         _In_ BOOLEAN NonCancelable);

_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  KeInitializeDeviceQueue(_Out_ PKDEVICE_QUEUE DeviceQueue);
_IRQL_requires_(DISPATCH_LEVEL) NTKERNELAPI BOOLEAN NTAPI
  KeInsertDeviceQueue(_Inout_ PKDEVICE_QUEUE DeviceQueue, _Inout_ PKDEVICE_QUEUE_ENTRY DeviceQueueEntry);
_IRQL_requires_(DISPATCH_LEVEL) NTKERNELAPI BOOLEAN NTAPI
  KeInsertByKeyDeviceQueue(_Inout_ PKDEVICE_QUEUE DeviceQueue, _Inout_ PKDEVICE_QUEUE_ENTRY DeviceQueueEntry,
                           _In_ ULONG SortKey);
_IRQL_requires_(DISPATCH_LEVEL) NTKERNELAPI PKDEVICE_QUEUE_ENTRY NTAPI
  KeRemoveDeviceQueue(_Inout_ PKDEVICE_QUEUE DeviceQueue);
_IRQL_requires_(DISPATCH_LEVEL) NTKERNELAPI PKDEVICE_QUEUE_ENTRY NTAPI
  KeRemoveByKeyDeviceQueue(_Inout_ PKDEVICE_QUEUE DeviceQueue, _In_ ULONG SortKey);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI BOOLEAN NTAPI
  KeRemoveEntryDeviceQueue(_Inout_ PKDEVICE_QUEUE DeviceQueue, _Inout_ PKDEVICE_QUEUE_ENTRY DeviceQueueEntry);

/* DPC for ISR: the device object's own DPC. */
FORCEINLINE VOID IoInitializeDpcRequest(_In_ PDEVICE_OBJECT DeviceObject, _In_ PIO_DPC_ROUTINE DpcRoutine) {
  KeInitializeDpc(&DeviceObject->Dpc, (PKDEFERRED_ROUTINE)(ULONG_PTR)DpcRoutine, DeviceObject);
}

FORCEINLINE VOID IoRequestDpc(_Inout_ PDEVICE_OBJECT DeviceObject, _In_opt_ PIRP Irp, _In_opt_ PVOID Context) {
  KeInsertQueueDpc(&DeviceObject->Dpc, Irp, Context);
}

/* --- work items -------------------------------------------------------------------------------- */

_IRQL_requires_max_(DISPATCH_LEVEL) _Must_inspect_result_ NTKERNELAPI PIO_WORKITEM NTAPI
  IoAllocateWorkItem(_In_ PDEVICE_OBJECT DeviceObject);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI IoFreeWorkItem(_In_ __drv_freesMem(Mem) PIO_WORKITEM IoWorkItem);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  IoQueueWorkItem(_Inout_ __drv_aliasesMem PIO_WORKITEM IoWorkItem, _In_ PIO_WORKITEM_ROUTINE WorkerRoutine,
                  _In_ WORK_QUEUE_TYPE QueueType, _In_opt_ __drv_aliasesMem PVOID Context);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  IoQueueWorkItemEx(_Inout_ __drv_aliasesMem PIO_WORKITEM IoWorkItem, _In_ PIO_WORKITEM_ROUTINE_EX WorkerRoutine,
                    _In_ WORK_QUEUE_TYPE QueueType, _In_opt_ __drv_aliasesMem PVOID Context);
NTKERNELAPI ULONG NTAPI IoSizeofWorkItem(VOID);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  IoInitializeWorkItem(_In_ PVOID IoObject, _Out_ PIO_WORKITEM IoWorkItem);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI IoUninitializeWorkItem(_Inout_ PIO_WORKITEM IoWorkItem);

/* --- MDLs -------------------------------------------------------------------------------------- */

_IRQL_requires_max_(DISPATCH_LEVEL) _Must_inspect_result_ NTKERNELAPI PMDL NTAPI
  IoAllocateMdl(_In_opt_ __drv_aliasesMem PVOID VirtualAddress, _In_ ULONG Length, _In_ BOOLEAN SecondaryBuffer,
                _In_ BOOLEAN ChargeQuota, _Inout_opt_ PIRP Irp);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI IoFreeMdl(PMDL Mdl);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  IoBuildPartialMdl(_In_ PMDL SourceMdl, _Inout_ PMDL TargetMdl, _In_ PVOID VirtualAddress, _In_ ULONG Length);

/* --- file services for drivers ----------------------------------------------------------------- */

_IRQL_requires_max_(PASSIVE_LEVEL) NTSYSAPI NTSTATUS NTAPI
  ZwCreateFile(_Out_ PHANDLE FileHandle, _In_ ACCESS_MASK DesiredAccess, _In_ POBJECT_ATTRIBUTES ObjectAttributes,
               _Out_ PIO_STATUS_BLOCK IoStatusBlock, _In_opt_ PLARGE_INTEGER AllocationSize, _In_ ULONG FileAttributes,
               _In_ ULONG ShareAccess, _In_ ULONG CreateDisposition, _In_ ULONG CreateOptions,
               _In_reads_bytes_opt_(EaLength) PVOID EaBuffer, _In_ ULONG EaLength);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSYSAPI NTSTATUS NTAPI
  ZwOpenFile(_Out_ PHANDLE FileHandle, _In_ ACCESS_MASK DesiredAccess, _In_ POBJECT_ATTRIBUTES ObjectAttributes,
             _Out_ PIO_STATUS_BLOCK IoStatusBlock, _In_ ULONG ShareAccess, _In_ ULONG OpenOptions);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSYSAPI NTSTATUS NTAPI
  ZwReadFile(_In_ HANDLE FileHandle, _In_opt_ HANDLE Event, _In_opt_ PIO_APC_ROUTINE ApcRoutine,
             _In_opt_ PVOID ApcContext, _Out_ PIO_STATUS_BLOCK IoStatusBlock,
             _Out_writes_bytes_(Length) PVOID Buffer, _In_ ULONG Length, _In_opt_ PLARGE_INTEGER ByteOffset,
             _In_opt_ PULONG Key);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSYSAPI NTSTATUS NTAPI
  ZwWriteFile(_In_ HANDLE FileHandle, _In_opt_ HANDLE Event, _In_opt_ PIO_APC_ROUTINE ApcRoutine,
              _In_opt_ PVOID ApcContext, _Out_ PIO_STATUS_BLOCK IoStatusBlock,
              _In_reads_bytes_(Length) PVOID Buffer, _In_ ULONG Length, _In_opt_ PLARGE_INTEGER ByteOffset,
              _In_opt_ PULONG Key);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSYSAPI NTSTATUS NTAPI
  ZwDeviceIoControlFile(_In_ HANDLE FileHandle, _In_opt_ HANDLE Event, _In_opt_ PIO_APC_ROUTINE ApcRoutine,
                        _In_opt_ PVOID ApcContext, _Out_ PIO_STATUS_BLOCK IoStatusBlock, _In_ ULONG IoControlCode,
                        _In_reads_bytes_opt_(InputBufferLength) PVOID InputBuffer, _In_ ULONG InputBufferLength,
                        _Out_writes_bytes_opt_(OutputBufferLength) PVOID OutputBuffer, _In_ ULONG OutputBufferLength);

WDMLAB_EXTERN_C_END

#endif /* WDMLAB_WDK_IO_ROUTINES_H */
