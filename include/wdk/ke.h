/*
 * wdk/ke.h - kernel core: IRQL, spin locks, dispatcher objects (events, semaphores, mutexes,
 * timers, threads), waits, DPCs, interlocked operations, time and processors.
 *
 * Layouts and sizes follow Windows x64 where drivers embed the structure (KEVENT, KDPC, KTIMER,
 * ...). The lab keeps the object's state in those fields (signal state, wait list, DPC queue
 * link), so a driver that frees or overwrites a live object corrupts it as it would on Windows.
 *
 * Routines that are inline or macros over CPU registers on x64 (KeGetCurrentIrql, KeLowerIrql,
 * KeQuerySystemTime, KeQueryTickCount, the Interlocked intrinsics) are ordinary calls into the
 * lab here, because every kernel routine is a scheduling point of the simulated machine.
 */
#ifndef WDMLAB_WDK_KE_H
#define WDMLAB_WDK_KE_H

WDMLAB_EXTERN_C_START

/* Interrupt request levels (x64). */
#define PASSIVE_LEVEL 0
#define LOW_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2
#define CMCI_LEVEL 5
#define CLOCK_LEVEL 13
#define IPI_LEVEL 14
#define DRS_LEVEL 14
#define POWER_LEVEL 14
#define PROFILE_LEVEL 15
#define HIGH_LEVEL 15
#define SYNCH_LEVEL (IPI_LEVEL - 2)

/* Processor modes and wait reasons. */
typedef enum _KWAIT_REASON {
  Executive,
  FreePage,
  PageIn,
  PoolAllocation,
  DelayExecution,
  Suspended,
  UserRequest,
  WrExecutive,
  WrFreePage,
  WrPageIn,
  WrPoolAllocation,
  WrDelayExecution,
  WrSuspended,
  WrUserRequest,
  WrSpare0,
  WrQueue,
  WrLpcReceive,
  WrLpcReply,
  WrVirtualMemory,
  WrPageOut,
  WrRendezvous,
  WrKeyedEvent,
  WrTerminated,
  WrProcessInSwap,
  WrCpuRateControl,
  WrCalloutStack,
  WrKernel,
  WrResource,
  WrPushLock,
  WrMutex,
  WrQuantumEnd,
  WrDispatchInt,
  WrPreempted,
  WrYieldExecution,
  WrFastMutex,
  WrGuardedMutex,
  WrRundown,
  WrAlertByThreadId,
  WrDeferredPreempt,
  WrPhysicalFault,
  MaximumWaitReason
} KWAIT_REASON;

/* Dispatcher object types (DISPATCHER_HEADER.Type). */
typedef enum _KOBJECTS {
  EventNotificationObject = 0,
  EventSynchronizationObject = 1,
  MutantObject = 2,
  ProcessObject = 3,
  QueueObject = 4,
  SemaphoreObject = 5,
  ThreadObject = 6,
  GateObject = 7,
  TimerNotificationObject = 8,
  TimerSynchronizationObject = 9,
  Spare2Object = 10,
  Spare3Object = 11,
  Spare4Object = 12,
  Spare5Object = 13,
  Spare6Object = 14,
  Spare7Object = 15,
  Spare8Object = 16,
  ProfileCallbackObject = 17,
  ApcObject = 18,
  DpcObject = 19,
  DeviceQueueObject = 20,
  PriQueueObject = 21,
  InterruptObject = 22,
  ProfileObject = 23,
  Timer2NotificationObject = 24,
  Timer2SynchronizationObject = 25,
  ThreadedDpcObject = 26,
  MaximumKernelObject = 27
} KOBJECTS;

struct _KTHREAD;
struct _ETHREAD;
struct _KPROCESS;
struct _EPROCESS;
typedef struct _KTHREAD *PKTHREAD, *PRKTHREAD;
typedef struct _ETHREAD *PETHREAD;
typedef struct _KPROCESS *PKPROCESS, *PRKPROCESS;
typedef struct _EPROCESS *PEPROCESS;

typedef ULONG_PTR KSPIN_LOCK;
typedef KSPIN_LOCK *PKSPIN_LOCK;

typedef struct _KSPIN_LOCK_QUEUE {
  struct _KSPIN_LOCK_QUEUE *volatile Next;
  PKSPIN_LOCK volatile Lock;
} KSPIN_LOCK_QUEUE, *PKSPIN_LOCK_QUEUE;

typedef struct _KLOCK_QUEUE_HANDLE {
  KSPIN_LOCK_QUEUE LockQueue;
  KIRQL OldIrql;
} KLOCK_QUEUE_HANDLE, *PKLOCK_QUEUE_HANDLE;

typedef struct _DISPATCHER_HEADER {
  union {
    struct {
      UCHAR Type;
      union {
        UCHAR Signalling;
        UCHAR Abandoned;
        UCHAR TimerControlFlags;
      };
      union {
        UCHAR Size;
        UCHAR Hand;
      };
      union {
        UCHAR DpcActive;
        UCHAR DebugActive;
        UCHAR TimerMiscFlags;
      };
    };
    volatile LONG Lock;
    LONG LockNV;
  };
  LONG SignalState;
  LIST_ENTRY WaitListHead;
} DISPATCHER_HEADER, *PDISPATCHER_HEADER;

