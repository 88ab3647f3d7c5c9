// The exported ntstrsafe routines (include/ntstrsafe.h). Each chooses the destination, placement
// and source of one operation of rtl/safe_string.hpp, which holds the semantics.
#include <cstdarg>

#include "rtl/safe_string.hpp"
#include "sched/scheduler.hpp"

namespace {

namespace strsafe = wdmlab::rtl::strsafe;
using strsafe::kMaxCch;
using strsafe::kMaxLength;
using strsafe::kUnicodeStringMaxCch;
using strsafe::Placement;

// A copy of a caller's va_list for the V functions, released on every return path.
struct ArgumentCopy {
  explicit ArgumentCopy(va_list arguments) { va_copy(list, arguments); }
  ~ArgumentCopy() { va_end(list); }
  ArgumentCopy(const ArgumentCopy&) = delete;
  ArgumentCopy& operator=(const ArgumentCopy&) = delete;
  va_list list;
};

// The checks some WDK forms make before touching the destination at all (they then return
// STATUS_INVALID_PARAMETER without writing the usual empty string).
template <class Char>
bool destination_valid(const Char* buffer, size_t cch, size_t max_cch) {
  return buffer != nullptr && cch != 0 && cch <= max_cch;
}
template <class Char>
bool ex_destination_valid(const Char* buffer, size_t cch, size_t max_cch, DWORD flags) {
  if ((flags & STRSAFE_IGNORE_NULLS) != 0) return !((buffer == nullptr && cch != 0) || cch > max_cch);
  return destination_valid(buffer, cch, max_cch);
}

template <class Char>
NTSTATUS length_in_bytes(const Char* string, size_t cb_max, size_t* cb_length) {
  size_t cch = 0;
  const NTSTATUS status = strsafe::string_length(string, cb_max / sizeof(Char), &cch);
  if (cb_length != nullptr) *cb_length = cch * sizeof(Char);
  return status;
}

}  // namespace

extern "C" {

NTSTATUS NTAPI RtlStringCchCopyA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Start,
                                  strsafe::string_source(pszSrc, kMaxLength, kMaxLength));
}

NTSTATUS NTAPI RtlStringCchCopyExA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc,
                                   NTSTRSAFE_PSTR* ppszDestEnd, size_t* pcchRemaining, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation_ex(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Start,
                                     strsafe::string_source(pszSrc, kMaxLength, kMaxLength), ppszDestEnd, pcchRemaining,
                                     dwFlags);
}

NTSTATUS NTAPI RtlStringCchCopyNA(NTSTRSAFE_PSTR pszDest, size_t cchDest, STRSAFE_PCNZCH pszSrc, size_t cchToCopy) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Start,
                                  strsafe::string_source(pszSrc, cchToCopy, kMaxLength));
}

NTSTATUS NTAPI RtlStringCchCopyNExA(NTSTRSAFE_PSTR pszDest, size_t cchDest, STRSAFE_PCNZCH pszSrc, size_t cchToCopy,
                                    NTSTRSAFE_PSTR* ppszDestEnd, size_t* pcchRemaining, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation_ex(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Start,
                                     strsafe::string_source(pszSrc, cchToCopy, kMaxLength), ppszDestEnd, pcchRemaining,
                                     dwFlags);
}

NTSTATUS NTAPI RtlStringCchCatA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Append,
                                  strsafe::string_source(pszSrc, kMaxLength, kMaxLength));
}

NTSTATUS NTAPI RtlStringCchCatExA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc,
                                  NTSTRSAFE_PSTR* ppszDestEnd, size_t* pcchRemaining, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation_ex(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Append,
                                     strsafe::string_source(pszSrc, kMaxLength, kMaxLength), ppszDestEnd, pcchRemaining,
                                     dwFlags);
}

NTSTATUS NTAPI RtlStringCchCatNA(NTSTRSAFE_PSTR pszDest, size_t cchDest, STRSAFE_PCNZCH pszSrc, size_t cchToAppend) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Append,
                                  strsafe::string_source(pszSrc, cchToAppend, kMaxLength));
}

NTSTATUS NTAPI RtlStringCchCatNExA(NTSTRSAFE_PSTR pszDest, size_t cchDest, STRSAFE_PCNZCH pszSrc, size_t cchToAppend,
                                   NTSTRSAFE_PSTR* ppszDestEnd, size_t* pcchRemaining, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation_ex(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Append,
                                     strsafe::string_source(pszSrc, cchToAppend, kMaxLength), ppszDestEnd,
                                     pcchRemaining, dwFlags);
}

