// io/completion_port.hpp - I/O completion ports.
//
// An IoCompletion object queues completion packets (key, context, status, information) for the
// threads that remove them, first in, first out. A packet is posted when an asynchronous request
// completes on a file object associated with the port and carries a non-null APC context (Win32's
// OVERLAPPED; a synchronous failure posts nothing), or explicitly (NtSetIoCompletion /
// PostQueuedCompletionStatus). Removing waits for a packet in the caller's mode, alertably if
// asked. The concurrency value is recorded but does not limit how many threads run.
//
// The services take their caller's mode from the thread's previous mode, like the file services.
#pragma once

#include <wdm.h>

namespace wdmlab::io {

inline constexpr ACCESS_MASK kIoCompletionQueryState = 0x0001;
inline constexpr ACCESS_MASK kIoCompletionModifyState = 0x0002;
inline constexpr ACCESS_MASK kIoCompletionAllAccess = STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3;

class IoManager;
// Creates the IoCompletion object type.
void install_completion_port_type(IoManager& manager);

// NtCreateIoCompletion.
NTSTATUS create_io_completion(PHANDLE port_handle, ACCESS_MASK desired_access, ULONG concurrency);
// NtSetIoCompletion.
NTSTATUS set_io_completion(HANDLE port_handle, PVOID key, PVOID apc_context, NTSTATUS status, ULONG_PTR information);
// NtRemoveIoCompletion: STATUS_SUCCESS with a packet, STATUS_TIMEOUT, or STATUS_USER_APC.
NTSTATUS remove_io_completion(HANDLE port_handle, PVOID* key, PVOID* apc_context, PIO_STATUS_BLOCK io_status_block,
                              PLARGE_INTEGER timeout, BOOLEAN alertable);
// NtSetInformationFile(FileCompletionInformation): associates a file with a port and key. A file
// can be associated once (STATUS_INVALID_PARAMETER after that).
NTSTATUS associate_completion_port(HANDLE file_handle, HANDLE port_handle, PVOID key);

// Queues a packet on `port` (an IoCompletion object) and wakes one waiting thread.
void post_completion(PVOID port, PVOID key, PVOID apc_context, NTSTATUS status, ULONG_PTR information);
// Drops a file object's association (its deletion).
void release_completion_context(PFILE_OBJECT file);

}  // namespace wdmlab::io
