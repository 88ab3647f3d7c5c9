// rtl/counted_string.hpp - the semantics of the counted-string routines of wdk/rtl_string.h:
// UNICODE_STRING and ANSI_STRING initialization, copying, comparison, case, conversion between
// character sets, allocation and hashing. The exported routines (rtl_string.cpp) check their
// arguments and call these.
//
// Lengths are in bytes, as in the structures. Allocation goes through string_allocator().
#pragma once

#include <cstddef>

#include <ntdef.h>
#include <ntstatus.h>

namespace wdmlab::rtl {

// UNICODE_STRING_MAX_BYTES rounded down to whole characters, the longest Length a UNICODE_STRING
// that also holds a terminator can describe (Windows' MAX_USTRING - sizeof(WCHAR)).
inline constexpr std::size_t kMaxUnicodeStringLength = 0xFFFC;
inline constexpr std::size_t kMaxAnsiStringLength = 0xFFFE;

std::size_t wide_length(const WCHAR* string);

void init_unicode_string(PUNICODE_STRING destination, PCWSTR source);
NTSTATUS init_unicode_string_ex(PUNICODE_STRING destination, PCWSTR source);
void init_ansi_string(PSTRING destination, PCSZ source);
NTSTATUS init_ansi_string_ex(PSTRING destination, PCSZ source);

void copy_unicode_string(PUNICODE_STRING destination, PCUNICODE_STRING source);
void copy_ansi_string(PSTRING destination, const STRING* source);
NTSTATUS append_to_unicode_string(PUNICODE_STRING destination, const WCHAR* source, std::size_t source_bytes);

LONG compare_unicode_strings(PCUNICODE_STRING string1, PCUNICODE_STRING string2, bool case_insensitive);
LONG compare_ansi_strings(const STRING* string1, const STRING* string2, bool case_insensitive);
bool equal_unicode_strings(PCUNICODE_STRING string1, PCUNICODE_STRING string2, bool case_insensitive);
bool equal_ansi_strings(const STRING* string1, const STRING* string2, bool case_insensitive);
// True if `prefix` is a prefix of `string`.
bool unicode_string_has_prefix(PCUNICODE_STRING prefix, PCUNICODE_STRING string, bool case_insensitive);

NTSTATUS change_unicode_string_case(PUNICODE_STRING destination, PCUNICODE_STRING source, bool allocate, bool to_upper);
void upcase_ansi_string(PSTRING destination, const STRING* source);

NTSTATUS ansi_to_unicode_string(PUNICODE_STRING destination, PCANSI_STRING source, bool allocate);
NTSTATUS unicode_to_ansi_string(PANSI_STRING destination, PCUNICODE_STRING source, bool allocate);
ULONG unicode_string_ansi_size(PCUNICODE_STRING string);
ULONG ansi_string_unicode_size(PCANSI_STRING string);
NTSTATUS multibyte_to_unicode(PWCH destination, ULONG destination_bytes, PULONG written_bytes, const CHAR* source,
                              ULONG source_bytes);
NTSTATUS unicode_to_multibyte(PCHAR destination, ULONG destination_bytes, PULONG written_bytes, PCWCH source,
                              ULONG source_bytes);
NTSTATUS unicode_to_utf8(PCHAR destination, ULONG destination_bytes, PULONG written_bytes, PCWCH source,
                         ULONG source_bytes);
NTSTATUS utf8_to_unicode(PWSTR destination, ULONG destination_bytes, PULONG written_bytes, PCCH source,
                         ULONG source_bytes);

void free_counted_string_buffer(void* buffer);
bool create_unicode_string(PUNICODE_STRING destination, PCWSTR source);
NTSTATUS duplicate_unicode_string(ULONG flags, PCUNICODE_STRING source, PUNICODE_STRING destination);

NTSTATUS hash_unicode_string(PCUNICODE_STRING string, bool case_insensitive, ULONG algorithm, ULONG* hash);

}  // namespace wdmlab::rtl
