/*
 * wdk/ex.h - the executive: pool memory, lookaside lists, fast and guarded mutexes, executive
 * resources (ERESOURCE), system worker threads, interlocked singly linked lists (SLIST) and the
 * spin-lock-protected list routines, and raising exceptions.
 *
 * Layouts and sizes are those of Windows x64 (checked at the end of this file). Several routines
 * that the WDK defines inline or as macros over intrinsics (the lookaside allocate/free routines,
 * ExInitializeFastMutex, the SList routines) are ordinary calls into the lab here, because every
 * kernel routine is a scheduling point of the simulated machine.
 *
 * Pool memory comes from the host heap. The lab remembers every block (owner driver, tag, size,
 * pool type and the allocating stack): freeing anything else, twice, at the wrong IRQL or with the
 * wrong tag is bug check 0xC2 BAD_POOL_CALLER with Microsoft's subcodes. Blocks handed out
 * uninitialized are filled with 0xCD; freed blocks are filled with 0xDD and held back for a while
 * before the host reuses them, so use after free tends to show.
 *
 * Not supported: POOL_NX_OPTIN remapping of NonPagedPool (NonPagedPool keeps its value),
 * ExInitializeDriverRuntime, special pool (POOL_FLAG_SPECIAL_POOL is accepted and ignored), secure
 * pools (ExAllocatePool3 with PoolExtendedParameterSecurePool fails), quota charging (quota
 * allocations succeed or fail like the others), ExSetResourceOwnerPointer.
 */
#ifndef WDMLAB_WDK_EX_H
#define WDMLAB_WDK_EX_H

WDMLAB_EXTERN_C_START

/* ---------------------------------------------------------------------------------------------
 * Pool types and flags.
 */

typedef _Enum_is_bitflag_ enum _POOL_TYPE {
  NonPagedPool,
  NonPagedPoolExecute = NonPagedPool,
  PagedPool,
  NonPagedPoolMustSucceed = NonPagedPool + 2,
  DontUseThisType,
  NonPagedPoolCacheAligned = NonPagedPool + 4,
  PagedPoolCacheAligned,
  NonPagedPoolCacheAlignedMustS = NonPagedPool + 6,
  MaxPoolType,

  NonPagedPoolBase = 0,
  NonPagedPoolBaseMustSucceed = NonPagedPoolBase + 2,
  NonPagedPoolBaseCacheAligned = NonPagedPoolBase + 4,
  NonPagedPoolBaseCacheAlignedMustS = NonPagedPoolBase + 6,

  NonPagedPoolSession = 32,
  PagedPoolSession = NonPagedPoolSession + 1,
  NonPagedPoolMustSucceedSession = PagedPoolSession + 1,
  DontUseThisTypeSession = NonPagedPoolMustSucceedSession + 1,
  NonPagedPoolCacheAlignedSession = DontUseThisTypeSession + 1,
  PagedPoolCacheAlignedSession = NonPagedPoolCacheAlignedSession + 1,
  NonPagedPoolCacheAlignedMustSSession = PagedPoolCacheAlignedSession + 1,

  NonPagedPoolNx = 512,
  NonPagedPoolNxCacheAligned = NonPagedPoolNx + 4,
  NonPagedPoolSessionNx = NonPagedPoolNx + 32
} POOL_TYPE;

/* Modifiers a caller may OR into a POOL_TYPE. */
#define POOL_QUOTA_FAIL_INSTEAD_OF_RAISE 8
#define POOL_RAISE_IF_ALLOCATION_FAILURE 16
#define POOL_COLD_ALLOCATION 256
#define POOL_NX_ALLOCATION 512
#define POOL_ZERO_ALLOCATION 1024

/* The high bit of a tag marks a protected allocation (freed only with the same tag). */
#define PROTECTED_POOL 0x80000000

/* POOL_FLAGS (ExAllocatePool2/3). The low 32 bits are required attributes: an allocation with a
 * required flag the allocator does not know fails. The high 32 bits are optional attributes,
 * ignored when unknown. POOL_FLAGS itself is defined in ntdef.h. */
#define POOL_FLAG_REQUIRED_START 0x0000000000000001ULL
#define POOL_FLAG_USE_QUOTA 0x0000000000000001ULL
#define POOL_FLAG_UNINITIALIZED 0x0000000000000002ULL
#define POOL_FLAG_SESSION 0x0000000000000004ULL
#define POOL_FLAG_CACHE_ALIGNED 0x0000000000000008ULL
#define POOL_FLAG_RESERVED1 0x0000000000000010ULL
#define POOL_FLAG_RAISE_ON_FAILURE 0x0000000000000020ULL
#define POOL_FLAG_NON_PAGED 0x0000000000000040ULL
#define POOL_FLAG_NON_PAGED_EXECUTE 0x0000000000000080ULL
#define POOL_FLAG_PAGED 0x0000000000000100ULL
#define POOL_FLAG_RESERVED2 0x0000000000000200ULL
#define POOL_FLAG_RESERVED3 0x0000000000000400ULL
#define POOL_FLAG_LAST_KNOWN_REQUIRED POOL_FLAG_RESERVED3
#define POOL_FLAG_REQUIRED_END 0x0000000080000000ULL
#define POOL_FLAG_OPTIONAL_START 0x0000000100000000ULL
#define POOL_FLAG_SPECIAL_POOL 0x0000000100000000ULL
#define POOL_FLAG_OPTIONAL_END 0x8000000000000000ULL

/* Pool priorities (ExAllocatePoolWithTagPriority, PoolExtendedParameterPriority). */
typedef _Enum_is_bitflag_ enum _EX_POOL_PRIORITY {
  LowPoolPriority,
  LowPoolPrioritySpecialPoolOverrun = 8,
  LowPoolPrioritySpecialPoolUnderrun = 9,
  NormalPoolPriority = 16,
  NormalPoolPrioritySpecialPoolOverrun = 24,
  NormalPoolPrioritySpecialPoolUnderrun = 25,
  HighPoolPriority = 32,
  HighPoolPrioritySpecialPoolOverrun = 40,
  HighPoolPrioritySpecialPoolUnderrun = 41
} EX_POOL_PRIORITY;