typedef struct _KEVENT {
  DISPATCHER_HEADER Header;
} KEVENT, *PKEVENT, *PRKEVENT;

typedef struct _KSEMAPHORE {
  DISPATCHER_HEADER Header;
  LONG Limit;
} KSEMAPHORE, *PKSEMAPHORE, *PRKSEMAPHORE;

typedef struct _KMUTANT {
  DISPATCHER_HEADER Header;
  LIST_ENTRY MutantListEntry;
  struct _KTHREAD *OwnerThread;
  union {
    UCHAR MutantFlags;
    UCHAR Abandoned;
  };
  UCHAR ApcDisable;
} KMUTANT, *PKMUTANT, *PRKMUTANT, KMUTEX, *PKMUTEX, *PRKMUTEX;

typedef struct _KDPC *PKDPC, *PRKDPC;

_Function_class_(KDEFERRED_ROUTINE) _IRQL_requires_max_(DISPATCH_LEVEL) _IRQL_requires_min_(DISPATCH_LEVEL)
  _IRQL_requires_(DISPATCH_LEVEL) _IRQL_requires_same_ typedef VOID
  KDEFERRED_ROUTINE(_In_ struct _KDPC *Dpc, _In_opt_ PVOID DeferredContext, _In_opt_ PVOID SystemArgument1,
                    _In_opt_ PVOID SystemArgument2);
typedef KDEFERRED_ROUTINE *PKDEFERRED_ROUTINE;

typedef enum _KDPC_IMPORTANCE { LowImportance, MediumImportance, HighImportance, MediumHighImportance } KDPC_IMPORTANCE;

typedef struct _KDPC {
  union {
    ULONG TargetInfoAsUlong;
    struct {
      UCHAR Type;
      UCHAR Importance;
      volatile USHORT Number;
    };
  };
  SINGLE_LIST_ENTRY DpcListEntry;
  KAFFINITY ProcessorHistory;
  PKDEFERRED_ROUTINE DeferredRoutine;
  PVOID DeferredContext;
  PVOID SystemArgument1;
  PVOID SystemArgument2;
  __volatile PVOID DpcData;
} KDPC;

typedef struct _KTIMER {
  DISPATCHER_HEADER Header;
  ULARGE_INTEGER DueTime;
  LIST_ENTRY TimerListEntry;
  struct _KDPC *Dpc;
  ULONG Processor;
  ULONG Period;
} KTIMER, *PKTIMER, *PRKTIMER;

typedef struct _KWAIT_BLOCK {
  LIST_ENTRY WaitListEntry;
  UCHAR WaitType;
  volatile UCHAR BlockState;
  USHORT WaitKey;
  LONG SpareLong;
  union {
    struct _KTHREAD *Thread;
    struct _KQUEUE *NotificationQueue;
    struct _KDPC *Dpc;
  };
  PVOID Object;
  PVOID SparePtr;
} KWAIT_BLOCK, *PKWAIT_BLOCK, *PRKWAIT_BLOCK;

#define THREAD_WAIT_OBJECTS 3
#define SEMAPHORE_QUERY_STATE 0x0001
#define SEMAPHORE_MODIFY_STATE 0x0002
#define MUTANT_QUERY_STATE 0x0001
#define EVENT_QUERY_STATE 0x0001
#define EVENT_MODIFY_STATE 0x0002
#define TIMER_QUERY_STATE 0x0001
#define TIMER_MODIFY_STATE 0x0002
#define TIMER_TOLERABLE_DELAY_BITS 6
#define TIMER_EXPIRED_INDEX_BITS 6
#define TIMER_PROCESSOR_INDEX_BITS 5
#define IO_NO_INCREMENT 0
#define EVENT_INCREMENT 1
#define SEMAPHORE_INCREMENT 1
#define MUTANT_INCREMENT 1
#define LOW_PRIORITY 0
#define LOW_REALTIME_PRIORITY 16
#define HIGH_PRIORITY 31
#define MAXIMUM_PRIORITY 32

/* Device queues (used by the I/O manager's StartIo). */
typedef struct _KDEVICE_QUEUE {
  CSHORT Type;
  CSHORT Size;
  LIST_ENTRY DeviceListHead;
  KSPIN_LOCK Lock;
  union {
    BOOLEAN Busy;
    struct {
      LONG64 Reserved : 8;
      LONG64 Hint : 56;
    };
  };
} KDEVICE_QUEUE, *PKDEVICE_QUEUE, *PRKDEVICE_QUEUE;

typedef struct _KDEVICE_QUEUE_ENTRY {
  LIST_ENTRY DeviceListEntry;
  ULONG SortKey;
  BOOLEAN Inserted;
} KDEVICE_QUEUE_ENTRY, *PKDEVICE_QUEUE_ENTRY, *PRKDEVICE_QUEUE_ENTRY;

