// wdmlab/win32.hpp - the Win32 subset a simulated user-mode process calls, for C++ tests.
//
// These functions behave as kernel32 does on Windows, over the lab's system services: each one
// that enters the kernel does so as a system call (ps::SystemServiceScope: previous mode UserMode,
// IRQL and APC state checked on the way back), and failures set the thread's last error to the
// Win32 error Windows maps the NTSTATUS to (RtlNtStatusToDosError).
//
// They may only be called from a thread of a simulated process (UserProcess::run); anywhere else
// they throw wdmlab::UsageError. Buffers a driver will see, OVERLAPPED structures and anything the
// kernel writes back asynchronously must be user-mode memory of the calling process
// (UserProcess::alloc, VirtualAlloc): a pointer into the test's own memory is a kernel-mode address
// to the simulated machine, so the call fails with ERROR_NOACCESS exactly as it would on Windows
// for a kernel address (the lab logs a note naming the argument). Output parameters kernel32 itself
// fills in (lpBytesReturned, lpNumberOfBytesRead, ...) may live anywhere.
//
// Types and constants are global with their SDK names and values, as windows.h has them (WCHAR is
// char16_t in test code: u"..." literals); the functions are in namespace wdmlab::win32 (a test
// says `using namespace wdmlab::win32;`). Error codes are the ERROR_* macros of win32_errors.hpp.
#pragma once

#include <wdm.h>

#include "wdmlab/win32_errors.hpp"

// The basic types (BOOL, DWORD, UINT, HANDLE, LPVOID, LPCVOID, LPDWORD, LPCWSTR, ULONG_PTR, SIZE_T,
// ...) and the access and share constants (GENERIC_READ, SYNCHRONIZE, FILE_SHARE_READ,
// FILE_ATTRIBUTE_NORMAL, DUPLICATE_CLOSE_SOURCE, ...) are the ones wdm.h defines; what follows
// adds the Win32-only ones with the SDK's names and values.
typedef const char *LPCSTR;

#define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)

/* Errors kernel32 reports itself rather than by mapping a status. */
#ifndef ERROR_FILE_EXISTS
#define ERROR_FILE_EXISTS 80u
#endif

typedef struct _OVERLAPPED {
  ULONG_PTR Internal;      /* the request's NTSTATUS (STATUS_PENDING while it is in progress) */
  ULONG_PTR InternalHigh;  /* bytes transferred */
  union {
    struct {
      DWORD Offset;
      DWORD OffsetHigh;
    };
    PVOID Pointer;
  };
  HANDLE hEvent;
} OVERLAPPED, *LPOVERLAPPED;

#define HasOverlappedIoCompleted(lpOverlapped) (((DWORD)(lpOverlapped)->Internal) != (DWORD)STATUS_PENDING)

typedef void (*LPOVERLAPPED_COMPLETION_ROUTINE)(DWORD dwErrorCode, DWORD dwNumberOfBytesTransfered,
                                                LPOVERLAPPED lpOverlapped);

typedef struct _SECURITY_ATTRIBUTES {
  DWORD nLength;
  LPVOID lpSecurityDescriptor;
  BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;

/* CreateFile dispositions and flags. */
#define CREATE_NEW 1
#define CREATE_ALWAYS 2
#define OPEN_EXISTING 3
#define OPEN_ALWAYS 4
#define TRUNCATE_EXISTING 5
#define FILE_FLAG_WRITE_THROUGH 0x80000000u
#define FILE_FLAG_OVERLAPPED 0x40000000u
#define FILE_FLAG_NO_BUFFERING 0x20000000u
#define FILE_FLAG_RANDOM_ACCESS 0x10000000u
#define FILE_FLAG_SEQUENTIAL_SCAN 0x08000000u

/* Waits. WAIT_TIMEOUT (258) is in win32_errors.hpp. */
#define INFINITE 0xFFFFFFFFu
#define WAIT_OBJECT_0 0u
#define WAIT_ABANDONED 0x80u
#define WAIT_IO_COMPLETION 0xC0u
#define WAIT_FAILED 0xFFFFFFFFu
#define STILL_ACTIVE 259u

/* VirtualAlloc, VirtualFree, VirtualProtect. */
#define MEM_COMMIT 0x00001000u
#define MEM_RESERVE 0x00002000u
#define MEM_DECOMMIT 0x00004000u
#define MEM_RELEASE 0x00008000u
#define PAGE_NOACCESS 0x01u
#define PAGE_READONLY 0x02u
#define PAGE_READWRITE 0x04u

namespace wdmlab::win32 {

// --- files and devices ---------------------------------------------------------------------------

// Opens `\\.\Name` or `\\?\Name` (the object \??\Name: a device's symbolic link) and
// `\\?\GLOBALROOT\Device\Name` (a device by its NT name). Any other path is a file-system path on
// drive C:, which the lab does not have (ERROR_PATH_NOT_FOUND). The access asked for is granted
// with SYNCHRONIZE and FILE_READ_ATTRIBUTES added, as kernel32 adds them. Without
// FILE_FLAG_OVERLAPPED the handle is synchronous (FILE_SYNCHRONOUS_IO_NONALERT). Security
// descriptors in SECURITY_ATTRIBUTES and template files are ignored.
HANDLE CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                   LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition,
                   DWORD dwFlagsAndAttributes, HANDLE hTemplateFile);
HANDLE CreateFileA(LPCSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                   LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition,
                   DWORD dwFlagsAndAttributes, HANDLE hTemplateFile);
BOOL DeviceIoControl(HANDLE hDevice, DWORD dwIoControlCode, LPVOID lpInBuffer, DWORD nInBufferSize,
                     LPVOID lpOutBuffer, DWORD nOutBufferSize, LPDWORD lpBytesReturned, LPOVERLAPPED lpOverlapped);
BOOL ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead, LPDWORD lpNumberOfBytesRead,
              LPOVERLAPPED lpOverlapped);
