/*
 * wdk/rtl_string.h - counted strings (UNICODE_STRING, ANSI_STRING), character and number
 * conversion, GUID strings and string hashing.
 *
 * Character sets: the ANSI code page is 1252 (Western); characters it cannot represent become
 * '?'. Case mapping is Unicode simple case mapping of the Basic Multilingual Plane. UTF-8
 * conversion replaces invalid input with U+FFFD and reports STATUS_SOME_NOT_MAPPED.
 *
 * Ownership: the routines that allocate (RtlAnsiStringToUnicodeString and
 * RtlUnicodeStringToAnsiString with AllocateDestinationString, RtlUpcaseUnicodeString and
 * RtlDowncaseUnicodeString with AllocateDestinationString, RtlCreateUnicodeString,
 * RtlDuplicateUnicodeString, RtlStringFromGUID) allocate from pool; the caller frees the buffer
 * with RtlFreeUnicodeString or RtlFreeAnsiString, which also zero the structure.
 *
 * IRQL: RtlInit*String may be called at IRQL <= DISPATCH_LEVEL; the others at PASSIVE_LEVEL
 * (RtlHashUnicodeString at <= APC_LEVEL), as documented.
 */
#ifndef WDMLAB_WDK_RTL_STRING_H
#define WDMLAB_WDK_RTL_STRING_H

WDMLAB_EXTERN_C_START

/* Initialization. The string is not copied: Buffer points at SourceString. */
NTSYSAPI VOID NTAPI RtlInitUnicodeString(_Out_ PUNICODE_STRING DestinationString,
                                         _In_opt_z_ __drv_aliasesMem PCWSTR SourceString);
NTSYSAPI NTSTATUS NTAPI RtlInitUnicodeStringEx(_Out_ PUNICODE_STRING DestinationString,
                                               _In_opt_z_ __drv_aliasesMem PCWSTR SourceString);
NTSYSAPI VOID NTAPI RtlInitAnsiString(_Out_ PANSI_STRING DestinationString,
                                      _In_opt_z_ __drv_aliasesMem PCSZ SourceString);
NTSYSAPI NTSTATUS NTAPI RtlInitAnsiStringEx(_Out_ PANSI_STRING DestinationString,
                                            _In_opt_z_ __drv_aliasesMem PCSZ SourceString);
NTSYSAPI VOID NTAPI RtlInitString(_Out_ PSTRING DestinationString, _In_opt_z_ __drv_aliasesMem PCSZ SourceString);
NTSYSAPI NTSTATUS NTAPI RtlInitStringEx(_Out_ PSTRING DestinationString,
                                        _In_opt_z_ __drv_aliasesMem PCSZ SourceString);

/* Copying and appending. */
NTSYSAPI VOID NTAPI RtlCopyUnicodeString(_Inout_ PUNICODE_STRING DestinationString,
                                         _In_opt_ PCUNICODE_STRING SourceString);
NTSYSAPI VOID NTAPI RtlCopyString(_Out_ PSTRING DestinationString, _In_opt_ const STRING *SourceString);
NTSYSAPI NTSTATUS NTAPI RtlAppendUnicodeStringToString(_Inout_ PUNICODE_STRING Destination,
                                                       _In_ PCUNICODE_STRING Source);
NTSYSAPI NTSTATUS NTAPI RtlAppendUnicodeToString(_Inout_ PUNICODE_STRING Destination, _In_opt_z_ PCWSTR Source);

/* Comparison. */
_Must_inspect_result_ NTSYSAPI LONG NTAPI RtlCompareUnicodeString(_In_ PCUNICODE_STRING String1,
                                                                  _In_ PCUNICODE_STRING String2,
                                                                  _In_ BOOLEAN CaseInSensitive);
_Must_inspect_result_ NTSYSAPI LONG NTAPI RtlCompareString(_In_ const STRING *String1, _In_ const STRING *String2,
                                                           _In_ BOOLEAN CaseInSensitive);
_Must_inspect_result_ NTSYSAPI BOOLEAN NTAPI RtlEqualUnicodeString(_In_ PCUNICODE_STRING String1,
                                                                  _In_ PCUNICODE_STRING String2,
                                                                  _In_ BOOLEAN CaseInSensitive);
_Must_inspect_result_ NTSYSAPI BOOLEAN NTAPI RtlEqualString(_In_ const STRING *String1, _In_ const STRING *String2,
                                                            _In_ BOOLEAN CaseInSensitive);