/* APCs. Drivers embed the KAPC (an IRP's Tail.Apc); the routines that initialize and queue one are
   undocumented and not exported, so only the kernel itself queues APCs. Windows x64 keeps the
   kernel, rundown and normal routines in Reserved[0], [1] and [2]. */
struct _KAPC;
typedef VOID NTAPI KNORMAL_ROUTINE(_In_opt_ PVOID NormalContext, _In_opt_ PVOID SystemArgument1,
                                   _In_opt_ PVOID SystemArgument2);
typedef KNORMAL_ROUTINE *PKNORMAL_ROUTINE;
typedef VOID NTAPI KKERNEL_ROUTINE(_In_ struct _KAPC *Apc, _Inout_ PKNORMAL_ROUTINE *NormalRoutine,
                                   _Inout_ PVOID *NormalContext, _Inout_ PVOID *SystemArgument1,
                                   _Inout_ PVOID *SystemArgument2);
typedef KKERNEL_ROUTINE *PKKERNEL_ROUTINE;
typedef VOID NTAPI KRUNDOWN_ROUTINE(_In_ struct _KAPC *Apc);
typedef KRUNDOWN_ROUTINE *PKRUNDOWN_ROUTINE;

typedef struct _KAPC {
  UCHAR Type;
  UCHAR AllFlags;
  UCHAR Size;
  UCHAR SpareByte1;
  ULONG SpareLong0;
  struct _KTHREAD *Thread;
  LIST_ENTRY ApcListEntry;
  PVOID Reserved[3];
  PVOID NormalContext;
  PVOID SystemArgument1;
  PVOID SystemArgument2;
  CCHAR ApcStateIndex;
  KPROCESSOR_MODE ApcMode;
  BOOLEAN Inserted;
} KAPC, *PKAPC, *PRKAPC;

typedef struct _KFLOATING_SAVE {
  ULONG Dummy;
} KFLOATING_SAVE, *PKFLOATING_SAVE;

/* IRQL. */
_IRQL_requires_max_(HIGH_LEVEL) NTKERNELAPI KIRQL NTAPI KeGetCurrentIrql(VOID);
_IRQL_requires_max_(HIGH_LEVEL) _IRQL_raises_(NewIrql) _IRQL_saves_ NTKERNELAPI KIRQL NTAPI KfRaiseIrql(_In_ KIRQL NewIrql);
_IRQL_requires_max_(HIGH_LEVEL) NTKERNELAPI VOID NTAPI KeLowerIrql(_In_ _IRQL_restores_ KIRQL NewIrql);
_IRQL_requires_max_(DISPATCH_LEVEL) _IRQL_raises_(DISPATCH_LEVEL) _IRQL_saves_ NTKERNELAPI KIRQL NTAPI
  KeRaiseIrqlToDpcLevel(VOID);
_IRQL_requires_max_(SYNCH_LEVEL) _IRQL_raises_(SYNCH_LEVEL) _IRQL_saves_ NTKERNELAPI KIRQL NTAPI
  KeRaiseIrqlToSynchLevel(VOID);
#define KeRaiseIrql(NewIrql, OldIrql) (*(OldIrql) = KfRaiseIrql(NewIrql))
#define KfLowerIrql KeLowerIrql

/* Spin locks. */
NTKERNELAPI VOID NTAPI KeInitializeSpinLock(_Out_ PKSPIN_LOCK SpinLock);
_Requires_lock_not_held_(*SpinLock) _Acquires_lock_(*SpinLock) _IRQL_requires_max_(DISPATCH_LEVEL) _IRQL_saves_
  _IRQL_raises_(DISPATCH_LEVEL) NTKERNELAPI KIRQL NTAPI KeAcquireSpinLockRaiseToDpc(_Inout_ PKSPIN_LOCK SpinLock);
#define KeAcquireSpinLock(SpinLock, OldIrql) (*(OldIrql) = KeAcquireSpinLockRaiseToDpc(SpinLock))
_Requires_lock_held_(*SpinLock) _Releases_lock_(*SpinLock) _IRQL_requires_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  KeReleaseSpinLock(_Inout_ PKSPIN_LOCK SpinLock, _In_ _IRQL_restores_ KIRQL NewIrql);
_Requires_lock_not_held_(*SpinLock) _Acquires_lock_(*SpinLock) _IRQL_requires_min_(DISPATCH_LEVEL) NTKERNELAPI VOID
  NTAPI KeAcquireSpinLockAtDpcLevel(_Inout_ PKSPIN_LOCK SpinLock);
_Requires_lock_held_(*SpinLock) _Releases_lock_(*SpinLock) _IRQL_requires_min_(DISPATCH_LEVEL) NTKERNELAPI VOID
  NTAPI KeReleaseSpinLockFromDpcLevel(_Inout_ PKSPIN_LOCK SpinLock);