/* Extended parameters (ExAllocatePool3). */
typedef enum POOL_EXTENDED_PARAMETER_TYPE {
  PoolExtendedParameterInvalidType = 0,
  PoolExtendedParameterPriority,
  PoolExtendedParameterSecurePool,
  PoolExtendedParameterNumaNode,
  PoolExtendedParameterMax
} POOL_EXTENDED_PARAMETER_TYPE, *PPOOL_EXTENDED_PARAMETER_TYPE;

#define POOL_EXTENDED_PARAMETER_TYPE_BITS 8
#define POOL_EXTENDED_PARAMETER_REQUIRED_FIELD_BITS 1
#define POOL_EXTENDED_PARAMETER_RESERVED_BITS \
  (64 - POOL_EXTENDED_PARAMETER_TYPE_BITS - POOL_EXTENDED_PARAMETER_REQUIRED_FIELD_BITS)

#define SECURE_POOL_FLAGS_NONE 0x0
#define SECURE_POOL_FLAGS_FREEABLE 0x1
#define SECURE_POOL_FLAGS_MODIFIABLE 0x2

typedef struct _POOL_EXTENDED_PARAMS_SECURE_POOL {
  HANDLE SecurePoolHandle;
  PVOID Buffer;
  ULONG_PTR Cookie;
  ULONG SecurePoolFlags;
} POOL_EXTENDED_PARAMS_SECURE_POOL;

typedef ULONG POOL_NODE_REQUIREMENT;
#ifndef MM_ANY_NODE_OK
#define MM_ANY_NODE_OK 0x80000000
#endif

typedef struct _POOL_EXTENDED_PARAMETER {
  struct {
    ULONG64 Type : POOL_EXTENDED_PARAMETER_TYPE_BITS;
    ULONG64 Optional : POOL_EXTENDED_PARAMETER_REQUIRED_FIELD_BITS;
    ULONG64 Reserved : POOL_EXTENDED_PARAMETER_RESERVED_BITS;
  };
  union {
    ULONG64 Reserved2;
    PVOID Reserved3;
    EX_POOL_PRIORITY Priority;
    POOL_EXTENDED_PARAMS_SECURE_POOL *SecurePoolParams;
    POOL_NODE_REQUIREMENT PreferredNode;
  };
} POOL_EXTENDED_PARAMETER, *PPOOL_EXTENDED_PARAMETER;
typedef const POOL_EXTENDED_PARAMETER *PCPOOL_EXTENDED_PARAMETER;

/* ---------------------------------------------------------------------------------------------
 * Pool routines.
 *
 * IRQL: <= DISPATCH_LEVEL, and <= APC_LEVEL for paged pool; a violation is bug check 0xC2 with
 * parameter 1 = 0x08 (allocation) or 0x09 (free). Memory from these routines may be freed with
 * ExFreePool or ExFreePoolWithTag.
 */

_Must_inspect_result_ _IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI DECLSPEC_RESTRICT PVOID NTAPI
  ExAllocatePool2(_In_ POOL_FLAGS Flags, _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag);

_Must_inspect_result_ _IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI DECLSPEC_RESTRICT PVOID NTAPI
  ExAllocatePool3(_In_ POOL_FLAGS Flags, _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag,
                  _In_reads_opt_(ExtendedParametersCount) PCPOOL_EXTENDED_PARAMETER ExtendedParameters,
                  _In_ ULONG ExtendedParametersCount);

/* Deprecated: the block carries the tag 'None'. */
_Must_inspect_result_ _IRQL_requires_max_(DISPATCH_LEVEL) DECLSPEC_DEPRECATED_DDK NTKERNELAPI PVOID NTAPI
  ExAllocatePool(_In_ __drv_strictTypeMatch(__drv_typeExpr) POOL_TYPE PoolType, _In_ SIZE_T NumberOfBytes);

_Must_inspect_result_ _IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI PVOID NTAPI
  ExAllocatePoolWithTag(_In_ __drv_strictTypeMatch(__drv_typeExpr) POOL_TYPE PoolType, _In_ SIZE_T NumberOfBytes,
                        _In_ ULONG Tag);

_Must_inspect_result_ _IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI PVOID NTAPI
  ExAllocatePoolWithTagPriority(_In_ __drv_strictTypeMatch(__drv_typeCond) POOL_TYPE PoolType,
                                _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag,
                                _In_ __drv_strictTypeMatch(__drv_typeExpr) EX_POOL_PRIORITY Priority);

/* Quota allocations raise STATUS_INSUFFICIENT_RESOURCES when they fail, unless PoolType carries
 * POOL_QUOTA_FAIL_INSTEAD_OF_RAISE. The deprecated form carries the tag 'None'. */
_Must_inspect_result_ _IRQL_requires_max_(DISPATCH_LEVEL) DECLSPEC_DEPRECATED_DDK NTKERNELAPI PVOID NTAPI
  ExAllocatePoolWithQuota(_In_ __drv_strictTypeMatch(__drv_typeExpr) POOL_TYPE PoolType, _In_ SIZE_T NumberOfBytes);

_Must_inspect_result_ _IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI PVOID NTAPI
  ExAllocatePoolWithQuotaTag(_In_ __drv_strictTypeMatch(__drv_typeExpr) POOL_TYPE PoolType,
                             _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag);

_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI ExFreePool(_Pre_notnull_ __drv_freesMem(Mem) PVOID P);

/* Tag 0 frees without checking the tag; any other tag must equal the one the block was
 * allocated with (bug check 0xC2, parameter 1 = 0x0A, otherwise). */
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI ExFreePoolWithTag(_Pre_notnull_ __drv_freesMem(Mem) PVOID P,
                                                                              _In_ ULONG Tag);