_Must_inspect_result_ NTSYSAPI BOOLEAN NTAPI RtlPrefixUnicodeString(_In_ PCUNICODE_STRING String1,
                                                                   _In_ PCUNICODE_STRING String2,
                                                                   _In_ BOOLEAN CaseInSensitive);

/* Case. */
NTSYSAPI NTSTATUS NTAPI RtlUpcaseUnicodeString(
    _When_(AllocateDestinationString, _Out_ _At_(DestinationString->Buffer, __drv_allocatesMem(Mem)))
    _When_(!AllocateDestinationString, _Inout_) PUNICODE_STRING DestinationString,
    _In_ PCUNICODE_STRING SourceString, _In_ BOOLEAN AllocateDestinationString);
NTSYSAPI NTSTATUS NTAPI RtlDowncaseUnicodeString(
    _When_(AllocateDestinationString, _Out_ _At_(DestinationString->Buffer, __drv_allocatesMem(Mem)))
    _When_(!AllocateDestinationString, _Inout_) PUNICODE_STRING DestinationString,
    _In_ PCUNICODE_STRING SourceString, _In_ BOOLEAN AllocateDestinationString);
NTSYSAPI WCHAR NTAPI RtlUpcaseUnicodeChar(_In_ WCHAR SourceCharacter);
NTSYSAPI WCHAR NTAPI RtlDowncaseUnicodeChar(_In_ WCHAR SourceCharacter);
NTSYSAPI VOID NTAPI RtlUpperString(_Inout_ PSTRING DestinationString, _In_ const STRING *SourceString);
NTSYSAPI CHAR NTAPI RtlUpperChar(_In_ CHAR Character);

/* ANSI <-> Unicode. */
NTSYSAPI NTSTATUS NTAPI RtlAnsiStringToUnicodeString(
    _When_(AllocateDestinationString, _Out_ _At_(DestinationString->Buffer, __drv_allocatesMem(Mem)))
    _When_(!AllocateDestinationString, _Inout_) PUNICODE_STRING DestinationString,
    _In_ PCANSI_STRING SourceString, _In_ BOOLEAN AllocateDestinationString);
NTSYSAPI NTSTATUS NTAPI RtlUnicodeStringToAnsiString(
    _When_(AllocateDestinationString, _Out_ _At_(DestinationString->Buffer, __drv_allocatesMem(Mem)))
    _When_(!AllocateDestinationString, _Inout_) PANSI_STRING DestinationString,
    _In_ PCUNICODE_STRING SourceString, _In_ BOOLEAN AllocateDestinationString);
/* Bytes the converted string needs, including its terminating null. */
NTSYSAPI ULONG NTAPI RtlxUnicodeStringToAnsiSize(_In_ PCUNICODE_STRING UnicodeString);
NTSYSAPI ULONG NTAPI RtlxAnsiStringToUnicodeSize(_In_ PCANSI_STRING AnsiString);
#define RtlUnicodeStringToAnsiSize(STRING) RtlxUnicodeStringToAnsiSize(STRING)
#define RtlAnsiStringToUnicodeSize(STRING) RtlxAnsiStringToUnicodeSize(STRING)
NTSYSAPI NTSTATUS NTAPI RtlMultiByteToUnicodeN(
    _Out_writes_bytes_to_(MaxBytesInUnicodeString, *BytesInUnicodeString) PWCH UnicodeString,
    _In_ ULONG MaxBytesInUnicodeString, _Out_opt_ PULONG BytesInUnicodeString,
    _In_reads_bytes_(BytesInMultiByteString) const CHAR *MultiByteString, _In_ ULONG BytesInMultiByteString);
NTSYSAPI NTSTATUS NTAPI RtlUnicodeToMultiByteN(
    _Out_writes_bytes_to_(MaxBytesInMultiByteString, *BytesInMultiByteString) PCHAR MultiByteString,
    _In_ ULONG MaxBytesInMultiByteString, _Out_opt_ PULONG BytesInMultiByteString,
    _In_reads_bytes_(BytesInUnicodeString) PCWCH UnicodeString, _In_ ULONG BytesInUnicodeString);