_Must_inspect_result_ _IRQL_requires_min_(DISPATCH_LEVEL) NTKERNELAPI BOOLEAN NTAPI
  KeTryToAcquireSpinLockAtDpcLevel(_Inout_ PKSPIN_LOCK SpinLock);
_Must_inspect_result_ NTKERNELAPI BOOLEAN NTAPI KeTestSpinLock(_In_ PKSPIN_LOCK SpinLock);
_IRQL_requires_max_(DISPATCH_LEVEL) _IRQL_saves_ _IRQL_raises_(DISPATCH_LEVEL) NTKERNELAPI KIRQL NTAPI
  KeAcquireSpinLockForDpc(_Inout_ PKSPIN_LOCK SpinLock);
_IRQL_requires_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI KeReleaseSpinLockForDpc(_Inout_ PKSPIN_LOCK SpinLock,
                                                                                _In_ _IRQL_restores_ KIRQL OldIrql);
_IRQL_requires_max_(DISPATCH_LEVEL) _IRQL_raises_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  KeAcquireInStackQueuedSpinLock(_Inout_ PKSPIN_LOCK SpinLock, _Out_ PKLOCK_QUEUE_HANDLE LockHandle);
_IRQL_requires_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  KeReleaseInStackQueuedSpinLock(_In_ PKLOCK_QUEUE_HANDLE LockHandle);
_IRQL_requires_min_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  KeAcquireInStackQueuedSpinLockAtDpcLevel(_Inout_ PKSPIN_LOCK SpinLock, _Out_ PKLOCK_QUEUE_HANDLE LockHandle);
_IRQL_requires_min_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  KeReleaseInStackQueuedSpinLockFromDpcLevel(_In_ PKLOCK_QUEUE_HANDLE LockHandle);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  KeAcquireInStackQueuedSpinLockForDpc(_Inout_ PKSPIN_LOCK SpinLock, _Out_ PKLOCK_QUEUE_HANDLE LockHandle);
_IRQL_requires_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  KeReleaseInStackQueuedSpinLockForDpc(_In_ PKLOCK_QUEUE_HANDLE LockHandle);

/* Events. */
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI KeInitializeEvent(_Out_ PRKEVENT Event, _In_ EVENT_TYPE Type,
                                                                              _In_ BOOLEAN State);
_When_(Wait == 0, _IRQL_requires_max_(DISPATCH_LEVEL)) _When_(Wait == 1, _IRQL_requires_max_(APC_LEVEL))
  NTKERNELAPI LONG NTAPI KeSetEvent(_Inout_ PRKEVENT Event, _In_ KPRIORITY Increment, _In_ _Literal_ BOOLEAN Wait);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI LONG NTAPI KeResetEvent(_Inout_ PRKEVENT Event);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI KeClearEvent(_Inout_ PRKEVENT Event);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI LONG NTAPI KeReadStateEvent(_In_ PRKEVENT Event);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI LONG NTAPI KePulseEvent(_Inout_ PRKEVENT Event,
                                                                         _In_ KPRIORITY Increment,
                                                                         _In_ BOOLEAN Wait);

/* Semaphores. */
_IRQL_requires_max_(PASSIVE_LEVEL) NTKERNELAPI VOID NTAPI KeInitializeSemaphore(_Out_ PRKSEMAPHORE Semaphore,
                                                                                 _In_ LONG Count, _In_ LONG Limit);
_When_(Wait == 0, _IRQL_requires_max_(DISPATCH_LEVEL)) _When_(Wait == 1, _IRQL_requires_max_(APC_LEVEL))
  NTKERNELAPI LONG NTAPI KeReleaseSemaphore(_Inout_ PRKSEMAPHORE Semaphore, _In_ KPRIORITY Increment,
                                            _In_ LONG Adjustment, _In_ _Literal_ BOOLEAN Wait);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI LONG NTAPI KeReadStateSemaphore(_In_ PRKSEMAPHORE Semaphore);

/* Mutexes. */
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI KeInitializeMutex(_Out_ PRKMUTEX Mutex, _In_ ULONG Level);
_When_(Wait == 0, _IRQL_requires_max_(DISPATCH_LEVEL)) _When_(Wait == 1, _IRQL_requires_max_(APC_LEVEL))
  NTKERNELAPI LONG NTAPI KeReleaseMutex(_Inout_ PRKMUTEX Mutex, _In_ BOOLEAN Wait);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI LONG NTAPI KeReadStateMutex(_In_ PRKMUTEX Mutex);
#define KeWaitForMutexObject KeWaitForSingleObject

/* Waits. */
_When_((Timeout == NULL || Timeout->QuadPart != 0), _IRQL_requires_max_(APC_LEVEL))
  _When_((Timeout != NULL && Timeout->QuadPart == 0), _IRQL_requires_max_(DISPATCH_LEVEL)) NTKERNELAPI NTSTATUS
  NTAPI KeWaitForSingleObject(_In_ PVOID Object, _In_ KWAIT_REASON WaitReason, _In_ KPROCESSOR_MODE WaitMode,
                              _In_ BOOLEAN Alertable, _In_opt_ PLARGE_INTEGER Timeout);