NTSTATUS NTAPI RtlStringCchVPrintfA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszFormat,
                                    va_list argList) {
  wdmlab::sched::scheduling_point();
  ArgumentCopy arguments(argList);
  return strsafe::array_operation(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Start,
                                  strsafe::format_source(pszFormat, &arguments.list));
}

NTSTATUS NTAPI RtlStringCchPrintfA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszFormat, ...) {
  wdmlab::sched::scheduling_point();
  va_list arguments;
  va_start(arguments, pszFormat);
  const NTSTATUS status = strsafe::array_operation(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Start,
                                                   strsafe::format_source(pszFormat, &arguments));
  va_end(arguments);
  return status;
}

NTSTATUS NTAPI RtlStringCchVPrintfExA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PSTR* ppszDestEnd,
                                      size_t* pcchRemaining, DWORD dwFlags, NTSTRSAFE_PCSTR pszFormat,
                                      va_list argList) {
  wdmlab::sched::scheduling_point();
  ArgumentCopy arguments(argList);
  return strsafe::array_operation_ex(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Start,
                                     strsafe::format_source(pszFormat, &arguments.list), ppszDestEnd, pcchRemaining,
                                     dwFlags);
}

NTSTATUS NTAPI RtlStringCchPrintfExA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PSTR* ppszDestEnd,
                                     size_t* pcchRemaining, DWORD dwFlags, NTSTRSAFE_PCSTR pszFormat, ...) {
  wdmlab::sched::scheduling_point();
  va_list arguments;
  va_start(arguments, pszFormat);
  const NTSTATUS status =
      strsafe::array_operation_ex(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Start,
                                  strsafe::format_source(pszFormat, &arguments), ppszDestEnd, pcchRemaining, dwFlags);
  va_end(arguments);
  return status;
}

NTSTATUS NTAPI RtlStringCchLengthA(STRSAFE_PCNZCH psz, size_t cchMax, size_t* pcchLength) {
  wdmlab::sched::scheduling_point();
  return strsafe::string_length(psz, cchMax, pcchLength);
}

NTSTATUS NTAPI RtlStringCchCopyW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Start,
                                  strsafe::string_source(pszSrc, kMaxLength, kMaxLength));
}

NTSTATUS NTAPI RtlStringCchCopyExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc,
                                   NTSTRSAFE_PWSTR* ppszDestEnd, size_t* pcchRemaining, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation_ex(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Start,
                                     strsafe::string_source(pszSrc, kMaxLength, kMaxLength), ppszDestEnd, pcchRemaining,
                                     dwFlags);
}

NTSTATUS NTAPI RtlStringCchCopyNW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, STRSAFE_PCNZWCH pszSrc, size_t cchToCopy) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Start,
                                  strsafe::string_source(pszSrc, cchToCopy, kMaxLength));
}

NTSTATUS NTAPI RtlStringCchCopyNExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, STRSAFE_PCNZWCH pszSrc, size_t cchToCopy,
                                    NTSTRSAFE_PWSTR* ppszDestEnd, size_t* pcchRemaining, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation_ex(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Start,
                                     strsafe::string_source(pszSrc, cchToCopy, kMaxLength), ppszDestEnd, pcchRemaining,
                                     dwFlags);
}

NTSTATUS NTAPI RtlStringCchCatW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Append,
                                  strsafe::string_source(pszSrc, kMaxLength, kMaxLength));
}

NTSTATUS NTAPI RtlStringCchCatExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc,
                                  NTSTRSAFE_PWSTR* ppszDestEnd, size_t* pcchRemaining, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation_ex(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Append,
                                     strsafe::string_source(pszSrc, kMaxLength, kMaxLength), ppszDestEnd, pcchRemaining,
                                     dwFlags);
}

NTSTATUS NTAPI RtlStringCchCatNW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, STRSAFE_PCNZWCH pszSrc, size_t cchToAppend) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Append,
                                  strsafe::string_source(pszSrc, cchToAppend, kMaxLength));
}

