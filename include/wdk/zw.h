/*
 * wdk/zw.h - native system services (Zw*) a driver calls with kernel-mode arguments: symbolic
 * links, temporary objects, handle duplication, waits on handles, and event objects. Each runs with
 * the previous mode set to KernelMode for the duration of the call, as a Zw routine does on Windows.
 *
 * The WDK declares some of these in ntifs.h (ZwCreateEvent, ZwSetEvent, ZwDuplicateObject,
 * ZwWaitForSingleObject); the lab has no ntifs.h, so wdm.h carries them. ZwCreateSymbolicLinkObject,
 * ZwResetEvent and ZwClearEvent are exported by Windows but not declared by the WDK; they have the
 * prototypes of their documented Nt counterparts.
 */
#ifndef WDMLAB_WDK_ZW_H
#define WDMLAB_WDK_ZW_H

WDMLAB_EXTERN_C_START

_IRQL_requires_max_(PASSIVE_LEVEL) NTSYSAPI NTSTATUS NTAPI
  ZwCreateSymbolicLinkObject(_Out_ PHANDLE LinkHandle, _In_ ACCESS_MASK DesiredAccess,
                             _In_ POBJECT_ATTRIBUTES ObjectAttributes, _In_ PUNICODE_STRING LinkTarget);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSYSAPI NTSTATUS NTAPI
  ZwOpenSymbolicLinkObject(_Out_ PHANDLE LinkHandle, _In_ ACCESS_MASK DesiredAccess,
                           _In_ POBJECT_ATTRIBUTES ObjectAttributes);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSYSAPI NTSTATUS NTAPI
  ZwQuerySymbolicLinkObject(_In_ HANDLE LinkHandle, _Inout_ PUNICODE_STRING LinkTarget,
                            _Out_opt_ PULONG ReturnedLength);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSYSAPI NTSTATUS NTAPI ZwMakeTemporaryObject(_In_ HANDLE Handle);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSYSAPI NTSTATUS NTAPI
  ZwDuplicateObject(_In_ HANDLE SourceProcessHandle, _In_ HANDLE SourceHandle, _In_opt_ HANDLE TargetProcessHandle,
                    _Out_opt_ PHANDLE TargetHandle, _In_ ACCESS_MASK DesiredAccess, _In_ ULONG HandleAttributes,
                    _In_ ULONG Options);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSYSAPI NTSTATUS NTAPI
  ZwWaitForSingleObject(_In_ HANDLE Handle, _In_ BOOLEAN Alertable, _In_opt_ PLARGE_INTEGER Timeout);

_IRQL_requires_max_(PASSIVE_LEVEL) NTSYSAPI NTSTATUS NTAPI
  ZwCreateEvent(_Out_ PHANDLE EventHandle, _In_ ACCESS_MASK DesiredAccess, _In_opt_ POBJECT_ATTRIBUTES ObjectAttributes,
                _In_ EVENT_TYPE EventType, _In_ BOOLEAN InitialState);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSYSCALLAPI NTSTATUS NTAPI
  ZwOpenEvent(_Out_ PHANDLE EventHandle, _In_ ACCESS_MASK DesiredAccess, _In_ POBJECT_ATTRIBUTES ObjectAttributes);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSYSAPI NTSTATUS NTAPI ZwSetEvent(_In_ HANDLE EventHandle,
                                                                       _Out_opt_ PLONG PreviousState);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSYSAPI NTSTATUS NTAPI ZwResetEvent(_In_ HANDLE EventHandle,
                                                                         _Out_opt_ PLONG PreviousState);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSYSAPI NTSTATUS NTAPI ZwClearEvent(_In_ HANDLE EventHandle);

WDMLAB_EXTERN_C_END

#endif /* WDMLAB_WDK_ZW_H */