_When_((Timeout == NULL || Timeout->QuadPart != 0), _IRQL_requires_max_(APC_LEVEL))
  _When_((Timeout != NULL && Timeout->QuadPart == 0), _IRQL_requires_max_(DISPATCH_LEVEL)) NTKERNELAPI NTSTATUS
  NTAPI KeWaitForMultipleObjects(_In_ ULONG Count, _In_reads_(Count) PVOID Object[], _In_ WAIT_TYPE WaitType,
                                 _In_ KWAIT_REASON WaitReason, _In_ KPROCESSOR_MODE WaitMode, _In_ BOOLEAN Alertable,
                                 _In_opt_ PLARGE_INTEGER Timeout, _Out_opt_ PKWAIT_BLOCK WaitBlockArray);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI NTSTATUS NTAPI KeDelayExecutionThread(_In_ KPROCESSOR_MODE WaitMode,
                                                                                  _In_ BOOLEAN Alertable,
                                                                                  _In_ PLARGE_INTEGER Interval);

/* DPCs. */
_IRQL_requires_max_(HIGH_LEVEL) NTKERNELAPI VOID NTAPI KeInitializeDpc(_Out_ __drv_aliasesMem PRKDPC Dpc,
                                                                        _In_ PKDEFERRED_ROUTINE DeferredRoutine,
                                                                        _In_opt_ __drv_aliasesMem PVOID DeferredContext);
_IRQL_requires_max_(HIGH_LEVEL) NTKERNELAPI VOID NTAPI KeInitializeThreadedDpc(_Out_ PRKDPC Dpc,
                                                                                _In_ PKDEFERRED_ROUTINE DeferredRoutine,
                                                                                _In_opt_ PVOID DeferredContext);
_IRQL_requires_max_(HIGH_LEVEL) NTKERNELAPI BOOLEAN NTAPI KeInsertQueueDpc(_Inout_ PRKDPC Dpc,
                                                                            _In_opt_ PVOID SystemArgument1,
                                                                            _In_opt_ PVOID SystemArgument2);
_IRQL_requires_max_(HIGH_LEVEL) NTKERNELAPI BOOLEAN NTAPI KeRemoveQueueDpc(_Inout_ PRKDPC Dpc);
_IRQL_requires_max_(HIGH_LEVEL) NTKERNELAPI VOID NTAPI KeSetImportanceDpc(_Inout_ PRKDPC Dpc,
                                                                           _In_ KDPC_IMPORTANCE Importance);
_IRQL_requires_max_(HIGH_LEVEL) NTKERNELAPI VOID NTAPI KeSetTargetProcessorDpc(_Inout_ PRKDPC Dpc, _In_ CCHAR Number);
_IRQL_requires_max_(HIGH_LEVEL) NTKERNELAPI NTSTATUS NTAPI KeSetTargetProcessorDpcEx(_Inout_ PKDPC Dpc,
                                                                                      _In_ PPROCESSOR_NUMBER ProcNumber);
_IRQL_requires_max_(PASSIVE_LEVEL) NTKERNELAPI VOID NTAPI KeFlushQueuedDpcs(VOID);
_IRQL_requires_max_(HIGH_LEVEL) NTKERNELAPI BOOLEAN NTAPI KeIsExecutingDpc(VOID);

/* Timers. */
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI KeInitializeTimer(_Out_ PKTIMER Timer);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI KeInitializeTimerEx(_Out_ PKTIMER Timer, _In_ TIMER_TYPE Type);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI BOOLEAN NTAPI KeSetTimer(_Inout_ PKTIMER Timer,
                                                                          _In_ LARGE_INTEGER DueTime,
                                                                          _In_opt_ PKDPC Dpc);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI BOOLEAN NTAPI KeSetTimerEx(_Inout_ PKTIMER Timer,
                                                                            _In_ LARGE_INTEGER DueTime,
                                                                            _In_ LONG Period, _In_opt_ PKDPC Dpc);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI BOOLEAN NTAPI KeSetCoalescableTimer(_Inout_ PKTIMER Timer,
                                                                                     _In_ LARGE_INTEGER DueTime,
                                                                                     _In_ ULONG Period,
                                                                                     _In_ ULONG TolerableDelay,
                                                                                     _In_opt_ PKDPC Dpc);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI BOOLEAN NTAPI KeCancelTimer(_Inout_ PKTIMER Timer);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI BOOLEAN NTAPI KeReadStateTimer(_In_ PKTIMER Timer);

