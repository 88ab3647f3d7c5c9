// The exported counted-string, conversion and hashing routines (include/wdk/rtl_string.h).
//
// Routines that return NTSTATUS reject NULL pointers with the status Windows documents (or
// STATUS_INVALID_PARAMETER where it documents none). Routines without a status to return use a
// NULL structure pointer as Windows does: the access faults in the caller's context.
#include <cstring>

#include <ntdef.h>
#include <ntstatus.h>
#include <wdk/rtl.h>
#include <wdk/rtl_string.h>

#include "rtl/charset.hpp"
#include "rtl/counted_string.hpp"
#include "rtl/number_string.hpp"
#include "sched/scheduler.hpp"

namespace rtl = wdmlab::rtl;
using wdmlab::sched::scheduling_point;

extern "C" {

// --- Initialization ---------------------------------------------------------------------------

VOID NTAPI RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString) {
  scheduling_point();
  rtl::init_unicode_string(DestinationString, SourceString);
}

NTSTATUS NTAPI RtlInitUnicodeStringEx(PUNICODE_STRING DestinationString, PCWSTR SourceString) {
  scheduling_point();
  if (DestinationString == nullptr) return STATUS_INVALID_PARAMETER;
  return rtl::init_unicode_string_ex(DestinationString, SourceString);
}

VOID NTAPI RtlInitAnsiString(PANSI_STRING DestinationString, PCSZ SourceString) {
  scheduling_point();
  rtl::init_ansi_string(DestinationString, SourceString);
}

NTSTATUS NTAPI RtlInitAnsiStringEx(PANSI_STRING DestinationString, PCSZ SourceString) {
  scheduling_point();
  if (DestinationString == nullptr) return STATUS_INVALID_PARAMETER;
  return rtl::init_ansi_string_ex(DestinationString, SourceString);
}

VOID NTAPI RtlInitString(PSTRING DestinationString, PCSZ SourceString) {
  scheduling_point();
  rtl::init_ansi_string(DestinationString, SourceString);
}

NTSTATUS NTAPI RtlInitStringEx(PSTRING DestinationString, PCSZ SourceString) {
  scheduling_point();
  if (DestinationString == nullptr) return STATUS_INVALID_PARAMETER;
  return rtl::init_ansi_string_ex(DestinationString, SourceString);
}

// --- Copying and appending ----------------------------------------------------------------------

VOID NTAPI RtlCopyUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString) {
  scheduling_point();
  rtl::copy_unicode_string(DestinationString, SourceString);
}

VOID NTAPI RtlCopyString(PSTRING DestinationString, const STRING* SourceString) {
  scheduling_point();
  rtl::copy_ansi_string(DestinationString, SourceString);
}

NTSTATUS NTAPI RtlAppendUnicodeStringToString(PUNICODE_STRING Destination, PCUNICODE_STRING Source) {
  scheduling_point();
  if (Destination == nullptr || Source == nullptr) return STATUS_INVALID_PARAMETER;
  return rtl::append_to_unicode_string(Destination, Source->Buffer, Source->Length);
}

NTSTATUS NTAPI RtlAppendUnicodeToString(PUNICODE_STRING Destination, PCWSTR Source) {
  scheduling_point();
  if (Destination == nullptr) return STATUS_INVALID_PARAMETER;
  if (Source == nullptr) return STATUS_SUCCESS;
  return rtl::append_to_unicode_string(Destination, Source, rtl::wide_length(Source) * sizeof(WCHAR));
}

// --- Comparison ---------------------------------------------------------------------------------

LONG NTAPI RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive) {
  scheduling_point();
  return rtl::compare_unicode_strings(String1, String2, CaseInSensitive != FALSE);
}

LONG NTAPI RtlCompareString(const STRING* String1, const STRING* String2, BOOLEAN CaseInSensitive) {
  scheduling_point();
  return rtl::compare_ansi_strings(String1, String2, CaseInSensitive != FALSE);
}

BOOLEAN NTAPI RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive) {
  scheduling_point();
  return rtl::equal_unicode_strings(String1, String2, CaseInSensitive != FALSE) ? TRUE : FALSE;
}

BOOLEAN NTAPI RtlEqualString(const STRING* String1, const STRING* String2, BOOLEAN CaseInSensitive) {
  scheduling_point();
  return rtl::equal_ansi_strings(String1, String2, CaseInSensitive != FALSE) ? TRUE : FALSE;
}

BOOLEAN NTAPI RtlPrefixUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive) {
  scheduling_point();
  return rtl::unicode_string_has_prefix(String1, String2, CaseInSensitive != FALSE) ? TRUE : FALSE;
}

// --- Case ---------------------------------------------------------------------------------------

NTSTATUS NTAPI RtlUpcaseUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                      BOOLEAN AllocateDestinationString) {
  scheduling_point();
  if (DestinationString == nullptr || SourceString == nullptr) return STATUS_INVALID_PARAMETER;
  return rtl::change_unicode_string_case(DestinationString, SourceString, AllocateDestinationString != FALSE, true);
}