/* The zeroing wrappers, as the current WDK defines them for Windows 10, version 2004 and later:
 * they pass POOL_ZERO_ALLOCATION to the allocator, which zeroes the block. */
_Must_inspect_result_ _IRQL_requires_max_(DISPATCH_LEVEL) FORCEINLINE PVOID NTAPI
  ExAllocatePoolZero(_In_ __drv_strictTypeMatch(__drv_typeExpr) POOL_TYPE PoolType, _In_ SIZE_T NumberOfBytes,
                     _In_ ULONG Tag) {
  return ExAllocatePoolWithTag((POOL_TYPE)(PoolType | POOL_ZERO_ALLOCATION), NumberOfBytes, Tag);
}

_Must_inspect_result_ _IRQL_requires_max_(DISPATCH_LEVEL) FORCEINLINE PVOID NTAPI
  ExAllocatePoolUninitialized(_In_ __drv_strictTypeMatch(__drv_typeExpr) POOL_TYPE PoolType,
                              _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag) {
  return ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag);
}

_Must_inspect_result_ _IRQL_requires_max_(DISPATCH_LEVEL) FORCEINLINE PVOID NTAPI
  ExAllocatePoolQuotaZero(_In_ __drv_strictTypeMatch(__drv_typeExpr) POOL_TYPE PoolType,
                          _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag) {
  return ExAllocatePoolWithQuotaTag((POOL_TYPE)(PoolType | POOL_ZERO_ALLOCATION), NumberOfBytes, Tag);
}

_Must_inspect_result_ _IRQL_requires_max_(DISPATCH_LEVEL) FORCEINLINE PVOID NTAPI
  ExAllocatePoolQuotaUninitialized(_In_ __drv_strictTypeMatch(__drv_typeExpr) POOL_TYPE PoolType,
                                   _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag) {
  return ExAllocatePoolWithQuotaTag(PoolType, NumberOfBytes, Tag);
}

_Must_inspect_result_ _IRQL_requires_max_(DISPATCH_LEVEL) FORCEINLINE PVOID NTAPI
  ExAllocatePoolPriorityZero(_In_ __drv_strictTypeMatch(__drv_typeExpr) POOL_TYPE PoolType,
                             _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag, _In_ EX_POOL_PRIORITY Priority) {
  return ExAllocatePoolWithTagPriority((POOL_TYPE)(PoolType | POOL_ZERO_ALLOCATION), NumberOfBytes, Tag, Priority);
}

_Must_inspect_result_ _IRQL_requires_max_(DISPATCH_LEVEL) FORCEINLINE PVOID NTAPI
  ExAllocatePoolPriorityUninitialized(_In_ __drv_strictTypeMatch(__drv_typeExpr) POOL_TYPE PoolType,
                                      _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag, _In_ EX_POOL_PRIORITY Priority) {
  return ExAllocatePoolWithTagPriority(PoolType, NumberOfBytes, Tag, Priority);
}

/* ---------------------------------------------------------------------------------------------
 * Interlocked singly linked lists (SLIST).
 *
 * An SLIST_HEADER holds the depth, a sequence number and the first entry (its address >> 4, so
 * entries must be 16-byte aligned, as pool memory is). Each routine is atomic and a scheduling
 * point; they may be called at any IRQL.
 */

#ifndef MEMORY_ALLOCATION_ALIGNMENT
#define MEMORY_ALLOCATION_ALIGNMENT 16
#endif
#define SYSTEM_CACHE_ALIGNMENT_SIZE 64

typedef struct DECLSPEC_ALIGN(16) _SLIST_ENTRY {
  struct _SLIST_ENTRY *Next;
} SLIST_ENTRY, *PSLIST_ENTRY;

typedef union DECLSPEC_ALIGN(16) _SLIST_HEADER {
  struct {
    ULONGLONG Alignment;
    ULONGLONG Region;
  };
  struct {
    ULONGLONG Depth : 16;
    ULONGLONG Sequence : 48;
    ULONGLONG Reserved : 4;
    ULONGLONG NextEntry : 60; /* address of the first entry >> 4 */
  } HeaderX64;
} SLIST_HEADER, *PSLIST_HEADER;

NTKERNELAPI VOID NTAPI InitializeSListHead(_Out_ PSLIST_HEADER SListHead);
NTKERNELAPI PSLIST_ENTRY NTAPI InterlockedPushEntrySList(_Inout_ PSLIST_HEADER ListHead,
                                                         _Inout_ __drv_aliasesMem PSLIST_ENTRY ListEntry);
NTKERNELAPI PSLIST_ENTRY NTAPI InterlockedPopEntrySList(_Inout_ PSLIST_HEADER ListHead);
NTKERNELAPI PSLIST_ENTRY NTAPI InterlockedFlushSList(_Inout_ PSLIST_HEADER ListHead);
/* The spin lock of the Ex forms is ignored on x64, as on Windows. */
NTKERNELAPI PSLIST_ENTRY NTAPI ExInterlockedPushEntrySList(_Inout_ PSLIST_HEADER ListHead,
                                                           _Inout_ __drv_aliasesMem PSLIST_ENTRY ListEntry,
                                                           _Inout_opt_ PKSPIN_LOCK Lock);
NTKERNELAPI PSLIST_ENTRY NTAPI ExInterlockedPopEntrySList(_Inout_ PSLIST_HEADER ListHead,
                                                          _Inout_opt_ PKSPIN_LOCK Lock);