NTSTATUS NTAPI RtlStringCchCatNExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, STRSAFE_PCNZWCH pszSrc, size_t cchToAppend,
                                   NTSTRSAFE_PWSTR* ppszDestEnd, size_t* pcchRemaining, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation_ex(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Append,
                                     strsafe::string_source(pszSrc, cchToAppend, kMaxLength), ppszDestEnd,
                                     pcchRemaining, dwFlags);
}

NTSTATUS NTAPI RtlStringCchVPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszFormat,
                                    va_list argList) {
  wdmlab::sched::scheduling_point();
  ArgumentCopy arguments(argList);
  return strsafe::array_operation(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Start,
                                  strsafe::format_source(pszFormat, &arguments.list));
}

NTSTATUS NTAPI RtlStringCchPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszFormat, ...) {
  wdmlab::sched::scheduling_point();
  va_list arguments;
  va_start(arguments, pszFormat);
  const NTSTATUS status = strsafe::array_operation(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Start,
                                                   strsafe::format_source(pszFormat, &arguments));
  va_end(arguments);
  return status;
}

NTSTATUS NTAPI RtlStringCchVPrintfExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PWSTR* ppszDestEnd,
                                      size_t* pcchRemaining, DWORD dwFlags, NTSTRSAFE_PCWSTR pszFormat,
                                      va_list argList) {
  wdmlab::sched::scheduling_point();
  ArgumentCopy arguments(argList);
  return strsafe::array_operation_ex(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Start,
                                     strsafe::format_source(pszFormat, &arguments.list), ppszDestEnd, pcchRemaining,
                                     dwFlags);
}

NTSTATUS NTAPI RtlStringCchPrintfExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PWSTR* ppszDestEnd,
                                     size_t* pcchRemaining, DWORD dwFlags, NTSTRSAFE_PCWSTR pszFormat, ...) {
  wdmlab::sched::scheduling_point();
  va_list arguments;
  va_start(arguments, pszFormat);
  const NTSTATUS status =
      strsafe::array_operation_ex(strsafe::cch_array(pszDest, cchDest), kMaxCch, Placement::Start,
                                  strsafe::format_source(pszFormat, &arguments), ppszDestEnd, pcchRemaining, dwFlags);
  va_end(arguments);
  return status;
}

NTSTATUS NTAPI RtlStringCchLengthW(STRSAFE_PCNZWCH psz, size_t cchMax, size_t* pcchLength) {
  wdmlab::sched::scheduling_point();
  return strsafe::string_length(psz, cchMax, pcchLength);
}

NTSTATUS NTAPI RtlStringCbCopyA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Start,
                                  strsafe::string_source(pszSrc, kMaxLength, kMaxLength));
}

NTSTATUS NTAPI RtlStringCbCopyExA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc,
                                  NTSTRSAFE_PSTR* ppszDestEnd, size_t* pcbRemaining, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation_ex(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Start,
                                     strsafe::string_source(pszSrc, kMaxLength, kMaxLength), ppszDestEnd, pcbRemaining,
                                     dwFlags);
}

NTSTATUS NTAPI RtlStringCbCopyNA(NTSTRSAFE_PSTR pszDest, size_t cbDest, STRSAFE_PCNZCH pszSrc, size_t cbToCopy) {
  wdmlab::sched::scheduling_point();
  if (!destination_valid(pszDest, cbDest / sizeof(char), kMaxCch)) return STATUS_INVALID_PARAMETER;
  return strsafe::array_operation(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Start,
                                  strsafe::string_source(pszSrc, cbToCopy / sizeof(char), kMaxLength));
}

NTSTATUS NTAPI RtlStringCbCopyNExA(NTSTRSAFE_PSTR pszDest, size_t cbDest, STRSAFE_PCNZCH pszSrc, size_t cbToCopy,
                                   NTSTRSAFE_PSTR* ppszDestEnd, size_t* pcbRemaining, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  if (!ex_destination_valid(pszDest, cbDest / sizeof(char), kMaxCch, dwFlags)) return STATUS_INVALID_PARAMETER;
  return strsafe::array_operation_ex(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Start,
                                     strsafe::string_source(pszSrc, cbToCopy / sizeof(char), kMaxLength), ppszDestEnd,
                                     pcbRemaining, dwFlags);
}

NTSTATUS NTAPI RtlStringCbCatA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Append,
                                  strsafe::string_source(pszSrc, kMaxLength, kMaxLength));
}

