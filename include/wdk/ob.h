/*
 * wdk/ob.h - object manager: object references, handles, ZwClose, object names, and the object
 * types of the named synchronization objects (ExEventObjectType, ExSemaphoreObjectType). The
 * native system services (Zw*) other than ZwClose are in wdk/zw.h. IoCreateSymbolicLink,
 * IoCreateUnprotectedSymbolicLink and IoDeleteSymbolicLink are declared with the I/O manager's
 * routines (wdk/io_routines.h) but implemented by the object manager.
 */
#ifndef WDMLAB_WDK_OB_H
#define WDMLAB_WDK_OB_H

WDMLAB_EXTERN_C_START

typedef struct _OBJECT_TYPE *POBJECT_TYPE;

typedef struct _OBJECT_HANDLE_INFORMATION {
  ULONG HandleAttributes;
  ACCESS_MASK GrantedAccess;
} OBJECT_HANDLE_INFORMATION, *POBJECT_HANDLE_INFORMATION;

typedef struct _OBJECT_NAME_INFORMATION {
  UNICODE_STRING Name;
} OBJECT_NAME_INFORMATION, *POBJECT_NAME_INFORMATION;

/* Access rights of the object manager's own types and of the named synchronization objects. */
#define DIRECTORY_QUERY (0x0001)
#define DIRECTORY_TRAVERSE (0x0002)
#define DIRECTORY_CREATE_OBJECT (0x0004)
#define DIRECTORY_CREATE_SUBDIRECTORY (0x0008)
#define DIRECTORY_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | 0xF)
#define SYMBOLIC_LINK_QUERY (0x0001)
#define SYMBOLIC_LINK_SET (0x0002)
#define SYMBOLIC_LINK_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | 0x1)
#define SYMBOLIC_LINK_ALL_ACCESS_EX (STANDARD_RIGHTS_REQUIRED | SPECIFIC_RIGHTS_ALL)
#define EVENT_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3)
#define SEMAPHORE_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3)
#define MUTANT_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | MUTANT_QUERY_STATE)

/* ZwDuplicateObject options. */
#define DUPLICATE_CLOSE_SOURCE 0x00000001
#define DUPLICATE_SAME_ACCESS 0x00000002
#define DUPLICATE_SAME_ATTRIBUTES 0x00000004

extern NTKERNELAPI POBJECT_TYPE *ExEventObjectType;
extern NTKERNELAPI POBJECT_TYPE *ExSemaphoreObjectType;

#define NtCurrentProcess() ((HANDLE)(LONG_PTR)-1)
#define ZwCurrentProcess() NtCurrentProcess()
#define NtCurrentThread() ((HANDLE)(LONG_PTR)-2)
#define ZwCurrentThread() NtCurrentThread()

_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI NTSTATUS NTAPI
  ObReferenceObjectByHandle(_In_ HANDLE Handle, _In_ ACCESS_MASK DesiredAccess, _In_opt_ POBJECT_TYPE ObjectType,
                            _In_ KPROCESSOR_MODE AccessMode, _Out_ PVOID *Object,
                            _Out_opt_ POBJECT_HANDLE_INFORMATION HandleInformation);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI NTSTATUS NTAPI
  ObReferenceObjectByHandleWithTag(_In_ HANDLE Handle, _In_ ACCESS_MASK DesiredAccess,
                                   _In_opt_ POBJECT_TYPE ObjectType, _In_ KPROCESSOR_MODE AccessMode,
                                   _In_ ULONG Tag, _Out_ PVOID *Object,
                                   _Out_opt_ POBJECT_HANDLE_INFORMATION HandleInformation);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI NTSTATUS NTAPI
  ObReferenceObjectByPointer(_In_ PVOID Object, _In_ ACCESS_MASK DesiredAccess, _In_opt_ POBJECT_TYPE ObjectType,
                             _In_ KPROCESSOR_MODE AccessMode);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI LONG_PTR FASTCALL ObfReferenceObject(_In_ PVOID Object);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI LONG_PTR FASTCALL ObfDereferenceObject(_In_ PVOID Object);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI LONG_PTR FASTCALL ObfReferenceObjectWithTag(_In_ PVOID Object,
                                                                                             _In_ ULONG Tag);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI LONG_PTR FASTCALL ObfDereferenceObjectWithTag(_In_ PVOID Object,
                                                                                               _In_ ULONG Tag);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI LONG_PTR NTAPI ObDereferenceObjectDeferDelete(_In_ PVOID Object);
_IRQL_requires_max_(DISPATCH_LEVEL) NTKERNELAPI LONG_PTR NTAPI
  ObDereferenceObjectDeferDeleteWithTag(_In_ PVOID Object, _In_ ULONG Tag);
#define ObReferenceObject(Object) ObfReferenceObject(Object)
#define ObDereferenceObject(Object) ObfDereferenceObject(Object)
#define ObReferenceObjectWithTag(Object, Tag) ObfReferenceObjectWithTag(Object, Tag)
#define ObDereferenceObjectWithTag(Object, Tag) ObfDereferenceObjectWithTag(Object, Tag)

_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI NTSTATUS NTAPI
  ObOpenObjectByPointer(_In_ PVOID Object, _In_ ULONG HandleAttributes, _In_opt_ PACCESS_STATE PassedAccessState,
                        _In_ ACCESS_MASK DesiredAccess, _In_opt_ POBJECT_TYPE ObjectType,
                        _In_ KPROCESSOR_MODE AccessMode, _Out_ PHANDLE Handle);
_IRQL_requires_max_(APC_LEVEL) NTKERNELAPI NTSTATUS NTAPI
  ObQueryNameString(_In_ PVOID Object, _Out_writes_bytes_opt_(Length) POBJECT_NAME_INFORMATION ObjectNameInfo,
                    _In_ ULONG Length, _Out_ PULONG ReturnLength);

_IRQL_requires_max_(PASSIVE_LEVEL) NTSYSAPI NTSTATUS NTAPI ZwClose(_In_ HANDLE Handle);

WDMLAB_EXTERN_C_END

#endif /* WDMLAB_WDK_OB_H */