NTKERNELAPI PSLIST_ENTRY NTAPI ExInterlockedFlushSList(_Inout_ PSLIST_HEADER ListHead);
NTKERNELAPI USHORT NTAPI ExQueryDepthSList(_In_ PSLIST_HEADER SListHead);
NTKERNELAPI PSLIST_ENTRY NTAPI RtlFirstEntrySList(_In_ const SLIST_HEADER *ListHead);
#define QueryDepthSList(Head) ExQueryDepthSList(Head)
#define RtlInitializeSListHead(Head) InitializeSListHead(Head)
#define RtlQueryDepthSList(Head) ExQueryDepthSList(Head)
#define RtlInterlockedPushEntrySList(Head, Entry) InterlockedPushEntrySList((Head), (Entry))
#define RtlInterlockedPopEntrySList(Head) InterlockedPopEntrySList(Head)
#define RtlInterlockedFlushSList(Head) InterlockedFlushSList(Head)
#define ExInitializeSListHead(Head) InitializeSListHead(Head)

/* ---------------------------------------------------------------------------------------------
 * Lists and counters guarded by a caller-supplied spin lock. Callable at any IRQL: the lock is
 * taken with interrupts disabled (the lab raises to HIGH_LEVEL while it holds it). Each returns
 * what the list or counter held before the change (NULL for an empty list).
 */

NTKERNELAPI PLIST_ENTRY NTAPI ExInterlockedInsertHeadList(_Inout_ PLIST_ENTRY ListHead,
                                                          _Inout_ __drv_aliasesMem PLIST_ENTRY ListEntry,
                                                          _Inout_ _Requires_lock_not_held_(*_Curr_) PKSPIN_LOCK Lock);
NTKERNELAPI PLIST_ENTRY NTAPI ExInterlockedInsertTailList(_Inout_ PLIST_ENTRY ListHead,
                                                          _Inout_ __drv_aliasesMem PLIST_ENTRY ListEntry,
                                                          _Inout_ _Requires_lock_not_held_(*_Curr_) PKSPIN_LOCK Lock);
NTKERNELAPI PLIST_ENTRY NTAPI ExInterlockedRemoveHeadList(_Inout_ PLIST_ENTRY ListHead,
                                                          _Inout_ _Requires_lock_not_held_(*_Curr_) PKSPIN_LOCK Lock);
NTKERNELAPI PSINGLE_LIST_ENTRY NTAPI ExInterlockedPushEntryList(_Inout_ PSINGLE_LIST_ENTRY ListHead,
                                                                _Inout_ __drv_aliasesMem PSINGLE_LIST_ENTRY ListEntry,
                                                                _Inout_ _Requires_lock_not_held_(*_Curr_) PKSPIN_LOCK Lock);
NTKERNELAPI PSINGLE_LIST_ENTRY NTAPI ExInterlockedPopEntryList(_Inout_ PSINGLE_LIST_ENTRY ListHead,
                                                               _Inout_ _Requires_lock_not_held_(*_Curr_) PKSPIN_LOCK Lock);
NTKERNELAPI ULONG NTAPI ExInterlockedAddUlong(_Inout_ PULONG Addend, _In_ ULONG Increment,
                                              _Inout_ _Requires_lock_not_held_(*_Curr_) PKSPIN_LOCK Lock);
NTKERNELAPI LARGE_INTEGER NTAPI ExInterlockedAddLargeInteger(_Inout_ PLARGE_INTEGER Addend,
                                                             _In_ LARGE_INTEGER Increment,
                                                             _Inout_ _Requires_lock_not_held_(*_Curr_) PKSPIN_LOCK Lock);
#define ExInterlockedAddLargeStatistic(Addend, Increment) \
  ((VOID)InterlockedExchangeAdd64(&(Addend)->QuadPart, (LONG64)(Increment)))
#define ExInterlockedCompareExchange64(Destination, Exchange, Comperand, Lock) \
  InterlockedCompareExchange64((Destination), *(Exchange), *(Comperand))

/* ---------------------------------------------------------------------------------------------
 * Lookaside lists.
 *
 * Entries come from pool charged to the driver that allocates them, with the list's tag. A list
 * caches at most Depth freed entries (the lab keeps Depth at 4, Windows' starting depth, and
 * never adjusts it); further frees go to the Free routine. Each list must be deleted before the
 * memory holding it is freed (bug check 0xC4, parameter 1 = 0xCC, otherwise).
 */

#define LOOKASIDE_MINIMUM_BLOCK_SIZE (RTL_SIZEOF_THROUGH_FIELD(SLIST_ENTRY, Next))
#define LOOKASIDE_ALIGN DECLSPEC_CACHEALIGN
#define EX_MAXIMUM_LOOKASIDE_DEPTH_BASE 256
#define EX_MAXIMUM_LOOKASIDE_DEPTH_LIMIT 1024
#define EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL 0x00000001UL
#define EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE 0x00000002UL

struct _LOOKASIDE_LIST_EX;
typedef struct _LOOKASIDE_LIST_EX *PLOOKASIDE_LIST_EX;

_IRQL_requires_same_ _Function_class_(ALLOCATE_FUNCTION) typedef PVOID NTAPI
  ALLOCATE_FUNCTION(_In_ POOL_TYPE PoolType, _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag);
typedef ALLOCATE_FUNCTION *PALLOCATE_FUNCTION;

_IRQL_requires_same_ _Function_class_(FREE_FUNCTION) typedef VOID NTAPI FREE_FUNCTION(_In_ __drv_freesMem(Mem) PVOID Buffer);
typedef FREE_FUNCTION *PFREE_FUNCTION;

_IRQL_requires_same_ _Function_class_(ALLOCATE_FUNCTION_EX) typedef PVOID NTAPI
  ALLOCATE_FUNCTION_EX(_In_ POOL_TYPE PoolType, _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag,
                       _Inout_ PLOOKASIDE_LIST_EX Lookaside);
typedef ALLOCATE_FUNCTION_EX *PALLOCATE_FUNCTION_EX;

_IRQL_requires_same_ _Function_class_(FREE_FUNCTION_EX) typedef VOID NTAPI
  FREE_FUNCTION_EX(_In_ __drv_freesMem(Mem) PVOID Buffer, _Inout_ PLOOKASIDE_LIST_EX Lookaside);