/* Time. All of it is virtual: it advances only as the lab's scheduler runs. */
NTKERNELAPI VOID NTAPI KeQuerySystemTime(_Out_ PLARGE_INTEGER CurrentTime);
NTKERNELAPI VOID NTAPI KeQuerySystemTimePrecise(_Out_ PLARGE_INTEGER CurrentTime);
NTKERNELAPI VOID NTAPI KeQueryTickCount(_Out_ PLARGE_INTEGER CurrentCount);
NTKERNELAPI ULONGLONG NTAPI KeQueryInterruptTime(VOID);
NTKERNELAPI ULONGLONG NTAPI KeQueryInterruptTimePrecise(_Out_ PULONG64 QpcTimeStamp);
NTKERNELAPI ULONGLONG NTAPI KeQueryUnbiasedInterruptTime(VOID);
NTKERNELAPI ULONG NTAPI KeQueryTimeIncrement(VOID);
NTKERNELAPI LARGE_INTEGER NTAPI KeQueryPerformanceCounter(_Out_opt_ PLARGE_INTEGER PerformanceFrequency);
_IRQL_requires_max_(HIGH_LEVEL) NTKERNELAPI VOID NTAPI KeStallExecutionProcessor(_In_ ULONG MicroSeconds);

/* Processors. */
NTKERNELAPI ULONG NTAPI KeGetCurrentProcessorNumber(VOID);
NTKERNELAPI ULONG NTAPI KeGetCurrentProcessorNumberEx(_Out_opt_ PPROCESSOR_NUMBER ProcNumber);
NTKERNELAPI ULONG NTAPI KeGetCurrentProcessorIndex(VOID);
NTKERNELAPI ULONG NTAPI KeQueryActiveProcessorCount(_Out_opt_ PKAFFINITY ActiveProcessors);
NTKERNELAPI ULONG NTAPI KeQueryActiveProcessorCountEx(_In_ USHORT GroupNumber);
NTKERNELAPI ULONG NTAPI KeQueryMaximumProcessorCount(VOID);
NTKERNELAPI ULONG NTAPI KeQueryMaximumProcessorCountEx(_In_ USHORT GroupNumber);
NTKERNELAPI KAFFINITY NTAPI KeQueryActiveProcessors(VOID);
NTKERNELAPI USHORT NTAPI KeQueryActiveGroupCount(VOID);
NTKERNELAPI USHORT NTAPI KeQueryMaximumGroupCount(VOID);
NTKERNELAPI NTSTATUS NTAPI KeGetProcessorNumberFromIndex(_In_ ULONG ProcIndex, _Out_ PPROCESSOR_NUMBER ProcNumber);
NTKERNELAPI ULONG NTAPI KeGetProcessorIndexFromNumber(_In_ PPROCESSOR_NUMBER ProcNumber);
extern NTSYSAPI CCHAR KeNumberProcessors;
#define ALL_PROCESSOR_GROUPS 0xffff

/* Threads, critical and guarded regions. */
NTKERNELAPI PKTHREAD NTAPI KeGetCurrentThread(VOID);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI VOID NTAPI KeEnterCriticalRegion(VOID);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI VOID NTAPI KeLeaveCriticalRegion(VOID);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI VOID NTAPI KeEnterGuardedRegion(VOID);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI VOID NTAPI KeLeaveGuardedRegion(VOID);
NTKERNELAPI BOOLEAN NTAPI KeAreApcsDisabled(VOID);
NTKERNELAPI BOOLEAN NTAPI KeAreAllApcsDisabled(VOID);
NTKERNELAPI KPRIORITY NTAPI KeQueryPriorityThread(_In_ PKTHREAD Thread);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI KPRIORITY NTAPI KeSetPriorityThread(_Inout_ PKTHREAD Thread,
                                                                                     _In_ KPRIORITY Priority);
NTKERNELAPI LONG NTAPI KeReadStateThread(_In_ PKTHREAD Thread);

/* Floating point (the lab's threads always preserve it). */
_Must_inspect_result_ _IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI NTSTATUS NTAPI
  KeSaveFloatingPointState(_Out_ PKFLOATING_SAVE FloatSave);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI NTSTATUS NTAPI
  KeRestoreFloatingPointState(_In_ PKFLOATING_SAVE FloatSave);

/* Bug checks. */
DECLSPEC_NORETURN NTKERNELAPI VOID NTAPI KeBugCheckEx(_In_ ULONG BugCheckCode, _In_ ULONG_PTR BugCheckParameter1,
                                                      _In_ ULONG_PTR BugCheckParameter2,
                                                      _In_ ULONG_PTR BugCheckParameter3,
                                                      _In_ ULONG_PTR BugCheckParameter4);
DECLSPEC_NORETURN NTKERNELAPI VOID NTAPI KeBugCheck(_In_ ULONG BugCheckCode);

/* Interlocked operations. Each is a scheduling point, so races between the plain accesses around
 * them and another processor are explored. */
