/*
 * wdk/mm.h - memory descriptor lists and the memory manager constants drivers use.
 */
#ifndef WDMLAB_WDK_MM_H
#define WDMLAB_WDK_MM_H

WDMLAB_EXTERN_C_START

#define PAGE_SIZE 0x1000
#define PAGE_SHIFT 12L
#define BYTE_OFFSET(Va) ((ULONG)((LONG_PTR)(Va) & (PAGE_SIZE - 1)))
#define PAGE_ALIGN(Va) ((PVOID)((ULONG_PTR)(Va) & ~(PAGE_SIZE - 1)))
#define ROUND_TO_PAGES(Size) (((ULONG_PTR)(Size) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
#define BYTES_TO_PAGES(Size) (((Size) >> PAGE_SHIFT) + (((Size) & (PAGE_SIZE - 1)) != 0))
#define ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size) \
  ((BYTE_OFFSET(Va) + ((SIZE_T)(Size)) + (PAGE_SIZE - 1)) >> PAGE_SHIFT)
#define COMPUTE_PAGES_SPANNED(Va, Size) ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size)

typedef ULONG PFN_COUNT;
typedef LONG_PTR SPFN_NUMBER, *PSPFN_NUMBER;
typedef ULONG_PTR PFN_NUMBER, *PPFN_NUMBER;

typedef struct _MDL {
  struct _MDL *Next;
  CSHORT Size;
  CSHORT MdlFlags;
  USHORT AllocationProcessorNumber;
  USHORT Reserved;
  struct _EPROCESS *Process;
  PVOID MappedSystemVa;
  PVOID StartVa;
  ULONG ByteCount;
  ULONG ByteOffset;
} MDL, *PMDL;
typedef MDL *PMDLX;

#define MDL_MAPPED_TO_SYSTEM_VA 0x0001
#define MDL_PAGES_LOCKED 0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define MDL_ALLOCATED_FIXED_SIZE 0x0008
#define MDL_PARTIAL 0x0010
#define MDL_PARTIAL_HAS_BEEN_MAPPED 0x0020
#define MDL_IO_PAGE_READ 0x0040
#define MDL_WRITE_OPERATION 0x0080
#define MDL_LOCKED_PAGE_TABLES 0x0100
#define MDL_PARENT_MAPPED_SYSTEM_VA MDL_LOCKED_PAGE_TABLES
#define MDL_FREE_EXTRA_PTES 0x0200
#define MDL_DESCRIBES_AWE 0x0400
#define MDL_IO_SPACE 0x0800
#define MDL_NETWORK_HEADER 0x1000
#define MDL_MAPPING_CAN_FAIL 0x2000
#define MDL_PAGE_CONTENTS_INVARIANT 0x4000
#define MDL_ALLOCATED_MUST_SUCCEED MDL_PAGE_CONTENTS_INVARIANT
#define MDL_INTERNAL 0x8000
#define MDL_MAPPING_FLAGS \
  (MDL_MAPPED_TO_SYSTEM_VA | MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL_HAS_BEEN_MAPPED | \
   MDL_PARENT_MAPPED_SYSTEM_VA | MDL_IO_SPACE)

#define MmGetMdlPfnArray(Mdl) ((PPFN_NUMBER)((Mdl) + 1))
#define MmGetMdlVirtualAddress(Mdl) ((PVOID)((PCHAR)((Mdl)->StartVa) + (Mdl)->ByteOffset))
#define MmGetMdlByteCount(Mdl) ((Mdl)->ByteCount)
#define MmGetMdlByteOffset(Mdl) ((Mdl)->ByteOffset)
#define MmGetMdlBaseVa(Mdl) ((Mdl)->StartVa)

typedef enum _LOCK_OPERATION { IoReadAccess, IoWriteAccess, IoModifyAccess } LOCK_OPERATION;
typedef enum _MEMORY_CACHING_TYPE_ORIG { MmFrameBufferCached = 2 } MEMORY_CACHING_TYPE_ORIG;
typedef enum _MEMORY_CACHING_TYPE {
  MmNonCached = FALSE,
  MmCached = TRUE,
  MmWriteCombined = MmFrameBufferCached,
  MmHardwareCoherentCached,
  MmNonCachedUnordered,
  MmUSWCCached,
  MmMaximumCacheType,
  MmNotMapped = -1
} MEMORY_CACHING_TYPE;
typedef enum _MM_PAGE_PRIORITY { LowPagePriority, NormalPagePriority = 16, HighPagePriority = 32 } MM_PAGE_PRIORITY;
#define MdlMappingNoWrite 0x80000000
#define MdlMappingNoExecute 0x40000000

