// The NTSTATUS to Win32 error mapping behind RtlNtStatusToDosError (status_to_win32.cpp). The
// lab's user-mode API calls it to set the thread's last error from the status a request completed
// with.
#pragma once

#include <ntdef.h>

namespace wdmlab::rtl {

// The Win32 error Windows reports for `status`; ERROR_MR_MID_NOT_FOUND when it has none. Pure:
// no scheduling point, no per-thread state. Any IRQL.
ULONG ntstatus_to_win32_error(NTSTATUS status);

}  // namespace wdmlab::rtl
