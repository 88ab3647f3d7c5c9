/*
 * ntstrsafe.h - the safe string functions for drivers.
 *
 * In the WDK these are inline functions in this header; in the lab they are exported routines of
 * the runtime library with the same names, parameters and results, so a driver calls them exactly
 * as it would on Windows. Every function returns:
 *   STATUS_SUCCESS           the whole result fit, and a character-array destination is
 *                            null-terminated;
 *   STATUS_BUFFER_OVERFLOW   the result was truncated to fit (a character array is still
 *                            null-terminated), or it was not written at all if
 *                            STRSAFE_NO_TRUNCATION was given;
 *   STATUS_INVALID_PARAMETER a size of 0 or above NTSTRSAFE_MAX_CCH characters
 *                            (NTSTRSAFE_UNICODE_STRING_MAX_CCH for UNICODE_STRINGs), a
 *                            destination that is not null-terminated within its size (Cat), an
 *                            invalid flag, a NULL pointer without STRSAFE_IGNORE_NULLS, an
 *                            invalid UNICODE_STRING, or a format that uses %n.
 * The Ex functions report the end of the result and the space left (including the terminator) on
 * STATUS_SUCCESS and STATUS_BUFFER_OVERFLOW only.
 *
 * Formats follow the kernel's printf: see the lab's documentation of DbgPrint for the supported
 * conversions; here %e, %f, %g and %a are supported as well, and %n fails the call.
 *
 * Not supported: NTSTRSAFE_LIB and NTSTRSAFE_NO_DEPRECATE are accepted and change nothing (the
 * WDK's ntstrsafe.h bans no C library function, so neither does this header).
 * IRQL: PASSIVE_LEVEL for everything, as documented (the formatting functions convert between
 * character sets).
 */
#ifndef _NTSTRSAFE_H_INCLUDED_
#define _NTSTRSAFE_H_INCLUDED_
#define WDMLAB_NTSTRSAFE_H

#include <ntdef.h>
#include <ntstatus.h>
#include <stdarg.h>
#include <string.h>

#if defined(NTSTRSAFE_NO_CB_FUNCTIONS) && defined(NTSTRSAFE_NO_CCH_FUNCTIONS)
#error cannot specify both NTSTRSAFE_NO_CB_FUNCTIONS and NTSTRSAFE_NO_CCH_FUNCTIONS !!
#endif

/* Sizes. A driver may define its own values before including this header, as the WDK allows,
 * but the exported routines always check against these defaults. */
#ifndef NTSTRSAFE_MAX_CCH
#define NTSTRSAFE_MAX_CCH 2147483647
#endif
#define NTSTRSAFE_MAX_LENGTH (NTSTRSAFE_MAX_CCH - 1)
#ifndef NTSTRSAFE_UNICODE_STRING_MAX_CCH
#define NTSTRSAFE_UNICODE_STRING_MAX_CCH (0xffff / sizeof(WCHAR))
#endif

/* Flags of the Ex functions. The low byte is the fill byte. */
#define STRSAFE_IGNORE_NULLS 0x00000100     /* NULL source is "", NULL destination allowed with size 0 */
#define STRSAFE_FILL_BEHIND_NULL 0x00000200 /* on success, fill the space after the terminator */
#define STRSAFE_FILL_ON_FAILURE 0x00000400  /* on failure, fill the whole destination and terminate it */
#define STRSAFE_NULL_ON_FAILURE 0x00000800  /* on failure, make the destination "" */
#define STRSAFE_NO_TRUNCATION 0x00001000    /* on failure, leave the original destination string */

/* Flags of the UNICODE_STRING Ex functions (STRSAFE_IGNORE_NULLS, STRSAFE_FILL_ON_FAILURE and
 * STRSAFE_NO_TRUNCATION as above, except that nothing is null-terminated). */
#define STRSAFE_FILL_BEHIND 0x00000200            /* on success, fill the unused rest of Buffer */
#define STRSAFE_ZERO_LENGTH_ON_FAILURE 0x00000800 /* on failure, set Length to 0 */