/* Address space limits (Windows x64 layout; the lab's user ranges lie below MM_USER_PROBE_ADDRESS). */
extern NTKERNELAPI ULONG_PTR MmUserProbeAddress;
extern NTKERNELAPI PVOID MmHighestUserAddress;
extern NTKERNELAPI PVOID MmSystemRangeStart;
#define MM_USER_PROBE_ADDRESS MmUserProbeAddress
#define MM_HIGHEST_USER_ADDRESS MmHighestUserAddress
#define MM_SYSTEM_RANGE_START MmSystemRangeStart
#define MM_LOWEST_USER_ADDRESS ((PVOID)(LONG_PTR)0x10000)

#define MmInitializeMdl(MemoryDescriptorList, BaseVa, Length)                                               \
  {                                                                                                        \
    (MemoryDescriptorList)->Next = (PMDL)NULL;                                                             \
    (MemoryDescriptorList)->Size =                                                                         \
      (CSHORT)(sizeof(MDL) + (sizeof(PFN_NUMBER) * ADDRESS_AND_SIZE_TO_SPAN_PAGES((BaseVa), (Length))));   \
    (MemoryDescriptorList)->MdlFlags = 0;                                                                  \
    (MemoryDescriptorList)->StartVa = (PVOID)PAGE_ALIGN((BaseVa));                                         \
    (MemoryDescriptorList)->ByteOffset = BYTE_OFFSET((BaseVa));                                            \
    (MemoryDescriptorList)->ByteCount = (ULONG)(Length);                                                   \
  }
#define MmPrepareMdlForReuse(Mdl)                                       \
  if (((Mdl)->MdlFlags & MDL_PARTIAL_HAS_BEEN_MAPPED) != 0) {           \
    MmUnmapLockedPages((Mdl)->MappedSystemVa, (Mdl));                   \
  } else if (((Mdl)->MdlFlags & MDL_PARTIAL) == 0) {                    \
    ASSERT(((Mdl)->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) == 0);           \
  }

_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI SIZE_T NTAPI MmSizeOfMdl(_In_reads_bytes_opt_(Length) PVOID Base,
                                                                         _In_ SIZE_T Length);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI VOID NTAPI
  ProbeForRead(__in_data_source(USER_MODE) _In_reads_bytes_(Length) volatile VOID *Address, _In_ SIZE_T Length,
               _In_ ULONG Alignment);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI VOID NTAPI
  ProbeForWrite(__in_data_source(USER_MODE) _Out_writes_bytes_all_(Length) volatile VOID *Address,
                _In_ SIZE_T Length, _In_ ULONG Alignment);
_At_(MemoryDescriptorList->MdlFlags, _Must_inspect_result_) _IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI
  MmProbeAndLockPages(_Inout_ PMDL MemoryDescriptorList, _In_ KPROCESSOR_MODE AccessMode,
                      _In_ LOCK_OPERATION Operation);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI MmUnlockPages(_Inout_ PMDL MemoryDescriptorList);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI MmBuildMdlForNonPagedPool(_Inout_ PMDL MemoryDescriptorList);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI PVOID NTAPI
  MmMapLockedPagesSpecifyCache(_Inout_ PMDL MemoryDescriptorList, _In_ KPROCESSOR_MODE AccessMode,
                               _In_ MEMORY_CACHING_TYPE CacheType, _In_opt_ PVOID RequestedAddress,
                               _In_ ULONG BugCheckOnFailure, _In_ ULONG Priority);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI PVOID NTAPI
  MmMapLockedPages(_Inout_ PMDL MemoryDescriptorList, _In_ KPROCESSOR_MODE AccessMode);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI VOID NTAPI MmUnmapLockedPages(_In_ PVOID BaseAddress,
                                                                              _Inout_ PMDL MemoryDescriptorList);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI BOOLEAN NTAPI MmIsAddressValid(_In_ PVOID VirtualAddress);

/* The system address of the pages an MDL describes, mapping them first if need be (NULL when the
 * mapping fails). */
#define MmGetSystemAddressForMdlSafe(MDL, PRIORITY)                                        \
  (((MDL)->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL))              \
     ? ((MDL)->MappedSystemVa)                                                             \
     : (MmMapLockedPagesSpecifyCache((MDL), KernelMode, MmCached, NULL, FALSE, (PRIORITY))))

WDMLAB_EXTERN_C_END

#endif /* WDMLAB_WDK_MM_H */