NTSTATUS NTAPI RtlDowncaseUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                        BOOLEAN AllocateDestinationString) {
  scheduling_point();
  if (DestinationString == nullptr || SourceString == nullptr) return STATUS_INVALID_PARAMETER;
  return rtl::change_unicode_string_case(DestinationString, SourceString, AllocateDestinationString != FALSE, false);
}

WCHAR NTAPI RtlUpcaseUnicodeChar(WCHAR SourceCharacter) {
  scheduling_point();
  return static_cast<WCHAR>(rtl::charset::upcase(static_cast<char16_t>(SourceCharacter)));
}

WCHAR NTAPI RtlDowncaseUnicodeChar(WCHAR SourceCharacter) {
  scheduling_point();
  return static_cast<WCHAR>(rtl::charset::downcase(static_cast<char16_t>(SourceCharacter)));
}

VOID NTAPI RtlUpperString(PSTRING DestinationString, const STRING* SourceString) {
  scheduling_point();
  rtl::upcase_ansi_string(DestinationString, SourceString);
}

CHAR NTAPI RtlUpperChar(CHAR Character) {
  scheduling_point();
  return static_cast<CHAR>(rtl::charset::upcase_ansi(static_cast<unsigned char>(Character)));
}

// --- Character-set conversion -------------------------------------------------------------------

NTSTATUS NTAPI RtlAnsiStringToUnicodeString(PUNICODE_STRING DestinationString, PCANSI_STRING SourceString,
                                            BOOLEAN AllocateDestinationString) {
  scheduling_point();
  if (DestinationString == nullptr || SourceString == nullptr) return STATUS_INVALID_PARAMETER;
  return rtl::ansi_to_unicode_string(DestinationString, SourceString, AllocateDestinationString != FALSE);
}

NTSTATUS NTAPI RtlUnicodeStringToAnsiString(PANSI_STRING DestinationString, PCUNICODE_STRING SourceString,
                                            BOOLEAN AllocateDestinationString) {
  scheduling_point();
  if (DestinationString == nullptr || SourceString == nullptr) return STATUS_INVALID_PARAMETER;
  return rtl::unicode_to_ansi_string(DestinationString, SourceString, AllocateDestinationString != FALSE);
}

ULONG NTAPI RtlxUnicodeStringToAnsiSize(PCUNICODE_STRING UnicodeString) {
  scheduling_point();
  return rtl::unicode_string_ansi_size(UnicodeString);
}

ULONG NTAPI RtlxAnsiStringToUnicodeSize(PCANSI_STRING AnsiString) {
  scheduling_point();
  return rtl::ansi_string_unicode_size(AnsiString);
}

NTSTATUS NTAPI RtlMultiByteToUnicodeN(PWCH UnicodeString, ULONG MaxBytesInUnicodeString, PULONG BytesInUnicodeString,
                                      const CHAR* MultiByteString, ULONG BytesInMultiByteString) {
  scheduling_point();
  if ((UnicodeString == nullptr && MaxBytesInUnicodeString != 0) ||
      (MultiByteString == nullptr && BytesInMultiByteString != 0)) {
    return STATUS_INVALID_PARAMETER;
  }
  return rtl::multibyte_to_unicode(UnicodeString, MaxBytesInUnicodeString, BytesInUnicodeString, MultiByteString,
                                   BytesInMultiByteString);
}

NTSTATUS NTAPI RtlUnicodeToMultiByteN(PCHAR MultiByteString, ULONG MaxBytesInMultiByteString,
                                      PULONG BytesInMultiByteString, PCWCH UnicodeString, ULONG BytesInUnicodeString) {
  scheduling_point();
  if ((MultiByteString == nullptr && MaxBytesInMultiByteString != 0) ||
      (UnicodeString == nullptr && BytesInUnicodeString != 0)) {
    return STATUS_INVALID_PARAMETER;
  }
  return rtl::unicode_to_multibyte(MultiByteString, MaxBytesInMultiByteString, BytesInMultiByteString, UnicodeString,
                                   BytesInUnicodeString);
}

NTSTATUS NTAPI RtlUnicodeToUTF8N(PCHAR UTF8StringDestination, ULONG UTF8StringMaxByteCount,
                                 PULONG UTF8StringActualByteCount, PCWCH UnicodeStringSource,
                                 ULONG UnicodeStringByteCount) {
  scheduling_point();
  if (UTF8StringDestination == nullptr && UTF8StringActualByteCount == nullptr) return STATUS_INVALID_PARAMETER;
  if (UnicodeStringSource == nullptr) return STATUS_INVALID_PARAMETER_4;
  if (UnicodeStringByteCount % sizeof(WCHAR) != 0) return STATUS_INVALID_PARAMETER_5;
  return rtl::unicode_to_utf8(UTF8StringDestination, UTF8StringMaxByteCount, UTF8StringActualByteCount,
                              UnicodeStringSource, UnicodeStringByteCount);
}