#define STRSAFE_VALID_FLAGS                                                                                           \
  (0x000000FF | STRSAFE_IGNORE_NULLS | STRSAFE_FILL_BEHIND_NULL | STRSAFE_FILL_ON_FAILURE | STRSAFE_NULL_ON_FAILURE | \
   STRSAFE_NO_TRUNCATION)
#define STRSAFE_UNICODE_STRING_VALID_FLAGS                                             \
  (0x000000FF | STRSAFE_IGNORE_NULLS | STRSAFE_FILL_BEHIND | STRSAFE_FILL_ON_FAILURE | \
   STRSAFE_ZERO_LENGTH_ON_FAILURE | STRSAFE_NO_TRUNCATION)

#define STRSAFE_FILL_BYTE(x) ((DWORD)(((x)&0x000000FF) | STRSAFE_FILL_BEHIND_NULL))
#define STRSAFE_FAILURE_BYTE(x) ((DWORD)(((x)&0x000000FF) | STRSAFE_FILL_ON_FAILURE))
#define STRSAFE_GET_FILL_PATTERN(dwFlags) ((int)((dwFlags)&0x000000FF))

#ifndef UNALIGNED
#define UNALIGNED
#endif

/* Strings that are null-terminated. */
typedef _Null_terminated_ CHAR *NTSTRSAFE_PSTR;
typedef _Null_terminated_ const CHAR *NTSTRSAFE_PCSTR;
typedef _Null_terminated_ WCHAR *NTSTRSAFE_PWSTR;
typedef _Null_terminated_ const WCHAR *NTSTRSAFE_PCWSTR;
typedef _Null_terminated_ const WCHAR UNALIGNED *NTSTRSAFE_PCUWSTR;
/* Strings that need not be null-terminated (the N functions read at most the given count). */
typedef const CHAR *STRSAFE_PCNZCH;
typedef const WCHAR *STRSAFE_PCNZWCH;
typedef const WCHAR UNALIGNED *STRSAFE_PCUNZWCH;
/* The user-mode strsafe.h spellings, for code shared with user mode. */
typedef CHAR *STRSAFE_LPSTR;
typedef const CHAR *STRSAFE_LPCSTR;
typedef WCHAR *STRSAFE_LPWSTR;
typedef const WCHAR *STRSAFE_LPCWSTR;
typedef const WCHAR UNALIGNED *STRSAFE_LPCUWSTR;

WDMLAB_EXTERN_C_START

/*
 * Character arrays. Cch functions count characters, Cb functions bytes; for the W functions an
 * odd byte count leaves the last byte unused (the Ex functions count it in *pcbRemaining and
 * fill it with the fill byte). Copy/CopyN start at the beginning of the destination; Cat/CatN
 * append to the null-terminated string already there. The N functions copy at most the given
 * number of characters (bytes) of the source, stopping earlier at its terminator.
 */