typedef FREE_FUNCTION_EX *PFREE_FUNCTION_EX;

#define GENERAL_LOOKASIDE_LAYOUT \
  union { \
    SLIST_HEADER ListHead; \
    SINGLE_LIST_ENTRY SingleListHead; \
  }; \
  USHORT Depth; \
  USHORT MaximumDepth; \
  ULONG TotalAllocates; \
  union { \
    ULONG AllocateMisses; \
    ULONG AllocateHits; \
  }; \
  ULONG TotalFrees; \
  union { \
    ULONG FreeMisses; \
    ULONG FreeHits; \
  }; \
  POOL_TYPE Type; \
  ULONG Tag; \
  ULONG Size; \
  union { \
    PALLOCATE_FUNCTION_EX AllocateEx; \
    PALLOCATE_FUNCTION Allocate; \
  }; \
  union { \
    PFREE_FUNCTION_EX FreeEx; \
    PFREE_FUNCTION Free; \
  }; \
  LIST_ENTRY ListEntry; \
  ULONG LastTotalAllocates; \
  union { \
    ULONG LastAllocateMisses; \
    ULONG LastAllocateHits; \
  }; \
  ULONG Future[2];

typedef struct LOOKASIDE_ALIGN _GENERAL_LOOKASIDE {
  GENERAL_LOOKASIDE_LAYOUT
} GENERAL_LOOKASIDE, *PGENERAL_LOOKASIDE;

typedef struct _GENERAL_LOOKASIDE_POOL {
  GENERAL_LOOKASIDE_LAYOUT
} GENERAL_LOOKASIDE_POOL, *PGENERAL_LOOKASIDE_POOL;

typedef struct LOOKASIDE_ALIGN _NPAGED_LOOKASIDE_LIST {
  GENERAL_LOOKASIDE L;
} NPAGED_LOOKASIDE_LIST, *PNPAGED_LOOKASIDE_LIST;

typedef struct LOOKASIDE_ALIGN _PAGED_LOOKASIDE_LIST {
  GENERAL_LOOKASIDE L;
} PAGED_LOOKASIDE_LIST, *PPAGED_LOOKASIDE_LIST;

typedef struct _LOOKASIDE_LIST_EX {
  GENERAL_LOOKASIDE_POOL L;
} LOOKASIDE_LIST_EX;

/* Flags may carry POOL_NX_ALLOCATION and POOL_RAISE_IF_ALLOCATION_FAILURE; Depth must be 0. */
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  ExInitializeNPagedLookasideList(_Out_ PNPAGED_LOOKASIDE_LIST Lookaside, _In_opt_ PALLOCATE_FUNCTION Allocate,
                                  _In_opt_ PFREE_FUNCTION Free, _In_ ULONG Flags, _In_ SIZE_T Size, _In_ ULONG Tag,
                                  _In_ USHORT Depth);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  ExDeleteNPagedLookasideList(_Inout_ PNPAGED_LOOKASIDE_LIST Lookaside);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI PVOID NTAPI
  ExAllocateFromNPagedLookasideList(_Inout_ PNPAGED_LOOKASIDE_LIST Lookaside);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  ExFreeToNPagedLookasideList(_Inout_ PNPAGED_LOOKASIDE_LIST Lookaside, _In_ __drv_freesMem(Mem) PVOID Entry);

_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI VOID NTAPI
  ExInitializePagedLookasideList(_Out_ PPAGED_LOOKASIDE_LIST Lookaside, _In_opt_ PALLOCATE_FUNCTION Allocate,
                                 _In_opt_ PFREE_FUNCTION Free, _In_ ULONG Flags, _In_ SIZE_T Size, _In_ ULONG Tag,
                                 _In_ USHORT Depth);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI VOID NTAPI
  ExDeletePagedLookasideList(_Inout_ PPAGED_LOOKASIDE_LIST Lookaside);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI PVOID NTAPI
  ExAllocateFromPagedLookasideList(_Inout_ PPAGED_LOOKASIDE_LIST Lookaside);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI VOID NTAPI
  ExFreeToPagedLookasideList(_Inout_ PPAGED_LOOKASIDE_LIST Lookaside, _In_ __drv_freesMem(Mem) PVOID Entry);

/* Returns STATUS_INVALID_PARAMETER_4 for an invalid PoolType and STATUS_INVALID_PARAMETER_5 for
 * invalid Flags. IRQL: <= DISPATCH_LEVEL; the allocate/free/flush/delete routines need
 * <= APC_LEVEL when the entries are paged. */
_Must_inspect_result_ _IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI NTSTATUS NTAPI
  ExInitializeLookasideListEx(_Out_ PLOOKASIDE_LIST_EX Lookaside, _In_opt_ PALLOCATE_FUNCTION_EX Allocate,
                              _In_opt_ PFREE_FUNCTION_EX Free, _In_ POOL_TYPE PoolType, _In_ ULONG Flags,
                              _In_ SIZE_T Size, _In_ ULONG Tag, _In_ USHORT Depth);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI ExDeleteLookasideListEx(_Inout_ PLOOKASIDE_LIST_EX Lookaside);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI ExFlushLookasideListEx(_Inout_ PLOOKASIDE_LIST_EX Lookaside);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI PVOID NTAPI
  ExAllocateFromLookasideListEx(_Inout_ PLOOKASIDE_LIST_EX Lookaside);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  ExFreeToLookasideListEx(_Inout_ PLOOKASIDE_LIST_EX Lookaside, _In_ __drv_freesMem(Entry) PVOID Entry);