NTSTATUS NTAPI RtlStringCbCatExA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc,
                                 NTSTRSAFE_PSTR* ppszDestEnd, size_t* pcbRemaining, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation_ex(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Append,
                                     strsafe::string_source(pszSrc, kMaxLength, kMaxLength), ppszDestEnd, pcbRemaining,
                                     dwFlags);
}

NTSTATUS NTAPI RtlStringCbCatNA(NTSTRSAFE_PSTR pszDest, size_t cbDest, STRSAFE_PCNZCH pszSrc, size_t cbToAppend) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Append,
                                  strsafe::string_source(pszSrc, cbToAppend / sizeof(char), kMaxLength));
}

NTSTATUS NTAPI RtlStringCbCatNExA(NTSTRSAFE_PSTR pszDest, size_t cbDest, STRSAFE_PCNZCH pszSrc, size_t cbToAppend,
                                  NTSTRSAFE_PSTR* ppszDestEnd, size_t* pcbRemaining, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation_ex(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Append,
                                     strsafe::string_source(pszSrc, cbToAppend / sizeof(char), kMaxLength), ppszDestEnd,
                                     pcbRemaining, dwFlags);
}

NTSTATUS NTAPI RtlStringCbVPrintfA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszFormat, va_list argList) {
  wdmlab::sched::scheduling_point();
  ArgumentCopy arguments(argList);
  return strsafe::array_operation(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Start,
                                  strsafe::format_source(pszFormat, &arguments.list));
}

NTSTATUS NTAPI RtlStringCbPrintfA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszFormat, ...) {
  wdmlab::sched::scheduling_point();
  va_list arguments;
  va_start(arguments, pszFormat);
  const NTSTATUS status = strsafe::array_operation(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Start,
                                                   strsafe::format_source(pszFormat, &arguments));
  va_end(arguments);
  return status;
}

NTSTATUS NTAPI RtlStringCbVPrintfExA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PSTR* ppszDestEnd,
                                     size_t* pcbRemaining, DWORD dwFlags, NTSTRSAFE_PCSTR pszFormat, va_list argList) {
  wdmlab::sched::scheduling_point();
  ArgumentCopy arguments(argList);
  return strsafe::array_operation_ex(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Start,
                                     strsafe::format_source(pszFormat, &arguments.list), ppszDestEnd, pcbRemaining,
                                     dwFlags);
}

NTSTATUS NTAPI RtlStringCbPrintfExA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PSTR* ppszDestEnd,
                                    size_t* pcbRemaining, DWORD dwFlags, NTSTRSAFE_PCSTR pszFormat, ...) {
  wdmlab::sched::scheduling_point();
  va_list arguments;
  va_start(arguments, pszFormat);
  const NTSTATUS status =
      strsafe::array_operation_ex(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Start,
                                  strsafe::format_source(pszFormat, &arguments), ppszDestEnd, pcbRemaining, dwFlags);
  va_end(arguments);
  return status;
}

NTSTATUS NTAPI RtlStringCbLengthA(STRSAFE_PCNZCH psz, size_t cbMax, size_t* pcbLength) {
  wdmlab::sched::scheduling_point();
  return length_in_bytes(psz, cbMax, pcbLength);
}

NTSTATUS NTAPI RtlStringCbCopyW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Start,
                                  strsafe::string_source(pszSrc, kMaxLength, kMaxLength));
}

NTSTATUS NTAPI RtlStringCbCopyExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc,
                                  NTSTRSAFE_PWSTR* ppszDestEnd, size_t* pcbRemaining, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation_ex(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Start,
                                     strsafe::string_source(pszSrc, kMaxLength, kMaxLength), ppszDestEnd, pcbRemaining,
                                     dwFlags);
}

NTSTATUS NTAPI RtlStringCbCopyNW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, STRSAFE_PCNZWCH pszSrc, size_t cbToCopy) {
  wdmlab::sched::scheduling_point();
  if (!destination_valid(pszDest, cbDest / sizeof(WCHAR), kMaxCch)) return STATUS_INVALID_PARAMETER;
  return strsafe::array_operation(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Start,
                                  strsafe::string_source(pszSrc, cbToCopy / sizeof(WCHAR), kMaxLength));
}

