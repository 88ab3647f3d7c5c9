// io/file_services.hpp - the file system services (NtCreateFile, NtReadFile, NtWriteFile,
// NtDeviceIoControlFile) as the I/O manager implements them.
//
// Each takes its caller's mode from the running thread's previous mode: UserMode inside a
// ps::SystemServiceScope (the simulated user mode), KernelMode otherwise (the Zw routines drivers
// call). From UserMode every pointer is probed and every user buffer is copied or locked the way
// Windows does, and failures come back as statuses (STATUS_ACCESS_VIOLATION for a bad buffer),
// never as faults.
//
// Buffers:
//   read/write on a DO_BUFFERED_IO device: a system buffer of Length bytes (copied in for writes;
//     for reads the first Information bytes are copied out when the request completes);
//   on a DO_DIRECT_IO device: an MDL over the caller's buffer, probed and locked;
//   otherwise (neither): Irp->UserBuffer is the caller's address.
//   device control, by the method in the control code:
//     METHOD_BUFFERED: one system buffer of max(input, output) bytes, the input copied in, the first
//       Information bytes copied out to the output buffer when the request completes;
//     METHOD_IN_DIRECT / METHOD_OUT_DIRECT: the input in a system buffer, the output buffer locked
//       in an MDL for reading (IN) or writing (OUT);
//     METHOD_NEITHER: Parameters.DeviceIoControl.Type3InputBuffer and Irp->UserBuffer are the
//       caller's raw addresses.
//   The access bits of the control code (FILE_READ_ACCESS, FILE_WRITE_ACCESS) must be granted to
//   the handle, else STATUS_ACCESS_DENIED before any IRP is built.
//
// Synchronous file objects (opened with FILE_SYNCHRONOUS_IO_*) run one request at a time and the
// service waits for a pending request to finish; otherwise a pending request returns
// STATUS_PENDING and completes through the status block, the event, the APC routine or the file's
// completion port. A request that fails without pending returns its status and touches none of
// those.
#pragma once

#include <wdm.h>

namespace wdmlab::io {

NTSTATUS create_file(PHANDLE file_handle, ACCESS_MASK desired_access, POBJECT_ATTRIBUTES object_attributes,
                     PIO_STATUS_BLOCK io_status_block, PLARGE_INTEGER allocation_size, ULONG file_attributes,
                     ULONG share_access, ULONG create_disposition, ULONG create_options, PVOID ea_buffer,
                     ULONG ea_length);

NTSTATUS read_file(HANDLE file_handle, HANDLE event, PIO_APC_ROUTINE apc_routine, PVOID apc_context,
                   PIO_STATUS_BLOCK io_status_block, PVOID buffer, ULONG length, PLARGE_INTEGER byte_offset,
                   PULONG key);

NTSTATUS write_file(HANDLE file_handle, HANDLE event, PIO_APC_ROUTINE apc_routine, PVOID apc_context,
                    PIO_STATUS_BLOCK io_status_block, PVOID buffer, ULONG length, PLARGE_INTEGER byte_offset,
                    PULONG key);

NTSTATUS device_io_control_file(HANDLE file_handle, HANDLE event, PIO_APC_ROUTINE apc_routine, PVOID apc_context,
                                PIO_STATUS_BLOCK io_status_block, ULONG io_control_code, PVOID input_buffer,
                                ULONG input_buffer_length, PVOID output_buffer, ULONG output_buffer_length);

// NtCancelIoFile (all_threads false, request null) and NtCancelIoFileEx (all_threads true): cancels
// the outstanding requests on the file object of `file_handle` that the calling thread issued, or
// that any thread of the calling process issued; with `request`, only the one whose I/O status
// block is at that address (kernel32 passes the OVERLAPPED). Does not wait for them. Writes
// `io_status_block`. NtCancelIoFileEx fails with STATUS_NOT_FOUND if nothing matched.
NTSTATUS cancel_io_file(HANDLE file_handle, PIO_STATUS_BLOCK request, bool all_threads,
                        PIO_STATUS_BLOCK io_status_block);

// NtCancelSynchronousIoFile: cancels the synchronous requests (IRP_SYNCHRONOUS_API, or on a
// synchronous file object) the thread of `thread_handle` (THREAD_TERMINATE access) is waiting for;
// with `request`, only the one with that I/O status block. STATUS_NOT_FOUND if there is none.
NTSTATUS cancel_synchronous_io_file(HANDLE thread_handle, PIO_STATUS_BLOCK request, PIO_STATUS_BLOCK io_status_block);

}  // namespace wdmlab::io
