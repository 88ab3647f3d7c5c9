// user/teb.hpp - what the user-mode layer keeps per user thread, and how a Win32 call enters the
// kernel.
//
// kernel32 passes the system services pointers to its own user-mode memory (the name it built, the
// OBJECT_ATTRIBUTES, a status block for a synchronous call, a timeout), and the services probe them
// as user addresses. The layer does the same: each user thread gets a Teb in its process's user
// range on its first Win32 call, and the Win32 functions build their service arguments there. The
// Teb also holds the thread's last error, as the real TEB does.
#pragma once

#include <wdm.h>

#include <cstddef>

#include "ps/system_service.hpp"
#include "wdmlab/win32.hpp"

namespace wdmlab::user {

inline constexpr std::size_t kMaxPathChars = 32767;  // the longest \\?\ path Windows accepts

struct Teb {
  DWORD last_error;
  IO_STATUS_BLOCK io_status;
  HANDLE handle;
  PVOID key;
  PVOID apc_context;
  LARGE_INTEGER timeout;
  LARGE_INTEGER byte_offset;
  OBJECT_ATTRIBUTES attributes;
  UNICODE_STRING name;
  WCHAR name_buffer[kMaxPathChars + 1];
};

// The calling thread's Teb. Throws UsageError, naming `function`, unless the caller is a thread of a
// simulated user process. A thread whose process has ended (ExitProcess on another thread,
// UserProcess::terminate) ends here instead, as Windows ends a terminated process's threads when
// they next enter the kernel.
Teb& enter(const char* function);

// Runs `body` (which calls one system service) as a system call made by the Win32 function
// `api`: previous mode UserMode, IRQL and APC state checked on the way back (ps/system_service.hpp).
template <class Api, class Body>
NTSTATUS system_call(Api* api, const char* service, Body&& body) {
  ps::SystemServiceScope scope(reinterpret_cast<const void*>(api), service);
  return body();
}

// BaseSetLastNTError: the last error becomes the Win32 error Windows maps `status` to.
void set_last_status(Teb& teb, NTSTATUS status);

// kernel32's usual ending: TRUE for a success status; otherwise the last error is set from
// `status` and the answer is FALSE.
BOOL succeeded(Teb& teb, NTSTATUS status);

// A millisecond timeout as the services take it: null for INFINITE, else a relative interval
// written to the Teb.
PLARGE_INTEGER timeout_of(Teb& teb, DWORD milliseconds);

// After a service that ended an alertable wait with STATUS_USER_APC: the thread is about to return
// to user mode, so its queued user APCs run now (each I/O completion routine, ...).
void return_to_user_mode(NTSTATUS status);

// A log line when `pointer` (an argument the kernel will see as a buffer) is not user-mode memory
// of the calling process: the service will refuse it with STATUS_ACCESS_VIOLATION as Windows
// refuses a kernel address, and the note says why a test's own buffer did not work.
void note_if_not_user(const char* function, const char* argument, const volatile void* pointer, std::size_t length);

// Puts `value` where kernel32 would store an output parameter the caller may omit.
template <class T, class U>
void store(T* destination, U value) {
  if (destination != nullptr) *destination = static_cast<T>(value);
}

}  // namespace wdmlab::user