NTSTATUS NTAPI RtlStringCbCopyNExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, STRSAFE_PCNZWCH pszSrc, size_t cbToCopy,
                                   NTSTRSAFE_PWSTR* ppszDestEnd, size_t* pcbRemaining, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  if (!ex_destination_valid(pszDest, cbDest / sizeof(WCHAR), kMaxCch, dwFlags)) return STATUS_INVALID_PARAMETER;
  return strsafe::array_operation_ex(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Start,
                                     strsafe::string_source(pszSrc, cbToCopy / sizeof(WCHAR), kMaxLength), ppszDestEnd,
                                     pcbRemaining, dwFlags);
}

NTSTATUS NTAPI RtlStringCbCatW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Append,
                                  strsafe::string_source(pszSrc, kMaxLength, kMaxLength));
}

NTSTATUS NTAPI RtlStringCbCatExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc,
                                 NTSTRSAFE_PWSTR* ppszDestEnd, size_t* pcbRemaining, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation_ex(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Append,
                                     strsafe::string_source(pszSrc, kMaxLength, kMaxLength), ppszDestEnd, pcbRemaining,
                                     dwFlags);
}

NTSTATUS NTAPI RtlStringCbCatNW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, STRSAFE_PCNZWCH pszSrc, size_t cbToAppend) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Append,
                                  strsafe::string_source(pszSrc, cbToAppend / sizeof(WCHAR), kMaxLength));
}

NTSTATUS NTAPI RtlStringCbCatNExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, STRSAFE_PCNZWCH pszSrc, size_t cbToAppend,
                                  NTSTRSAFE_PWSTR* ppszDestEnd, size_t* pcbRemaining, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation_ex(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Append,
                                     strsafe::string_source(pszSrc, cbToAppend / sizeof(WCHAR), kMaxLength),
                                     ppszDestEnd, pcbRemaining, dwFlags);
}

NTSTATUS NTAPI RtlStringCbVPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszFormat,
                                   va_list argList) {
  wdmlab::sched::scheduling_point();
  ArgumentCopy arguments(argList);
  return strsafe::array_operation(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Start,
                                  strsafe::format_source(pszFormat, &arguments.list));
}

NTSTATUS NTAPI RtlStringCbPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszFormat, ...) {
  wdmlab::sched::scheduling_point();
  va_list arguments;
  va_start(arguments, pszFormat);
  const NTSTATUS status = strsafe::array_operation(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Start,
                                                   strsafe::format_source(pszFormat, &arguments));
  va_end(arguments);
  return status;
}

NTSTATUS NTAPI RtlStringCbVPrintfExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PWSTR* ppszDestEnd,
                                     size_t* pcbRemaining, DWORD dwFlags, NTSTRSAFE_PCWSTR pszFormat, va_list argList) {
  wdmlab::sched::scheduling_point();
  ArgumentCopy arguments(argList);
  return strsafe::array_operation_ex(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Start,
                                     strsafe::format_source(pszFormat, &arguments.list), ppszDestEnd, pcbRemaining,
                                     dwFlags);
}

NTSTATUS NTAPI RtlStringCbPrintfExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PWSTR* ppszDestEnd,
                                    size_t* pcbRemaining, DWORD dwFlags, NTSTRSAFE_PCWSTR pszFormat, ...) {
  wdmlab::sched::scheduling_point();
  va_list arguments;
  va_start(arguments, pszFormat);
  const NTSTATUS status =
      strsafe::array_operation_ex(strsafe::cb_array(pszDest, cbDest), kMaxCch, Placement::Start,
                                  strsafe::format_source(pszFormat, &arguments), ppszDestEnd, pcbRemaining, dwFlags);
  va_end(arguments);
  return status;
}

NTSTATUS NTAPI RtlStringCbLengthW(STRSAFE_PCNZWCH psz, size_t cbMax, size_t* pcbLength) {
  wdmlab::sched::scheduling_point();
  return length_in_bytes(psz, cbMax, pcbLength);
}

NTSTATUS NTAPI RtlUnalignedStringCchLengthW(STRSAFE_PCUNZWCH psz, size_t cchMax, size_t* pcchLength) {
  wdmlab::sched::scheduling_point();
  return strsafe::string_length(psz, cchMax, pcchLength);
}

NTSTATUS NTAPI RtlUnalignedStringCbLengthW(STRSAFE_PCUNZWCH psz, size_t cbMax, size_t* pcbLength) {
  wdmlab::sched::scheduling_point();
  return length_in_bytes(psz, cbMax, pcbLength);
}