/* UTF-8 <-> Unicode. With a NULL destination the routines report the size the output needs. */
NTSYSAPI NTSTATUS NTAPI RtlUnicodeToUTF8N(
    _Out_writes_bytes_to_(UTF8StringMaxByteCount, *UTF8StringActualByteCount) PCHAR UTF8StringDestination,
    _In_ ULONG UTF8StringMaxByteCount, _Out_ PULONG UTF8StringActualByteCount,
    _In_reads_bytes_(UnicodeStringByteCount) PCWCH UnicodeStringSource, _In_ ULONG UnicodeStringByteCount);
NTSYSAPI NTSTATUS NTAPI RtlUTF8ToUnicodeN(
    _Out_writes_bytes_to_(UnicodeStringMaxByteCount, *UnicodeStringActualByteCount) PWSTR UnicodeStringDestination,
    _In_ ULONG UnicodeStringMaxByteCount, _Out_ PULONG UnicodeStringActualByteCount,
    _In_reads_bytes_(UTF8StringByteCount) PCCH UTF8StringSource, _In_ ULONG UTF8StringByteCount);

/* Allocation and release (see Ownership above). */
NTSYSAPI VOID NTAPI RtlFreeUnicodeString(_Inout_ _At_(UnicodeString->Buffer, _Frees_ptr_opt_)
                                             PUNICODE_STRING UnicodeString);
NTSYSAPI VOID NTAPI RtlFreeAnsiString(_Inout_ _At_(AnsiString->Buffer, _Frees_ptr_opt_) PANSI_STRING AnsiString);
_Success_(return != 0) _Must_inspect_result_ NTSYSAPI BOOLEAN NTAPI
RtlCreateUnicodeString(_Out_ _At_(DestinationString->Buffer, __drv_allocatesMem(Mem)) PUNICODE_STRING DestinationString,
                       _In_z_ PCWSTR SourceString);

#define RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE 1
#define RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING 2
_Must_inspect_result_ NTSYSAPI NTSTATUS NTAPI RtlDuplicateUnicodeString(_In_ ULONG Flags,
                                                                        _In_ PCUNICODE_STRING StringIn,
                                                                        _Out_ PUNICODE_STRING StringOut);

/* Numbers. Base 0 means 10 when formatting; when parsing it means "from the prefix": 0x (hex),
 * 0o (octal), 0b (binary), otherwise decimal. Valid bases are 0, 2, 8, 10 and 16. */
NTSYSAPI NTSTATUS NTAPI RtlUnicodeStringToInteger(_In_ PCUNICODE_STRING String, _In_opt_ ULONG Base,
                                                  _Out_ PULONG Value);
NTSYSAPI NTSTATUS NTAPI RtlCharToInteger(_In_z_ PCSZ String, _In_opt_ ULONG Base, _Out_ PULONG Value);
NTSYSAPI NTSTATUS NTAPI RtlIntegerToUnicodeString(_In_ ULONG Value, _In_opt_ ULONG Base,
                                                  _Inout_ PUNICODE_STRING String);
NTSYSAPI NTSTATUS NTAPI RtlInt64ToUnicodeString(_In_ ULONGLONG Value, _In_opt_ ULONG Base,
                                                _Inout_ PUNICODE_STRING String);
NTSYSAPI NTSTATUS NTAPI RtlIntegerToChar(_In_ ULONG Value, _In_opt_ ULONG Base, _In_ LONG OutputLength,
                                         _Out_ PSZ String);

/* Hashing. */
#define HASH_STRING_ALGORITHM_DEFAULT 0
#define HASH_STRING_ALGORITHM_X65599 1
#define HASH_STRING_ALGORITHM_INVALID 0xffffffff
NTSYSAPI NTSTATUS NTAPI RtlHashUnicodeString(_In_ PCUNICODE_STRING String, _In_ BOOLEAN CaseInSensitive,
                                             _In_ ULONG HashAlgorithm, _Out_ PULONG HashValue);

/* GUIDs, as "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}". */
_Must_inspect_result_ NTSYSAPI NTSTATUS NTAPI RtlStringFromGUID(
    _In_ REFGUID Guid, _Out_ _At_(GuidString->Buffer, __drv_allocatesMem(Mem)) PUNICODE_STRING GuidString);
_Must_inspect_result_ NTSYSAPI NTSTATUS NTAPI RtlGUIDFromString(_In_ PCUNICODE_STRING GuidString, _Out_ GUID *Guid);

WDMLAB_EXTERN_C_END

#endif /* WDMLAB_WDK_RTL_STRING_H */