/* ---------------------------------------------------------------------------------------------
 * Fast mutexes and guarded mutexes (the same structure in current Windows).
 *
 * Count holds FM_LOCK_BIT (set while the mutex is free) and the number of waiters in steps of
 * FM_LOCK_WAITER_INC; Owner is the owning KTHREAD; waiters block on Event. A contended acquire
 * waits in the scheduler, so a cycle of waits is reported as a deadlock naming the owners; a
 * thread acquiring a fast mutex it already owns deadlocks, as on Windows.
 *
 * ExAcquireFastMutex / ExTryToAcquireFastMutex: IRQL <= APC_LEVEL (bug check 0xC4, parameter 1 =
 * 0x33, otherwise); they raise to APC_LEVEL and keep the previous IRQL in OldIrql, which
 * ExReleaseFastMutex (at APC_LEVEL, else 0xC4/0x34) restores. The Unsafe forms leave the IRQL
 * alone and need APC_LEVEL or a critical region (0xC4/0x39, 0x3A). KeAcquireGuardedMutex enters
 * a guarded region instead of raising the IRQL. Releasing a mutex another thread owns is 0xC4
 * with parameter 1 = 0x1004; releasing one nobody owns, 0xC4/0x1007.
 */

#define FM_LOCK_BIT 0x1
#define FM_LOCK_BIT_V 0x0
#define FM_LOCK_WAITER_WOKEN 0x2
#define FM_LOCK_WAITER_INC 0x4
#define GM_LOCK_BIT FM_LOCK_BIT
#define GM_LOCK_BIT_V FM_LOCK_BIT_V
#define GM_LOCK_WAITER_WOKEN FM_LOCK_WAITER_WOKEN
#define GM_LOCK_WAITER_INC FM_LOCK_WAITER_INC

typedef struct _FAST_MUTEX {
  volatile LONG Count;
  PVOID Owner;
  ULONG Contention;
  KEVENT Event;
  ULONG OldIrql;
} FAST_MUTEX, *PFAST_MUTEX, KGUARDED_MUTEX, *PKGUARDED_MUTEX;

_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI ExInitializeFastMutex(_Out_ PFAST_MUTEX FastMutex);
_IRQL_requires_max_(APC_LEVEL) _Acquires_lock_(*FastMutex) _Requires_lock_not_held_(*FastMutex)
  _IRQL_raises_(APC_LEVEL) _IRQL_saves_global_(OldIrql, FastMutex) NTKERNELAPI VOID NTAPI
  ExAcquireFastMutex(_Inout_ PFAST_MUTEX FastMutex);
_IRQL_requires_(APC_LEVEL) _Releases_lock_(*FastMutex) _Requires_lock_held_(*FastMutex)
  _IRQL_restores_global_(OldIrql, FastMutex) NTKERNELAPI VOID NTAPI ExReleaseFastMutex(_Inout_ PFAST_MUTEX FastMutex);
_Must_inspect_result_ _Success_(return != FALSE) _IRQL_requires_max_(APC_LEVEL) _Post_satisfies_(return == 1 || return == 0)
  NTKERNELAPI BOOLEAN NTAPI ExTryToAcquireFastMutex(_Inout_ _Requires_lock_not_held_(*_Curr_)
                                                     _When_(return != 0, _Acquires_lock_(*_Curr_)) PFAST_MUTEX FastMutex);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI VOID NTAPI
  ExAcquireFastMutexUnsafe(_Inout_ _Requires_lock_not_held_(*_Curr_) _Acquires_lock_(*_Curr_) PFAST_MUTEX FastMutex);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI VOID NTAPI
  ExReleaseFastMutexUnsafe(_Inout_ _Requires_lock_held_(*_Curr_) _Releases_lock_(*_Curr_) PFAST_MUTEX FastMutex);

_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI VOID NTAPI KeInitializeGuardedMutex(_Out_ PKGUARDED_MUTEX Mutex);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI VOID NTAPI
  KeAcquireGuardedMutex(_Inout_ _Requires_lock_not_held_(*_Curr_) _Acquires_lock_(*_Curr_) PKGUARDED_MUTEX Mutex);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI VOID NTAPI
  KeReleaseGuardedMutex(_Inout_ _Requires_lock_held_(*_Curr_) _Releases_lock_(*_Curr_) PKGUARDED_MUTEX Mutex);
_Must_inspect_result_ _Success_(return != FALSE) _IRQL_requires_max_(APC_LEVEL) NTKERNELAPI BOOLEAN NTAPI
  KeTryToAcquireGuardedMutex(_When_(return, _Requires_lock_not_held_(*_Curr_) _Acquires_exclusive_lock_(*_Curr_))
                             _Inout_ PKGUARDED_MUTEX Mutex);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI VOID NTAPI
  KeAcquireGuardedMutexUnsafe(_Inout_ _Requires_lock_not_held_(*_Curr_) _Acquires_lock_(*_Curr_) PKGUARDED_MUTEX FastMutex);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI VOID NTAPI
  KeReleaseGuardedMutexUnsafe(_Inout_ _Requires_lock_held_(*_Curr_) _Releases_lock_(*_Curr_) PKGUARDED_MUTEX FastMutex);

/* ---------------------------------------------------------------------------------------------
 * Executive resources (reader/writer locks with per-thread recursion).
 *
 * The lab keeps the state of each resource beside it, from ExInitializeResourceLite to
 * ExDeleteResourceLite, and mirrors the owner count, flags and waiter counts into the structure.
 * IRQL: <= APC_LEVEL for the acquire and release routines, with normal kernel APCs disabled
 * (KeEnterCriticalRegion, or APC_LEVEL): acquiring or releasing with APCs enabled is bug check
 * 0xC4 with parameter 1 = 0x37 or 0x38. Releasing for a thread that does not own the resource is
 * bug check 0xE3 RESOURCE_NOT_OWNED.
 */

#define ResourceNeverExclusive 0x0010
#define ResourceReleaseByOtherThread 0x0020
#define ResourceOwnedExclusive 0x0080
#define RESOURCE_HASH_TABLE_SIZE 64