// UNICODE_STRING -> character array.

NTSTATUS NTAPI RtlStringCchCopyUnicodeString(NTSTRSAFE_PWSTR pszDest, size_t cchDest, PCUNICODE_STRING SourceString) {
  wdmlab::sched::scheduling_point();
  if (!destination_valid(pszDest, cchDest, kUnicodeStringMaxCch)) return STATUS_INVALID_PARAMETER;
  return strsafe::array_operation(strsafe::cch_array(pszDest, cchDest), kUnicodeStringMaxCch, Placement::Start,
                                  strsafe::counted_source(SourceString, kUnicodeStringMaxCch, kUnicodeStringMaxCch, 0));
}

NTSTATUS NTAPI RtlStringCbCopyUnicodeString(NTSTRSAFE_PWSTR pszDest, size_t cbDest, PCUNICODE_STRING SourceString) {
  wdmlab::sched::scheduling_point();
  if (!destination_valid(pszDest, cbDest / sizeof(WCHAR), kUnicodeStringMaxCch)) return STATUS_INVALID_PARAMETER;
  return strsafe::array_operation(strsafe::cb_array(pszDest, cbDest), kUnicodeStringMaxCch, Placement::Start,
                                  strsafe::counted_source(SourceString, kUnicodeStringMaxCch, kUnicodeStringMaxCch, 0));
}

NTSTATUS NTAPI RtlStringCchCopyUnicodeStringEx(NTSTRSAFE_PWSTR pszDest, size_t cchDest, PCUNICODE_STRING SourceString,
                                               NTSTRSAFE_PWSTR* ppszDestEnd, size_t* pcchRemaining, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation_ex(
      strsafe::cch_array(pszDest, cchDest), kUnicodeStringMaxCch, Placement::Start,
      strsafe::counted_source(SourceString, kUnicodeStringMaxCch, kUnicodeStringMaxCch, dwFlags), ppszDestEnd,
      pcchRemaining, dwFlags);
}

NTSTATUS NTAPI RtlStringCbCopyUnicodeStringEx(NTSTRSAFE_PWSTR pszDest, size_t cbDest, PCUNICODE_STRING SourceString,
                                              NTSTRSAFE_PWSTR* ppszDestEnd, size_t* pcbRemaining, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::array_operation_ex(
      strsafe::cb_array(pszDest, cbDest), kUnicodeStringMaxCch, Placement::Start,
      strsafe::counted_source(SourceString, kUnicodeStringMaxCch, kUnicodeStringMaxCch, dwFlags), ppszDestEnd,
      pcbRemaining, dwFlags);
}

// UNICODE_STRING destinations. The plain N forms reject counts above
// NTSTRSAFE_UNICODE_STRING_MAX_CCH; the Ex forms that read a null-terminated source reject
// counts from NTSTRSAFE_UNICODE_STRING_MAX_CCH up, as the WDK does.

NTSTATUS NTAPI RtlUnicodeStringInit(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_init(DestinationString, pszSrc, 0, false);
}

NTSTATUS NTAPI RtlUnicodeStringInitEx(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_init(DestinationString, pszSrc, dwFlags, true);
}

NTSTATUS NTAPI RtlUnicodeStringValidate(PCUNICODE_STRING SourceString) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_validate(SourceString, 0, false);
}

NTSTATUS NTAPI RtlUnicodeStringValidateEx(PCUNICODE_STRING SourceString, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_validate(SourceString, dwFlags, true);
}

NTSTATUS NTAPI RtlUnicodeStringCopy(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation(
      DestinationString, Placement::Start,
      strsafe::counted_source(SourceString, kUnicodeStringMaxCch, kUnicodeStringMaxCch, 0));
}

NTSTATUS NTAPI RtlUnicodeStringCopyString(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation(DestinationString, Placement::Start,
                                           strsafe::string_source(pszSrc, kUnicodeStringMaxCch, kUnicodeStringMaxCch));
}

NTSTATUS NTAPI RtlUnicodeStringCopyEx(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                      PUNICODE_STRING RemainingString, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation_ex(
      DestinationString, Placement::Start,
      strsafe::counted_source(SourceString, kUnicodeStringMaxCch, kUnicodeStringMaxCch, dwFlags), RemainingString,
      dwFlags);
}