#ifndef NTSTRSAFE_NO_CCH_FUNCTIONS
NTSTRSAFEDDI RtlStringCchCopyA(_Out_writes_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                               _In_ NTSTRSAFE_PCSTR pszSrc);
NTSTRSAFEDDI RtlStringCchCopyExA(_Out_writes_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                 _In_opt_ NTSTRSAFE_PCSTR pszSrc,
                                 _Outptr_opt_result_buffer_(*pcchRemaining) NTSTRSAFE_PSTR *ppszDestEnd,
                                 _Out_opt_ size_t *pcchRemaining, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlStringCchCopyNA(_Out_writes_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                _In_reads_or_z_(cchToCopy) STRSAFE_PCNZCH pszSrc, _In_ size_t cchToCopy);
NTSTRSAFEDDI RtlStringCchCopyNExA(_Out_writes_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                  _In_reads_or_z_opt_(cchToCopy) STRSAFE_PCNZCH pszSrc, _In_ size_t cchToCopy,
                                  _Outptr_opt_result_buffer_(*pcchRemaining) NTSTRSAFE_PSTR *ppszDestEnd,
                                  _Out_opt_ size_t *pcchRemaining, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlStringCchCatA(_Inout_updates_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                              _In_ NTSTRSAFE_PCSTR pszSrc);
NTSTRSAFEDDI RtlStringCchCatExA(_Inout_updates_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                _In_opt_ NTSTRSAFE_PCSTR pszSrc,
                                _Outptr_opt_result_buffer_(*pcchRemaining) NTSTRSAFE_PSTR *ppszDestEnd,
                                _Out_opt_ size_t *pcchRemaining, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlStringCchCatNA(_Inout_updates_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                               _In_reads_or_z_(cchToAppend) STRSAFE_PCNZCH pszSrc, _In_ size_t cchToAppend);
NTSTRSAFEDDI RtlStringCchCatNExA(_Inout_updates_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest,
                                 _In_ size_t cchDest, _In_reads_or_z_opt_(cchToAppend) STRSAFE_PCNZCH pszSrc,
                                 _In_ size_t cchToAppend,
                                 _Outptr_opt_result_buffer_(*pcchRemaining) NTSTRSAFE_PSTR *ppszDestEnd,
                                 _Out_opt_ size_t *pcchRemaining, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlStringCchVPrintfA(_Out_writes_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                  _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, _In_ va_list argList);
NTSTRSAFEDDI RtlStringCchPrintfA(_Out_writes_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                 _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, ...);
NTSTRSAFEDDI RtlStringCchVPrintfExA(_Out_writes_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest,
                                    _In_ size_t cchDest,
                                    _Outptr_opt_result_buffer_(*pcchRemaining) NTSTRSAFE_PSTR *ppszDestEnd,
                                    _Out_opt_ size_t *pcchRemaining, _In_ DWORD dwFlags,
                                    _In_opt_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, _In_ va_list argList);
NTSTRSAFEDDI RtlStringCchPrintfExA(_Out_writes_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                   _Outptr_opt_result_buffer_(*pcchRemaining) NTSTRSAFE_PSTR *ppszDestEnd,
                                   _Out_opt_ size_t *pcchRemaining, _In_ DWORD dwFlags,
                                   _In_opt_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, ...);
_Must_inspect_result_ NTSTRSAFEDDI RtlStringCchLengthA(_In_reads_or_z_(cchMax) STRSAFE_PCNZCH psz, _In_ size_t cchMax,
                                                       _Out_opt_ size_t *pcchLength);

NTSTRSAFEDDI RtlStringCchCopyW(_Out_writes_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                               _In_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlStringCchCopyExW(_Out_writes_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                 _In_opt_ NTSTRSAFE_PCWSTR pszSrc,
                                 _Outptr_opt_result_buffer_(*pcchRemaining) NTSTRSAFE_PWSTR *ppszDestEnd,
                                 _Out_opt_ size_t *pcchRemaining, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlStringCchCopyNW(_Out_writes_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                _In_reads_or_z_(cchToCopy) STRSAFE_PCNZWCH pszSrc, _In_ size_t cchToCopy);
NTSTRSAFEDDI RtlStringCchCopyNExW(_Out_writes_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                  _In_reads_or_z_opt_(cchToCopy) STRSAFE_PCNZWCH pszSrc, _In_ size_t cchToCopy,
                                  _Outptr_opt_result_buffer_(*pcchRemaining) NTSTRSAFE_PWSTR *ppszDestEnd,
                                  _Out_opt_ size_t *pcchRemaining, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlStringCchCatW(_Inout_updates_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                              _In_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlStringCchCatExW(_Inout_updates_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest,
                                _In_ size_t cchDest, _In_opt_ NTSTRSAFE_PCWSTR pszSrc,
                                _Outptr_opt_result_buffer_(*pcchRemaining) NTSTRSAFE_PWSTR *ppszDestEnd,
                                _Out_opt_ size_t *pcchRemaining, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlStringCchCatNW(_Inout_updates_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                               _In_reads_or_z_(cchToAppend) STRSAFE_PCNZWCH pszSrc, _In_ size_t cchToAppend);
NTSTRSAFEDDI RtlStringCchCatNExW(_Inout_updates_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest,
                                 _In_ size_t cchDest, _In_reads_or_z_opt_(cchToAppend) STRSAFE_PCNZWCH pszSrc,
                                 _In_ size_t cchToAppend,
                                 _Outptr_opt_result_buffer_(*pcchRemaining) NTSTRSAFE_PWSTR *ppszDestEnd,
                                 _Out_opt_ size_t *pcchRemaining, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlStringCchVPrintfW(_Out_writes_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                  _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, _In_ va_list argList);
NTSTRSAFEDDI RtlStringCchPrintfW(_Out_writes_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                 _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...);
NTSTRSAFEDDI RtlStringCchVPrintfExW(_Out_writes_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest,
                                    _In_ size_t cchDest,
                                    _Outptr_opt_result_buffer_(*pcchRemaining) NTSTRSAFE_PWSTR *ppszDestEnd,
                                    _Out_opt_ size_t *pcchRemaining, _In_ DWORD dwFlags,
                                    _In_opt_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, _In_ va_list argList);
NTSTRSAFEDDI RtlStringCchPrintfExW(_Out_writes_(cchDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest,
                                   _In_ size_t cchDest,
                                   _Outptr_opt_result_buffer_(*pcchRemaining) NTSTRSAFE_PWSTR *ppszDestEnd,
                                   _Out_opt_ size_t *pcchRemaining, _In_ DWORD dwFlags,
                                   _In_opt_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...);
_Must_inspect_result_ NTSTRSAFEDDI RtlStringCchLengthW(_In_reads_or_z_(cchMax) STRSAFE_PCNZWCH psz, _In_ size_t cchMax,
                                                       _Out_opt_ size_t *pcchLength);

_Must_inspect_result_ NTSTRSAFEDDI RtlUnalignedStringCchLengthW(_In_reads_or_z_(cchMax) STRSAFE_PCUNZWCH psz,
                                                                _In_ size_t cchMax, _Out_opt_ size_t *pcchLength);
#endif /* !NTSTRSAFE_NO_CCH_FUNCTIONS */

#ifndef NTSTRSAFE_NO_CB_FUNCTIONS
NTSTRSAFEDDI RtlStringCbCopyA(_Out_writes_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                              _In_ NTSTRSAFE_PCSTR pszSrc);
NTSTRSAFEDDI RtlStringCbCopyExA(_Out_writes_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest,
                                _In_ size_t cbDest, _In_opt_ NTSTRSAFE_PCSTR pszSrc,
                                _Outptr_opt_result_bytebuffer_(*pcbRemaining) NTSTRSAFE_PSTR *ppszDestEnd,
                                _Out_opt_ size_t *pcbRemaining, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlStringCbCopyNA(_Out_writes_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                               _In_reads_or_z_(cbToCopy) STRSAFE_PCNZCH pszSrc, _In_ size_t cbToCopy);
NTSTRSAFEDDI RtlStringCbCopyNExA(_Out_writes_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest,
                                 _In_ size_t cbDest, _In_reads_or_z_opt_(cbToCopy) STRSAFE_PCNZCH pszSrc,
                                 _In_ size_t cbToCopy,
                                 _Outptr_opt_result_bytebuffer_(*pcbRemaining) NTSTRSAFE_PSTR *ppszDestEnd,
                                 _Out_opt_ size_t *pcbRemaining, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlStringCbCatA(_Inout_updates_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest,
                             _In_ size_t cbDest, _In_ NTSTRSAFE_PCSTR pszSrc);
NTSTRSAFEDDI RtlStringCbCatExA(_Inout_updates_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest,
                               _In_ size_t cbDest, _In_opt_ NTSTRSAFE_PCSTR pszSrc,
                               _Outptr_opt_result_bytebuffer_(*pcbRemaining) NTSTRSAFE_PSTR *ppszDestEnd,
                               _Out_opt_ size_t *pcbRemaining, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlStringCbCatNA(_Inout_updates_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest,
                              _In_ size_t cbDest, _In_reads_or_z_(cbToAppend) STRSAFE_PCNZCH pszSrc,
                              _In_ size_t cbToAppend);
NTSTRSAFEDDI RtlStringCbCatNExA(_Inout_updates_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest,
                                _In_ size_t cbDest, _In_reads_or_z_opt_(cbToAppend) STRSAFE_PCNZCH pszSrc,
                                _In_ size_t cbToAppend,
                                _Outptr_opt_result_bytebuffer_(*pcbRemaining) NTSTRSAFE_PSTR *ppszDestEnd,
                                _Out_opt_ size_t *pcbRemaining, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlStringCbVPrintfA(_Out_writes_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest,
                                 _In_ size_t cbDest, _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat,
                                 _In_ va_list argList);
NTSTRSAFEDDI RtlStringCbPrintfA(_Out_writes_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest,
                                _In_ size_t cbDest, _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, ...);
NTSTRSAFEDDI RtlStringCbVPrintfExA(_Out_writes_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest,
                                   _In_ size_t cbDest,
                                   _Outptr_opt_result_bytebuffer_(*pcbRemaining) NTSTRSAFE_PSTR *ppszDestEnd,
                                   _Out_opt_ size_t *pcbRemaining, _In_ DWORD dwFlags,
                                   _In_opt_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, _In_ va_list argList);
NTSTRSAFEDDI RtlStringCbPrintfExA(_Out_writes_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PSTR pszDest,
                                  _In_ size_t cbDest,
                                  _Outptr_opt_result_bytebuffer_(*pcbRemaining) NTSTRSAFE_PSTR *ppszDestEnd,
                                  _Out_opt_ size_t *pcbRemaining, _In_ DWORD dwFlags,
                                  _In_opt_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, ...);
_Must_inspect_result_ NTSTRSAFEDDI RtlStringCbLengthA(_In_reads_or_z_(cbMax) STRSAFE_PCNZCH psz, _In_ size_t cbMax,
                                                      _Out_opt_ size_t *pcbLength);

NTSTRSAFEDDI RtlStringCbCopyW(_Out_writes_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                              _In_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlStringCbCopyExW(_Out_writes_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest,
                                _In_ size_t cbDest, _In_opt_ NTSTRSAFE_PCWSTR pszSrc,
                                _Outptr_opt_result_bytebuffer_(*pcbRemaining) NTSTRSAFE_PWSTR *ppszDestEnd,
                                _Out_opt_ size_t *pcbRemaining, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlStringCbCopyNW(_Out_writes_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest,
                               _In_ size_t cbDest, _In_reads_or_z_(cbToCopy) STRSAFE_PCNZWCH pszSrc,
                               _In_ size_t cbToCopy);
NTSTRSAFEDDI RtlStringCbCopyNExW(_Out_writes_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest,
                                 _In_ size_t cbDest, _In_reads_or_z_opt_(cbToCopy) STRSAFE_PCNZWCH pszSrc,
                                 _In_ size_t cbToCopy,
                                 _Outptr_opt_result_bytebuffer_(*pcbRemaining) NTSTRSAFE_PWSTR *ppszDestEnd,
                                 _Out_opt_ size_t *pcbRemaining, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlStringCbCatW(_Inout_updates_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest,
                             _In_ size_t cbDest, _In_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlStringCbCatExW(_Inout_updates_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest,
                               _In_ size_t cbDest, _In_opt_ NTSTRSAFE_PCWSTR pszSrc,
                               _Outptr_opt_result_bytebuffer_(*pcbRemaining) NTSTRSAFE_PWSTR *ppszDestEnd,
                               _Out_opt_ size_t *pcbRemaining, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlStringCbCatNW(_Inout_updates_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest,
                              _In_ size_t cbDest, _In_reads_or_z_(cbToAppend) STRSAFE_PCNZWCH pszSrc,
                              _In_ size_t cbToAppend);
NTSTRSAFEDDI RtlStringCbCatNExW(_Inout_updates_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest,
                                _In_ size_t cbDest, _In_reads_or_z_opt_(cbToAppend) STRSAFE_PCNZWCH pszSrc,
                                _In_ size_t cbToAppend,
                                _Outptr_opt_result_bytebuffer_(*pcbRemaining) NTSTRSAFE_PWSTR *ppszDestEnd,
                                _Out_opt_ size_t *pcbRemaining, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlStringCbVPrintfW(_Out_writes_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest,
                                 _In_ size_t cbDest, _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat,
                                 _In_ va_list argList);
NTSTRSAFEDDI RtlStringCbPrintfW(_Out_writes_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest,
                                _In_ size_t cbDest, _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...);
NTSTRSAFEDDI RtlStringCbVPrintfExW(_Out_writes_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest,
                                   _In_ size_t cbDest,
                                   _Outptr_opt_result_bytebuffer_(*pcbRemaining) NTSTRSAFE_PWSTR *ppszDestEnd,
                                   _Out_opt_ size_t *pcbRemaining, _In_ DWORD dwFlags,
                                   _In_opt_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, _In_ va_list argList);
NTSTRSAFEDDI RtlStringCbPrintfExW(_Out_writes_bytes_(cbDest) _Always_(_Post_z_) NTSTRSAFE_PWSTR pszDest,
                                  _In_ size_t cbDest,
                                  _Outptr_opt_result_bytebuffer_(*pcbRemaining) NTSTRSAFE_PWSTR *ppszDestEnd,
                                  _Out_opt_ size_t *pcbRemaining, _In_ DWORD dwFlags,
                                  _In_opt_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...);
_Must_inspect_result_ NTSTRSAFEDDI RtlStringCbLengthW(_In_reads_or_z_(cbMax) STRSAFE_PCNZWCH psz, _In_ size_t cbMax,
                                                      _Out_opt_ size_t *pcbLength);

_Must_inspect_result_ NTSTRSAFEDDI RtlUnalignedStringCbLengthW(_In_reads_or_z_(cbMax) STRSAFE_PCUNZWCH psz,
                                                               _In_ size_t cbMax, _Out_opt_ size_t *pcbLength);
#endif /* !NTSTRSAFE_NO_CB_FUNCTIONS */

#ifndef NTSTRSAFE_NO_UNICODE_STRING_FUNCTIONS
/* UNICODE_STRING -> character array. The source's Length characters are copied, embedded null
 * characters included, and the destination is null-terminated. */
#ifndef NTSTRSAFE_NO_CCH_FUNCTIONS
NTSTRSAFEDDI RtlStringCchCopyUnicodeString(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                           _In_ PCUNICODE_STRING SourceString);
NTSTRSAFEDDI RtlStringCchCopyUnicodeStringEx(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                             _In_opt_ PCUNICODE_STRING SourceString,
                                             _Outptr_opt_result_buffer_(*pcchRemaining) NTSTRSAFE_PWSTR *ppszDestEnd,
                                             _Out_opt_ size_t *pcchRemaining, _In_ DWORD dwFlags);
#endif
#ifndef NTSTRSAFE_NO_CB_FUNCTIONS
NTSTRSAFEDDI RtlStringCbCopyUnicodeString(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                                          _In_ PCUNICODE_STRING SourceString);
NTSTRSAFEDDI RtlStringCbCopyUnicodeStringEx(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                                            _In_opt_ PCUNICODE_STRING SourceString,
                                            _Outptr_opt_result_bytebuffer_(*pcbRemaining) NTSTRSAFE_PWSTR *ppszDestEnd,
                                            _Out_opt_ size_t *pcbRemaining, _In_ DWORD dwFlags);
#endif

/*
 * UNICODE_STRING destinations. A valid UNICODE_STRING has even Length and MaximumLength, Length
 * <= MaximumLength <= NTSTRSAFE_UNICODE_STRING_MAX_CCH * sizeof(WCHAR), and a Buffer unless both
 * are 0. The result is never null-terminated: Length says where it ends. On failure a copy
 * leaves Length at the truncated result (0 if nothing was copied) and a concatenation leaves it
 * at the truncated result or the original length. RemainingString, if given, receives Length 0,
 * the unused part of the buffer as MaximumLength, and Buffer pointing at the end of the result.
 */
NTSTRSAFEDDI RtlUnicodeStringInit(_Out_ PUNICODE_STRING DestinationString, _In_opt_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlUnicodeStringInitEx(_Out_ PUNICODE_STRING DestinationString, _In_opt_ NTSTRSAFE_PCWSTR pszSrc,
                                    _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlUnicodeStringValidate(_In_ PCUNICODE_STRING SourceString);
NTSTRSAFEDDI RtlUnicodeStringValidateEx(_In_opt_ PCUNICODE_STRING SourceString, _In_ DWORD dwFlags);

NTSTRSAFEDDI RtlUnicodeStringCopy(_Inout_ PUNICODE_STRING DestinationString, _In_ PCUNICODE_STRING SourceString);
NTSTRSAFEDDI RtlUnicodeStringCopyString(_Inout_ PUNICODE_STRING DestinationString, _In_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlUnicodeStringCopyEx(_Inout_opt_ PUNICODE_STRING DestinationString,
                                    _In_opt_ PCUNICODE_STRING SourceString, _Out_opt_ PUNICODE_STRING RemainingString,
                                    _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlUnicodeStringCopyStringEx(_Inout_opt_ PUNICODE_STRING DestinationString,
                                          _In_opt_ NTSTRSAFE_PCWSTR pszSrc, _Out_opt_ PUNICODE_STRING RemainingString,
                                          _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlUnicodeStringCat(_Inout_ PUNICODE_STRING DestinationString, _In_ PCUNICODE_STRING SourceString);
NTSTRSAFEDDI RtlUnicodeStringCatString(_Inout_ PUNICODE_STRING DestinationString, _In_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlUnicodeStringCatEx(_Inout_opt_ PUNICODE_STRING DestinationString,
                                   _In_opt_ PCUNICODE_STRING SourceString, _Out_opt_ PUNICODE_STRING RemainingString,
                                   _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlUnicodeStringCatStringEx(_Inout_opt_ PUNICODE_STRING DestinationString,
                                         _In_opt_ NTSTRSAFE_PCWSTR pszSrc, _Out_opt_ PUNICODE_STRING RemainingString,
                                         _In_ DWORD dwFlags);

#ifndef NTSTRSAFE_NO_CCH_FUNCTIONS
NTSTRSAFEDDI RtlUnicodeStringCchCopyN(_Inout_ PUNICODE_STRING DestinationString, _In_ PCUNICODE_STRING SourceString,
                                      _In_ size_t cchToCopy);
NTSTRSAFEDDI RtlUnicodeStringCchCopyNEx(_Inout_opt_ PUNICODE_STRING DestinationString,
                                        _In_opt_ PCUNICODE_STRING SourceString, _In_ size_t cchToCopy,
                                        _Out_opt_ PUNICODE_STRING RemainingString, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlUnicodeStringCchCopyStringN(_Inout_ PUNICODE_STRING DestinationString,
                                            _In_reads_or_z_(cchToCopy) NTSTRSAFE_PCWSTR pszSrc, _In_ size_t cchToCopy);
NTSTRSAFEDDI RtlUnicodeStringCchCopyStringNEx(_Inout_opt_ PUNICODE_STRING DestinationString,
                                              _In_reads_or_z_opt_(cchToCopy) NTSTRSAFE_PCWSTR pszSrc,
                                              _In_ size_t cchToCopy, _Out_opt_ PUNICODE_STRING RemainingString,
                                              _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlUnicodeStringCchCatN(_Inout_ PUNICODE_STRING DestinationString, _In_ PCUNICODE_STRING SourceString,
                                     _In_ size_t cchToAppend);
NTSTRSAFEDDI RtlUnicodeStringCchCatNEx(_Inout_opt_ PUNICODE_STRING DestinationString,
                                       _In_opt_ PCUNICODE_STRING SourceString, _In_ size_t cchToAppend,
                                       _Out_opt_ PUNICODE_STRING RemainingString, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlUnicodeStringCchCatStringN(_Inout_ PUNICODE_STRING DestinationString,
                                           _In_reads_or_z_(cchToAppend) NTSTRSAFE_PCWSTR pszSrc,
                                           _In_ size_t cchToAppend);
NTSTRSAFEDDI RtlUnicodeStringCchCatStringNEx(_Inout_opt_ PUNICODE_STRING DestinationString,
                                             _In_reads_or_z_opt_(cchToAppend) NTSTRSAFE_PCWSTR pszSrc,
                                             _In_ size_t cchToAppend, _Out_opt_ PUNICODE_STRING RemainingString,
                                             _In_ DWORD dwFlags);
#endif
#ifndef NTSTRSAFE_NO_CB_FUNCTIONS
NTSTRSAFEDDI RtlUnicodeStringCbCopyN(_Inout_ PUNICODE_STRING DestinationString, _In_ PCUNICODE_STRING SourceString,
                                     _In_ size_t cbToCopy);
NTSTRSAFEDDI RtlUnicodeStringCbCopyNEx(_Inout_opt_ PUNICODE_STRING DestinationString,
                                       _In_opt_ PCUNICODE_STRING SourceString, _In_ size_t cbToCopy,
                                       _Out_opt_ PUNICODE_STRING RemainingString, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlUnicodeStringCbCopyStringN(_Inout_ PUNICODE_STRING DestinationString,
                                           _In_reads_bytes_(cbToCopy) NTSTRSAFE_PCWSTR pszSrc, _In_ size_t cbToCopy);
NTSTRSAFEDDI RtlUnicodeStringCbCopyStringNEx(_Inout_opt_ PUNICODE_STRING DestinationString,
                                             _In_reads_bytes_opt_(cbToCopy) NTSTRSAFE_PCWSTR pszSrc,
                                             _In_ size_t cbToCopy, _Out_opt_ PUNICODE_STRING RemainingString,
                                             _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlUnicodeStringCbCatN(_Inout_ PUNICODE_STRING DestinationString, _In_ PCUNICODE_STRING SourceString,
                                    _In_ size_t cbToAppend);
NTSTRSAFEDDI RtlUnicodeStringCbCatNEx(_Inout_opt_ PUNICODE_STRING DestinationString,
                                      _In_opt_ PCUNICODE_STRING SourceString, _In_ size_t cbToAppend,
                                      _Out_opt_ PUNICODE_STRING RemainingString, _In_ DWORD dwFlags);
NTSTRSAFEDDI RtlUnicodeStringCbCatStringN(_Inout_ PUNICODE_STRING DestinationString,
                                          _In_reads_bytes_(cbToAppend) NTSTRSAFE_PCWSTR pszSrc, _In_ size_t cbToAppend);
NTSTRSAFEDDI RtlUnicodeStringCbCatStringNEx(_Inout_opt_ PUNICODE_STRING DestinationString,
                                            _In_reads_bytes_opt_(cbToAppend) NTSTRSAFE_PCWSTR pszSrc,
                                            _In_ size_t cbToAppend, _Out_opt_ PUNICODE_STRING RemainingString,
                                            _In_ DWORD dwFlags);
#endif

NTSTRSAFEDDI RtlUnicodeStringVPrintf(_Inout_ PUNICODE_STRING DestinationString,
                                     _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, _In_ va_list argList);
NTSTRSAFEDDI RtlUnicodeStringPrintf(_Inout_ PUNICODE_STRING DestinationString,
                                    _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...);
NTSTRSAFEDDI RtlUnicodeStringVPrintfEx(_Inout_opt_ PUNICODE_STRING DestinationString,
                                       _Out_opt_ PUNICODE_STRING RemainingString, _In_ DWORD dwFlags,
                                       _In_opt_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat,
                                       _In_ va_list argList);
NTSTRSAFEDDI RtlUnicodeStringPrintfEx(_Inout_opt_ PUNICODE_STRING DestinationString,
                                      _Out_opt_ PUNICODE_STRING RemainingString, _In_ DWORD dwFlags,
                                      _In_opt_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...);
#endif /* !NTSTRSAFE_NO_UNICODE_STRING_FUNCTIONS */

WDMLAB_EXTERN_C_END

#endif /* _NTSTRSAFE_H_INCLUDED_ */