typedef struct _OWNER_ENTRY {
  ERESOURCE_THREAD OwnerThread;
  union {
    struct {
      ULONG IoPriorityBoosted : 1;
      ULONG OwnerReferenced : 1;
      ULONG IoQoSPriorityBoosted : 1;
      ULONG OwnerCount : 29;
    };
    ULONG TableSize;
  };
} OWNER_ENTRY, *POWNER_ENTRY;

typedef struct _ERESOURCE {
  LIST_ENTRY SystemResourcesList;
  POWNER_ENTRY OwnerTable;
  SHORT ActiveCount;
  union {
    USHORT Flag;
    struct {
      UCHAR ReservedLowFlags;
      UCHAR WaiterPriority;
    };
  };
  PKSEMAPHORE SharedWaiters;
  PKEVENT ExclusiveWaiters;
  OWNER_ENTRY OwnerEntry;
  ULONG ActiveEntries;
  ULONG ContentionCount;
  ULONG NumberOfSharedWaiters;
  ULONG NumberOfExclusiveWaiters;
  PVOID Reserved2;
  union {
    PVOID Address;
    ULONG_PTR CreatorBackTraceIndex;
  };
  KSPIN_LOCK SpinLock;
} ERESOURCE, *PERESOURCE;

#define ExGetCurrentResourceThread() ((ERESOURCE_THREAD)PsGetCurrentThread())
#define ExIsResourceAcquiredLite ExIsResourceAcquiredSharedLite

_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI NTSTATUS NTAPI ExInitializeResourceLite(_Out_ PERESOURCE Resource);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI NTSTATUS NTAPI ExReinitializeResourceLite(_Inout_ PERESOURCE Resource);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI NTSTATUS NTAPI ExDeleteResourceLite(_Inout_ PERESOURCE Resource);

_IRQL_requires_max_(APC_LEVEL) _Requires_lock_held_(_Global_critical_region_)
  _When_(Wait != 0, _Post_satisfies_(return == 1)) _When_(Wait == 0, _Post_satisfies_(return == 0 || return == 1)
  _Must_inspect_result_) NTKERNELAPI BOOLEAN NTAPI
  ExAcquireResourceExclusiveLite(_Inout_ _Requires_lock_not_held_(*_Curr_) _When_(return != 0, _Acquires_exclusive_lock_(*_Curr_))
                                 PERESOURCE Resource,
                                 _In_ _Literal_ BOOLEAN Wait);
_IRQL_requires_max_(APC_LEVEL) _Requires_lock_held_(_Global_critical_region_)
  _When_(Wait != 0, _Post_satisfies_(return == 1)) _When_(Wait == 0, _Post_satisfies_(return == 0 || return == 1)
  _Must_inspect_result_) NTKERNELAPI BOOLEAN NTAPI
  ExAcquireResourceSharedLite(_Inout_ _Requires_lock_not_held_(*_Curr_) _When_(return != 0, _Acquires_shared_lock_(*_Curr_))
                              PERESOURCE Resource,
                              _In_ BOOLEAN Wait);
_IRQL_requires_max_(APC_LEVEL) _Requires_lock_held_(_Global_critical_region_)
  _When_(Wait != 0, _Post_satisfies_(return == 1)) _When_(Wait == 0, _Post_satisfies_(return == 0 || return == 1)
  _Must_inspect_result_) NTKERNELAPI BOOLEAN NTAPI
  ExAcquireSharedStarveExclusive(_Inout_ _Requires_lock_not_held_(*_Curr_) _When_(return != 0, _Acquires_shared_lock_(*_Curr_))
                                 PERESOURCE Resource,
                                 _In_ BOOLEAN Wait);
_IRQL_requires_max_(APC_LEVEL) _Requires_lock_held_(_Global_critical_region_)
  _When_(Wait != 0, _Post_satisfies_(return == 1)) _When_(Wait == 0, _Post_satisfies_(return == 0 || return == 1)
  _Must_inspect_result_) NTKERNELAPI BOOLEAN NTAPI
  ExAcquireSharedWaitForExclusive(_Inout_ _Requires_lock_not_held_(*_Curr_) _When_(return != 0, _Acquires_lock_(*_Curr_))
                                  PERESOURCE Resource,
                                  _In_ BOOLEAN Wait);
_IRQL_requires_max_(APC_LEVEL) _Requires_lock_held_(_Global_critical_region_) _Must_inspect_result_ NTKERNELAPI BOOLEAN
  NTAPI ExTryToAcquireResourceExclusiveLite(_Inout_ _Requires_lock_not_held_(*_Curr_)
                                            _When_(return != 0, _Acquires_exclusive_lock_(*_Curr_)) PERESOURCE Resource);
_IRQL_requires_max_(DISPATCH_LEVEL) _Requires_lock_held_(_Global_critical_region_) NTKERNELAPI VOID FASTCALL
  ExReleaseResourceLite(_Inout_ _Requires_lock_held_(*_Curr_) _Releases_lock_(*_Curr_) PERESOURCE Resource);
#define ExReleaseResource(R) (ExReleaseResourceLite(R))
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  ExReleaseResourceForThreadLite(_Inout_ _Requires_lock_held_(*_Curr_) _Releases_lock_(*_Curr_) PERESOURCE Resource,
                                 _In_ ERESOURCE_THREAD ResourceThreadId);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI VOID NTAPI
  ExConvertExclusiveToSharedLite(_Inout_ _Requires_lock_held_(*_Curr_) PERESOURCE Resource);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI BOOLEAN NTAPI ExIsResourceAcquiredExclusiveLite(_In_ PERESOURCE Resource);
/* The number of times the calling thread holds the resource, shared or exclusive. */
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI ULONG NTAPI ExIsResourceAcquiredSharedLite(_In_ PERESOURCE Resource);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI ULONG NTAPI ExGetExclusiveWaiterCount(_In_ PERESOURCE Resource);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI ULONG NTAPI ExGetSharedWaiterCount(_In_ PERESOURCE Resource);