NTSTATUS NTAPI RtlUnicodeStringCopyStringEx(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
                                            PUNICODE_STRING RemainingString, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation_ex(
      DestinationString, Placement::Start, strsafe::string_source(pszSrc, kUnicodeStringMaxCch, kUnicodeStringMaxCch),
      RemainingString, dwFlags);
}

NTSTATUS NTAPI RtlUnicodeStringCat(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation(
      DestinationString, Placement::Append,
      strsafe::counted_source(SourceString, kUnicodeStringMaxCch, kUnicodeStringMaxCch, 0));
}

NTSTATUS NTAPI RtlUnicodeStringCatString(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation(DestinationString, Placement::Append,
                                           strsafe::string_source(pszSrc, kUnicodeStringMaxCch, kUnicodeStringMaxCch));
}

NTSTATUS NTAPI RtlUnicodeStringCatEx(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                     PUNICODE_STRING RemainingString, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation_ex(
      DestinationString, Placement::Append,
      strsafe::counted_source(SourceString, kUnicodeStringMaxCch, kUnicodeStringMaxCch, dwFlags), RemainingString,
      dwFlags);
}

NTSTATUS NTAPI RtlUnicodeStringCatStringEx(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
                                           PUNICODE_STRING RemainingString, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation_ex(
      DestinationString, Placement::Append, strsafe::string_source(pszSrc, kUnicodeStringMaxCch, kUnicodeStringMaxCch),
      RemainingString, dwFlags);
}

NTSTATUS NTAPI RtlUnicodeStringCchCopyN(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                        size_t cchToCopy) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation(DestinationString, Placement::Start,
                                           strsafe::counted_source(SourceString, cchToCopy, kUnicodeStringMaxCch, 0));
}

NTSTATUS NTAPI RtlUnicodeStringCchCopyNEx(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                          size_t cchToCopy, PUNICODE_STRING RemainingString, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation_ex(
      DestinationString, Placement::Start,
      strsafe::counted_source(SourceString, cchToCopy, kUnicodeStringMaxCch, dwFlags), RemainingString, dwFlags);
}

NTSTATUS NTAPI RtlUnicodeStringCchCopyStringN(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
                                              size_t cchToCopy) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation(DestinationString, Placement::Start,
                                           strsafe::string_source(pszSrc, cchToCopy, kUnicodeStringMaxCch));
}

NTSTATUS NTAPI RtlUnicodeStringCchCopyStringNEx(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
                                                size_t cchToCopy, PUNICODE_STRING RemainingString, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation_ex(DestinationString, Placement::Start,
                                              strsafe::string_source(pszSrc, cchToCopy, kUnicodeStringMaxCch - 1),
                                              RemainingString, dwFlags);
}

NTSTATUS NTAPI RtlUnicodeStringCchCatN(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                       size_t cchToAppend) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation(DestinationString, Placement::Append,
                                           strsafe::counted_source(SourceString, cchToAppend, kUnicodeStringMaxCch, 0));
}

NTSTATUS NTAPI RtlUnicodeStringCchCatNEx(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                         size_t cchToAppend, PUNICODE_STRING RemainingString, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation_ex(
      DestinationString, Placement::Append,
      strsafe::counted_source(SourceString, cchToAppend, kUnicodeStringMaxCch, dwFlags), RemainingString, dwFlags);
}

NTSTATUS NTAPI RtlUnicodeStringCchCatStringN(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
                                             size_t cchToAppend) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation(DestinationString, Placement::Append,
                                           strsafe::string_source(pszSrc, cchToAppend, kUnicodeStringMaxCch));
}

NTSTATUS NTAPI RtlUnicodeStringCchCatStringNEx(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
                                               size_t cchToAppend, PUNICODE_STRING RemainingString, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation_ex(DestinationString, Placement::Append,
                                              strsafe::string_source(pszSrc, cchToAppend, kUnicodeStringMaxCch - 1),
                                              RemainingString, dwFlags);
}

NTSTATUS NTAPI RtlUnicodeStringCbCopyN(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                       size_t cbToCopy) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation(
      DestinationString, Placement::Start,
      strsafe::counted_source(SourceString, cbToCopy / sizeof(WCHAR), kUnicodeStringMaxCch, 0));
}

