/*
 * string_driver - driver-style C code that uses the string routines exactly as a WDK driver does
 * (L"..." literals, RTL_CONSTANT_STRING, ntstrsafe), built with the driver flags. Each function
 * returns what it computed so that the test can check it.
 */
#include <ntddk.h>
#include <ntstrsafe.h>

static const UNICODE_STRING g_device_name = RTL_CONSTANT_STRING(L"\\Device\\StringDriver");

NTSTATUS StringDriverCopyName(PWCHAR Buffer, size_t Characters) {
  return RtlStringCchCopyW(Buffer, Characters, L"driver");
}

NTSTATUS StringDriverDescribe(PCHAR Buffer, size_t Bytes, ULONG Value) {
  return RtlStringCbPrintfA(Buffer, Bytes, "%wZ=%lu %ws %I64x", &g_device_name, Value, L"wide", 0x1122334455667788ULL);
}

NTSTATUS StringDriverFormatUnicode(PUNICODE_STRING Destination, ULONG Value) {
  return RtlUnicodeStringPrintf(Destination, L"%s-%d-%S", L"abc", (int)Value, "narrow");
}

NTSTATUS StringDriverAppend(PWCHAR Buffer, size_t Characters, PWCHAR *End, size_t *Remaining) {
  NTSTATUS status = RtlStringCchCopyExW(Buffer, Characters, L"ab", End, Remaining, 0);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  return RtlStringCchCatExW(Buffer, Characters, L"cdef", End, Remaining, STRSAFE_NO_TRUNCATION);
}

USHORT StringDriverInitLength(void) {
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, L"hello");
  return name.Length;
}

BOOLEAN StringDriverNameMatches(PCWSTR Candidate) {
  UNICODE_STRING candidate;
  RtlInitUnicodeString(&candidate, Candidate);
  return RtlEqualUnicodeString(&g_device_name, &candidate, TRUE);
}

ULONG StringDriverParse(PCWSTR Text) {
  UNICODE_STRING text;
  ULONG value = 0;
  RtlInitUnicodeString(&text, Text);
  if (!NT_SUCCESS(RtlUnicodeStringToInteger(&text, 0, &value))) {
    return 0xFFFFFFFF;
  }
  return value;
}

ULONG StringDriverLog(void) {
  DECLARE_CONST_UNICODE_STRING(where, L"here");
  return DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "driver says %ws %wZ %I64x %c\n", L"hi", &where,
                    0xABCDEF0123456789ULL, L'!');
}