BOOL WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite, LPDWORD lpNumberOfBytesWritten,
               LPOVERLAPPED lpOverlapped);
// Completion through a user APC to the calling thread, delivered in an alertable wait (SleepEx,
// WaitForSingleObjectEx with bAlertable, GetOverlappedResultEx with fAlertable).
BOOL ReadFileEx(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead, LPOVERLAPPED lpOverlapped,
                LPOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);
BOOL WriteFileEx(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite, LPOVERLAPPED lpOverlapped,
                 LPOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);
BOOL GetOverlappedResult(HANDLE hFile, LPOVERLAPPED lpOverlapped, LPDWORD lpNumberOfBytesTransferred, BOOL bWait);
BOOL GetOverlappedResultEx(HANDLE hFile, LPOVERLAPPED lpOverlapped, LPDWORD lpNumberOfBytesTransferred,
                           DWORD dwMilliseconds, BOOL bAlertable);

// --- cancelling I/O ------------------------------------------------------------------------------

// Cancels the requests the calling thread issued on hFile that have not completed (IoCancelIrp on
// each). Does not wait for them: each completes as its driver completes it (ERROR_OPERATION_ABORTED
// when the driver honoured the cancel), with the usual notifications. TRUE even if there was
// nothing to cancel.
BOOL CancelIo(HANDLE hFile);
// Cancels the requests any thread of the calling process issued on hFile (lpOverlapped NULL), or
// the one request whose OVERLAPPED is lpOverlapped. Does not wait. FALSE with ERROR_NOT_FOUND if
// no such request is outstanding.
BOOL CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped);
// Cancels the synchronous request (a CreateFile, or I/O on a handle opened without
// FILE_FLAG_OVERLAPPED) the thread hThread is waiting for. hThread needs THREAD_TERMINATE access.
// Does not wait. FALSE with ERROR_NOT_FOUND if the thread has no synchronous request outstanding.
BOOL CancelSynchronousIo(HANDLE hThread);

// --- I/O completion ports -------------------------------------------------------------------------

HANDLE CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort, ULONG_PTR CompletionKey,
                              DWORD NumberOfConcurrentThreads);
BOOL GetQueuedCompletionStatus(HANDLE CompletionPort, LPDWORD lpNumberOfBytesTransferred, PULONG_PTR lpCompletionKey,
                               LPOVERLAPPED* lpOverlapped, DWORD dwMilliseconds);
BOOL PostQueuedCompletionStatus(HANDLE CompletionPort, DWORD dwNumberOfBytesTransferred, ULONG_PTR dwCompletionKey,
                                LPOVERLAPPED lpOverlapped);

// --- events, waits, handles --------------------------------------------------------------------------

HANDLE CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL bInitialState, LPCWSTR lpName);
BOOL SetEvent(HANDLE hEvent);
BOOL ResetEvent(HANDLE hEvent);
DWORD WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds);
DWORD WaitForSingleObjectEx(HANDLE hHandle, DWORD dwMilliseconds, BOOL bAlertable);
DWORD SleepEx(DWORD dwMilliseconds, BOOL bAlertable);
void Sleep(DWORD dwMilliseconds);
BOOL DuplicateHandle(HANDLE hSourceProcessHandle, HANDLE hSourceHandle, HANDLE hTargetProcessHandle,
                     HANDLE* lpTargetHandle, DWORD dwDesiredAccess, BOOL bInheritHandle, DWORD dwOptions);
BOOL CloseHandle(HANDLE hObject);

// --- processes, threads, errors, memory ---------------------------------------------------------------

HANDLE GetCurrentProcess();
HANDLE GetCurrentThread();
DWORD GetCurrentProcessId();
DWORD GetCurrentThreadId();
// A handle to the thread with ID dwThreadId (of any process), with dwDesiredAccess (THREAD_TERMINATE,
// SYNCHRONIZE, ...). NULL with ERROR_INVALID_PARAMETER if there is no such thread.
HANDLE OpenThread(DWORD dwDesiredAccess, BOOL bInheritHandle, DWORD dwThreadId);
// Ends the thread: it leaves whatever user-mode wait it is in, the I/O manager cancels the requests
// it issued and waits for them (up to five minutes, as Windows does), and it exits with
// dwExitCode. Asynchronous for another thread (wait on its handle); does not return for the caller
// itself. Needs THREAD_TERMINATE access. A thread blocked inside a driver (a kernel-mode wait)
// ends only when the driver lets it go, as on Windows.
BOOL TerminateThread(HANDLE hThread, DWORD dwExitCode);
// The thread's exit code, or STILL_ACTIVE (259) while it runs.
BOOL GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode);
// Ends the calling process: every thread of it ends and every handle it holds is closed (the
// drivers see IRP_MJ_CLEANUP and IRP_MJ_CLOSE as for CloseHandle). Does not return.
[[noreturn]] void ExitProcess(UINT uExitCode);
DWORD GetLastError();
void SetLastError(DWORD dwErrCode);
LPVOID VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType, DWORD flProtect);
BOOL VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType);
BOOL VirtualProtect(LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect, PDWORD lpflOldProtect);

}  // namespace wdmlab::win32