NTSTATUS NTAPI RtlUnicodeStringCbCopyNEx(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                         size_t cbToCopy, PUNICODE_STRING RemainingString, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation_ex(
      DestinationString, Placement::Start,
      strsafe::counted_source(SourceString, cbToCopy / sizeof(WCHAR), kUnicodeStringMaxCch, dwFlags), RemainingString,
      dwFlags);
}

NTSTATUS NTAPI RtlUnicodeStringCbCopyStringN(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
                                             size_t cbToCopy) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation(
      DestinationString, Placement::Start,
      strsafe::string_source(pszSrc, cbToCopy / sizeof(WCHAR), kUnicodeStringMaxCch));
}

NTSTATUS NTAPI RtlUnicodeStringCbCopyStringNEx(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
                                               size_t cbToCopy, PUNICODE_STRING RemainingString, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation_ex(
      DestinationString, Placement::Start,
      strsafe::string_source(pszSrc, cbToCopy / sizeof(WCHAR), kUnicodeStringMaxCch - 1), RemainingString, dwFlags);
}

NTSTATUS NTAPI RtlUnicodeStringCbCatN(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                      size_t cbToAppend) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation(
      DestinationString, Placement::Append,
      strsafe::counted_source(SourceString, cbToAppend / sizeof(WCHAR), kUnicodeStringMaxCch, 0));
}

NTSTATUS NTAPI RtlUnicodeStringCbCatNEx(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                        size_t cbToAppend, PUNICODE_STRING RemainingString, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation_ex(
      DestinationString, Placement::Append,
      strsafe::counted_source(SourceString, cbToAppend / sizeof(WCHAR), kUnicodeStringMaxCch, dwFlags), RemainingString,
      dwFlags);
}

NTSTATUS NTAPI RtlUnicodeStringCbCatStringN(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
                                            size_t cbToAppend) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation(
      DestinationString, Placement::Append,
      strsafe::string_source(pszSrc, cbToAppend / sizeof(WCHAR), kUnicodeStringMaxCch));
}

NTSTATUS NTAPI RtlUnicodeStringCbCatStringNEx(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
                                              size_t cbToAppend, PUNICODE_STRING RemainingString, DWORD dwFlags) {
  wdmlab::sched::scheduling_point();
  return strsafe::unicode_string_operation_ex(
      DestinationString, Placement::Append,
      strsafe::string_source(pszSrc, cbToAppend / sizeof(WCHAR), kUnicodeStringMaxCch - 1), RemainingString, dwFlags);
}

NTSTATUS NTAPI RtlUnicodeStringVPrintf(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszFormat, va_list argList) {
  wdmlab::sched::scheduling_point();
  ArgumentCopy arguments(argList);
  return strsafe::unicode_string_operation(DestinationString, Placement::Start,
                                           strsafe::format_source(pszFormat, &arguments.list));
}

NTSTATUS NTAPI RtlUnicodeStringPrintf(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszFormat, ...) {
  wdmlab::sched::scheduling_point();
  va_list arguments;
  va_start(arguments, pszFormat);
  const NTSTATUS status = strsafe::unicode_string_operation(DestinationString, Placement::Start,
                                                            strsafe::format_source(pszFormat, &arguments));
  va_end(arguments);
  return status;
}

NTSTATUS NTAPI RtlUnicodeStringVPrintfEx(PUNICODE_STRING DestinationString, PUNICODE_STRING RemainingString,
                                         DWORD dwFlags, NTSTRSAFE_PCWSTR pszFormat, va_list argList) {
  wdmlab::sched::scheduling_point();
  ArgumentCopy arguments(argList);
  return strsafe::unicode_string_operation_ex(DestinationString, Placement::Start,
                                              strsafe::format_source(pszFormat, &arguments.list), RemainingString,
                                              dwFlags);
}

NTSTATUS NTAPI RtlUnicodeStringPrintfEx(PUNICODE_STRING DestinationString, PUNICODE_STRING RemainingString,
                                        DWORD dwFlags, NTSTRSAFE_PCWSTR pszFormat, ...) {
  wdmlab::sched::scheduling_point();
  va_list arguments;
  va_start(arguments, pszFormat);
  const NTSTATUS status = strsafe::unicode_string_operation_ex(
      DestinationString, Placement::Start, strsafe::format_source(pszFormat, &arguments), RemainingString, dwFlags);
  va_end(arguments);
  return status;
}

}  // extern "C"