NTKERNELAPI LONG NTAPI InterlockedIncrement(_Inout_ _Interlocked_operand_ LONG volatile *Addend);
NTKERNELAPI LONG NTAPI InterlockedDecrement(_Inout_ _Interlocked_operand_ LONG volatile *Addend);
NTKERNELAPI LONG NTAPI InterlockedExchange(_Inout_ _Interlocked_operand_ LONG volatile *Target, _In_ LONG Value);
NTKERNELAPI LONG NTAPI InterlockedExchangeAdd(_Inout_ _Interlocked_operand_ LONG volatile *Addend, _In_ LONG Value);
NTKERNELAPI LONG NTAPI InterlockedCompareExchange(_Inout_ _Interlocked_operand_ LONG volatile *Destination,
                                                  _In_ LONG ExChange, _In_ LONG Comperand);
NTKERNELAPI LONG NTAPI InterlockedAnd(_Inout_ _Interlocked_operand_ LONG volatile *Destination, _In_ LONG Value);
NTKERNELAPI LONG NTAPI InterlockedOr(_Inout_ _Interlocked_operand_ LONG volatile *Destination, _In_ LONG Value);
NTKERNELAPI LONG NTAPI InterlockedXor(_Inout_ _Interlocked_operand_ LONG volatile *Destination, _In_ LONG Value);
NTKERNELAPI SHORT NTAPI InterlockedIncrement16(_Inout_ _Interlocked_operand_ SHORT volatile *Addend);
NTKERNELAPI SHORT NTAPI InterlockedDecrement16(_Inout_ _Interlocked_operand_ SHORT volatile *Addend);
NTKERNELAPI SHORT NTAPI InterlockedCompareExchange16(_Inout_ _Interlocked_operand_ SHORT volatile *Destination,
                                                     _In_ SHORT ExChange, _In_ SHORT Comperand);
NTKERNELAPI LONG64 NTAPI InterlockedIncrement64(_Inout_ _Interlocked_operand_ LONG64 volatile *Addend);
NTKERNELAPI LONG64 NTAPI InterlockedDecrement64(_Inout_ _Interlocked_operand_ LONG64 volatile *Addend);
NTKERNELAPI LONG64 NTAPI InterlockedExchange64(_Inout_ _Interlocked_operand_ LONG64 volatile *Target, _In_ LONG64 Value);
NTKERNELAPI LONG64 NTAPI InterlockedExchangeAdd64(_Inout_ _Interlocked_operand_ LONG64 volatile *Addend,
                                                  _In_ LONG64 Value);
NTKERNELAPI LONG64 NTAPI InterlockedCompareExchange64(_Inout_ _Interlocked_operand_ LONG64 volatile *Destination,
                                                      _In_ LONG64 ExChange, _In_ LONG64 Comperand);
NTKERNELAPI LONG64 NTAPI InterlockedAnd64(_Inout_ _Interlocked_operand_ LONG64 volatile *Destination, _In_ LONG64 Value);
NTKERNELAPI LONG64 NTAPI InterlockedOr64(_Inout_ _Interlocked_operand_ LONG64 volatile *Destination, _In_ LONG64 Value);
NTKERNELAPI LONG64 NTAPI InterlockedXor64(_Inout_ _Interlocked_operand_ LONG64 volatile *Destination, _In_ LONG64 Value);
NTKERNELAPI PVOID NTAPI InterlockedExchangePointer(_Inout_ _Interlocked_operand_ PVOID volatile *Target,
                                                   _In_opt_ PVOID Value);
NTKERNELAPI PVOID NTAPI InterlockedCompareExchangePointer(_Inout_ _Interlocked_operand_ PVOID volatile *Destination,
                                                          _In_opt_ PVOID ExChange, _In_opt_ PVOID Comperand);
NTKERNELAPI BOOLEAN NTAPI InterlockedBitTestAndSet(_Inout_ _Interlocked_operand_ LONG volatile *Base, _In_ LONG Bit);
NTKERNELAPI BOOLEAN NTAPI InterlockedBitTestAndReset(_Inout_ _Interlocked_operand_ LONG volatile *Base, _In_ LONG Bit);