NTSTATUS NTAPI RtlUTF8ToUnicodeN(PWSTR UnicodeStringDestination, ULONG UnicodeStringMaxByteCount,
                                 PULONG UnicodeStringActualByteCount, PCCH UTF8StringSource,
                                 ULONG UTF8StringByteCount) {
  scheduling_point();
  if (UnicodeStringDestination == nullptr && UnicodeStringActualByteCount == nullptr) {
    return STATUS_INVALID_PARAMETER;
  }
  if (UTF8StringSource == nullptr) return STATUS_INVALID_PARAMETER_4;
  return rtl::utf8_to_unicode(UnicodeStringDestination, UnicodeStringMaxByteCount, UnicodeStringActualByteCount,
                              UTF8StringSource, UTF8StringByteCount);
}

// --- Allocation and release -----------------------------------------------------------------------

VOID NTAPI RtlFreeUnicodeString(PUNICODE_STRING UnicodeString) {
  scheduling_point();
  rtl::free_counted_string_buffer(UnicodeString->Buffer);
  *UnicodeString = UNICODE_STRING{0, 0, nullptr};
}

VOID NTAPI RtlFreeAnsiString(PANSI_STRING AnsiString) {
  scheduling_point();
  rtl::free_counted_string_buffer(AnsiString->Buffer);
  *AnsiString = ANSI_STRING{0, 0, nullptr};
}

BOOLEAN NTAPI RtlCreateUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString) {
  scheduling_point();
  if (DestinationString == nullptr || SourceString == nullptr) return FALSE;
  return rtl::create_unicode_string(DestinationString, SourceString) ? TRUE : FALSE;
}

NTSTATUS NTAPI RtlDuplicateUnicodeString(ULONG Flags, PCUNICODE_STRING StringIn, PUNICODE_STRING StringOut) {
  scheduling_point();
  if (StringIn == nullptr || StringOut == nullptr) return STATUS_INVALID_PARAMETER;
  return rtl::duplicate_unicode_string(Flags, StringIn, StringOut);
}

// --- Numbers --------------------------------------------------------------------------------------

NTSTATUS NTAPI RtlUnicodeStringToInteger(PCUNICODE_STRING String, ULONG Base, PULONG Value) {
  scheduling_point();
  if (String == nullptr || Value == nullptr || String->Length == 0 || String->Buffer == nullptr) {
    return STATUS_INVALID_PARAMETER;
  }
  return rtl::parse_integer(reinterpret_cast<const char16_t*>(String->Buffer), String->Length / sizeof(WCHAR), Base,
                            Value);
}

NTSTATUS NTAPI RtlCharToInteger(PCSZ String, ULONG Base, PULONG Value) {
  scheduling_point();
  if (String == nullptr || Value == nullptr) return STATUS_INVALID_PARAMETER;
  return rtl::parse_integer(String, std::strlen(String), Base, Value);
}

NTSTATUS NTAPI RtlIntegerToUnicodeString(ULONG Value, ULONG Base, PUNICODE_STRING String) {
  scheduling_point();
  if (String == nullptr) return STATUS_INVALID_PARAMETER;
  return rtl::integer_to_unicode_string(Value, Base, String);
}

NTSTATUS NTAPI RtlInt64ToUnicodeString(ULONGLONG Value, ULONG Base, PUNICODE_STRING String) {
  scheduling_point();
  if (String == nullptr) return STATUS_INVALID_PARAMETER;
  return rtl::integer_to_unicode_string(Value, Base, String);
}

NTSTATUS NTAPI RtlIntegerToChar(ULONG Value, ULONG Base, LONG OutputLength, PSZ String) {
  scheduling_point();
  if (String == nullptr) return STATUS_INVALID_PARAMETER;
  return rtl::integer_to_char(Value, Base, OutputLength, String);
}

// --- Hashing and GUIDs ----------------------------------------------------------------------------

NTSTATUS NTAPI RtlHashUnicodeString(PCUNICODE_STRING String, BOOLEAN CaseInSensitive, ULONG HashAlgorithm,
                                    PULONG HashValue) {
  scheduling_point();
  if (String == nullptr || HashValue == nullptr) return STATUS_INVALID_PARAMETER;
  return rtl::hash_unicode_string(String, CaseInSensitive != FALSE, HashAlgorithm, HashValue);
}

NTSTATUS NTAPI RtlStringFromGUID(REFGUID Guid, PUNICODE_STRING GuidString) {
  scheduling_point();
  if (GuidString == nullptr) return STATUS_INVALID_PARAMETER;
  return rtl::guid_to_string(Guid, GuidString);
}

NTSTATUS NTAPI RtlGUIDFromString(PCUNICODE_STRING GuidString, GUID* Guid) {
  scheduling_point();
  if (GuidString == nullptr || Guid == nullptr) return STATUS_INVALID_PARAMETER;
  return rtl::guid_from_string(GuidString, Guid);
}

}  // extern "C"
