// io/file.hpp - file objects: opening a device, and the create, cleanup and close life cycle.
//
// A file object (type "File") is what a handle to a device refers to. Opening a device by name
// ends in the Device type's parse procedure, which makes the file object and sends IRP_MJ_CREATE
// to the top of the device's stack (FileObject->DeviceObject is the named device; FileName is what
// followed the device's name). A failed create deletes the file object without cleanup or close.
// Closing the last handle to a file object sends IRP_MJ_CLEANUP; dropping its last reference
// (handles and IRPs in flight both hold references) sends IRP_MJ_CLOSE. Both are sent by the
// thread that closed the handle or dropped the reference; a last reference dropped above
// PASSIVE_LEVEL (an IRP completing at APC_LEVEL, a DPC) defers the close to a system worker
// thread, as Windows does.
#pragma once

#include <wdm.h>

namespace wdmlab::io {

class IoManager;

// Gives the Device type its parse procedure and the File type its close and delete procedures.
void install_file_types(IoManager& manager);

// The file object whose reference an IRP holds (Tail.Overlay.OriginalFileObject), or null: a create
// request holds none (the open's caller owns the new file object), nor do cleanup and close.
PFILE_OBJECT referenced_file(const IRP* irp);

// Requests on a synchronous file object (FO_SYNCHRONOUS_IO) run one at a time, as on Windows:
// a second thread issuing I/O on the same file object waits until the first request is done.
void acquire_file_lock(PFILE_OBJECT file);
void release_file_lock(PFILE_OBJECT file);

// Drops one reference to `file`; see the header comment for when IRP_MJ_CLOSE is sent.
void dereference_file(PFILE_OBJECT file);

}  // namespace wdmlab::io