#define InterlockedAdd(Addend, Value) (InterlockedExchangeAdd((Addend), (Value)) + (Value))
#define InterlockedAdd64(Addend, Value) (InterlockedExchangeAdd64((Addend), (Value)) + (Value))
#define InterlockedIncrementAcquire InterlockedIncrement
#define InterlockedIncrementRelease InterlockedIncrement
#define InterlockedIncrementNoFence InterlockedIncrement
#define InterlockedDecrementAcquire InterlockedDecrement
#define InterlockedDecrementRelease InterlockedDecrement
#define InterlockedDecrementNoFence InterlockedDecrement
#define InterlockedExchangeAcquire InterlockedExchange
#define InterlockedExchangeNoFence InterlockedExchange
#define InterlockedExchangeAddAcquire InterlockedExchangeAdd
#define InterlockedExchangeAddRelease InterlockedExchangeAdd
#define InterlockedExchangeAddNoFence InterlockedExchangeAdd
#define InterlockedCompareExchangeAcquire InterlockedCompareExchange
#define InterlockedCompareExchangeRelease InterlockedCompareExchange
#define InterlockedCompareExchangeNoFence InterlockedCompareExchange
#define InterlockedCompareExchangePointerAcquire InterlockedCompareExchangePointer
#define InterlockedCompareExchangePointerRelease InterlockedCompareExchangePointer
#define InterlockedCompareExchangePointerNoFence InterlockedCompareExchangePointer
#define InterlockedExchangePointerAcquire InterlockedExchangePointer
#define InterlockedExchangePointerNoFence InterlockedExchangePointer
#define InterlockedOrAcquire InterlockedOr
#define InterlockedOrRelease InterlockedOr
#define InterlockedOrNoFence InterlockedOr
#define InterlockedAndAcquire InterlockedAnd
#define InterlockedAndRelease InterlockedAnd
#define InterlockedAndNoFence InterlockedAnd
#define InterlockedIncrementSizeT(a) ((SIZE_T)InterlockedIncrement64((LONG64 volatile *)(a)))
#define InterlockedDecrementSizeT(a) ((SIZE_T)InterlockedDecrement64((LONG64 volatile *)(a)))
#define InterlockedExchangeAddSizeT(a, b) ((SIZE_T)InterlockedExchangeAdd64((LONG64 volatile *)(a), (LONG64)(b)))
#define InterlockedIncrementULongPtr(a) ((ULONG_PTR)InterlockedIncrement64((LONG64 volatile *)(a)))
#define InterlockedDecrementULongPtr(a) ((ULONG_PTR)InterlockedDecrement64((LONG64 volatile *)(a)))
#define _InterlockedIncrement InterlockedIncrement
#define _InterlockedDecrement InterlockedDecrement
#define _InterlockedExchange InterlockedExchange
#define _InterlockedExchangeAdd InterlockedExchangeAdd
#define _InterlockedCompareExchange InterlockedCompareExchange
#define _InterlockedAnd InterlockedAnd
#define _InterlockedOr InterlockedOr
#define _InterlockedXor InterlockedXor
#define _InterlockedIncrement64 InterlockedIncrement64
#define _InterlockedDecrement64 InterlockedDecrement64
#define _InterlockedExchange64 InterlockedExchange64
#define _InterlockedExchangeAdd64 InterlockedExchangeAdd64
#define _InterlockedCompareExchange64 InterlockedCompareExchange64
#define _InterlockedExchangePointer InterlockedExchangePointer
#define _InterlockedCompareExchangePointer InterlockedCompareExchangePointer
#define _interlockedbittestandset InterlockedBitTestAndSet
#define _interlockedbittestandreset InterlockedBitTestAndReset

/* A spin-wait hint is a scheduling point, so a driver spinning on a flag another processor sets
 * lets that processor run, as real hardware would. */
NTKERNELAPI VOID NTAPI wdmlab_yield_processor(VOID);

/* Ordered accesses to shared memory. A read is a scheduling point, so a loop that polls shared
 * memory through them lets the writer run. */
#define WDMLAB_DEFINE_ORDERED_ACCESS(T, Name) \
  FORCEINLINE T Read##Name##Acquire(_In_ _Interlocked_operand_ T const volatile *Source) { \
    wdmlab_yield_processor(); \
    return __atomic_load_n(Source, __ATOMIC_ACQUIRE); \
  } \
  FORCEINLINE T Read##Name##NoFence(_In_ _Interlocked_operand_ T const volatile *Source) { \
    wdmlab_yield_processor(); \
    return __atomic_load_n(Source, __ATOMIC_RELAXED); \
  } \
  FORCEINLINE VOID Write##Name##Release(_Out_ _Interlocked_operand_ T volatile *Destination, _In_ T Value) { \
    __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); \
  } \
  FORCEINLINE VOID Write##Name##NoFence(_Out_ _Interlocked_operand_ T volatile *Destination, _In_ T Value) { \
    __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); \
  }
WDMLAB_DEFINE_ORDERED_ACCESS(LONG, )
WDMLAB_DEFINE_ORDERED_ACCESS(LONG64, 64)
WDMLAB_DEFINE_ORDERED_ACCESS(PVOID, Pointer)
WDMLAB_DEFINE_ORDERED_ACCESS(UCHAR, UChar)
WDMLAB_DEFINE_ORDERED_ACCESS(ULONG, ULong)
#undef WDMLAB_DEFINE_ORDERED_ACCESS
#define ReadULongPtrAcquire(p) ((ULONG_PTR)ReadPointerAcquire((PVOID const volatile *)(p)))
#define ReadULongPtrNoFence(p) ((ULONG_PTR)ReadPointerNoFence((PVOID const volatile *)(p)))

#define YieldProcessor() wdmlab_yield_processor()
#define _mm_pause() wdmlab_yield_processor()
#define KeMemoryBarrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define KeMemoryBarrierWithoutFence() _ReadWriteBarrier()
#define MemoryBarrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define FastFence() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define LoadFence() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define StoreFence() __atomic_thread_fence(__ATOMIC_RELEASE)

WDMLAB_EXTERN_C_END

#endif /* WDMLAB_WDK_KE_H */