/* Enter a critical region, then acquire; return the current thread (the WDK's PVOID). */
_IRQL_requires_max_(APC_LEVEL) _Acquires_lock_(_Global_critical_region_) NTKERNELAPI PVOID NTAPI
  ExEnterCriticalRegionAndAcquireResourceExclusive(_Inout_ _Requires_lock_not_held_(*_Curr_)
                                                   _Acquires_exclusive_lock_(*_Curr_) PERESOURCE Resource);
_IRQL_requires_max_(APC_LEVEL) _Acquires_lock_(_Global_critical_region_) NTKERNELAPI PVOID NTAPI
  ExEnterCriticalRegionAndAcquireResourceShared(_Inout_ _Requires_lock_not_held_(*_Curr_)
                                                _Acquires_shared_lock_(*_Curr_) PERESOURCE Resource);
_IRQL_requires_max_(DISPATCH_LEVEL) _Releases_lock_(_Global_critical_region_) NTKERNELAPI VOID FASTCALL
  ExReleaseResourceAndLeaveCriticalRegion(_Inout_ _Requires_lock_held_(*_Curr_) _Releases_lock_(*_Curr_)
                                          PERESOURCE Resource);

/* ---------------------------------------------------------------------------------------------
 * System worker threads.
 *
 * ExQueueWorkItem (IRQL <= DISPATCH_LEVEL) hands the item to a system worker thread, which calls
 * WorkerRoutine(Parameter) at PASSIVE_LEVEL, charged to the driver that queued it; the lab waits
 * for queued work in run_until_idle. The routine may free the item. A routine that returns at a
 * raised IRQL is bug check 0xE1, one that returns owning a mutex 0x39, one that returns with
 * APCs still disabled 0x1 (parameter 4 = 1, a worker routine). Queuing an item that is already
 * queued is bug check 0xE4 with parameter 1 = 1.
 */

typedef enum _WORK_QUEUE_TYPE {
  CriticalWorkQueue,
  DelayedWorkQueue,
  HyperCriticalWorkQueue,
  NormalWorkQueue,
  BackgroundWorkQueue,
  RealTimeWorkQueue,
  SuperCriticalWorkQueue,
  MaximumWorkQueue,
  CustomPriorityWorkQueue = 32
} WORK_QUEUE_TYPE;

_IRQL_requires_same_ _Function_class_(WORKER_THREAD_ROUTINE) typedef VOID NTAPI
  WORKER_THREAD_ROUTINE(_In_ PVOID Parameter);
typedef WORKER_THREAD_ROUTINE *PWORKER_THREAD_ROUTINE;

typedef struct _WORK_QUEUE_ITEM {
  LIST_ENTRY List;
  PWORKER_THREAD_ROUTINE WorkerRoutine;
  __volatile PVOID Parameter;
} WORK_QUEUE_ITEM, *PWORK_QUEUE_ITEM;

#define ExInitializeWorkItem(Item, Routine, Context) \
  do { \
    (Item)->WorkerRoutine = (Routine); \
    (Item)->Parameter = (Context); \
    (Item)->List.Flink = NULL; \
  } while (0)

_IRQL_requires_max_(DISPATCH_LEVEL) DECLSPEC_DEPRECATED_DDK NTKERNELAPI VOID NTAPI
  ExQueueWorkItem(_Inout_ __drv_aliasesMem PWORK_QUEUE_ITEM WorkItem, _In_ WORK_QUEUE_TYPE QueueType);

/* ---------------------------------------------------------------------------------------------
 * Raising exceptions: noncontinuable, caught by __try/__except; unhandled, they stop the machine
 * with the bug check Windows uses for an unhandled kernel exception.
 */

DECLSPEC_NORETURN NTKERNELAPI VOID NTAPI ExRaiseStatus(_In_ NTSTATUS Status);
DECLSPEC_NORETURN NTKERNELAPI VOID NTAPI ExRaiseAccessViolation(VOID);
DECLSPEC_NORETURN NTKERNELAPI VOID NTAPI ExRaiseDatatypeMisalignment(VOID);

WDMLAB_EXTERN_C_END

C_ASSERT(sizeof(SLIST_ENTRY) == 0x10);
C_ASSERT(sizeof(SLIST_HEADER) == 0x10);
C_ASSERT(sizeof(POOL_EXTENDED_PARAMETER) == 0x10);
C_ASSERT(sizeof(GENERAL_LOOKASIDE) == 0x80);
C_ASSERT(sizeof(GENERAL_LOOKASIDE_POOL) == 0x60);
C_ASSERT(FIELD_OFFSET(GENERAL_LOOKASIDE, Depth) == 0x10);
C_ASSERT(FIELD_OFFSET(GENERAL_LOOKASIDE, Type) == 0x24);
C_ASSERT(FIELD_OFFSET(GENERAL_LOOKASIDE, Allocate) == 0x30);
C_ASSERT(FIELD_OFFSET(GENERAL_LOOKASIDE, ListEntry) == 0x40);
C_ASSERT(sizeof(NPAGED_LOOKASIDE_LIST) == 0x80);
C_ASSERT(sizeof(PAGED_LOOKASIDE_LIST) == 0x80);
C_ASSERT(sizeof(LOOKASIDE_LIST_EX) == 0x60);
C_ASSERT(sizeof(FAST_MUTEX) == 0x38);
C_ASSERT(FIELD_OFFSET(FAST_MUTEX, Event) == 0x18);
C_ASSERT(FIELD_OFFSET(FAST_MUTEX, OldIrql) == 0x30);
C_ASSERT(sizeof(OWNER_ENTRY) == 0x10);
C_ASSERT(sizeof(ERESOURCE) == 0x68);
C_ASSERT(FIELD_OFFSET(ERESOURCE, OwnerEntry) == 0x30);
C_ASSERT(FIELD_OFFSET(ERESOURCE, SpinLock) == 0x60);
C_ASSERT(sizeof(WORK_QUEUE_ITEM) == 0x20);

#endif /* WDMLAB_WDK_EX_H */
