// io/request.hpp - IRPs the I/O manager itself issues (creates, cleanups, closes, reads, writes,
// device controls for system services).
//
// Such an IRP is allocated for the top of the target's stack, belongs to the issuing thread (queued
// on its IrpList, Tail.Overlay.Thread), and carries IRP_DEFER_IO_COMPLETION so that a request the
// driver completes before its dispatch routine returns is finished by send_request itself.
#pragma once

#include <wdm.h>

namespace wdmlab::io {

// A new IRP for `target` (StackSize locations), issued by the running thread in `mode`, with
// `file` as its original file object and `flags` (IRP_*) | IRP_DEFER_IO_COMPLETION. The next stack
// location has `major` and `file` filled in. Null when IRPs run out.
PIRP new_request(PDEVICE_OBJECT target, PFILE_OBJECT file, KPROCESSOR_MODE mode, UCHAR major, ULONG flags);

// Sends `irp` to `target` and returns what the dispatch routine returned. A request completed
// without pending has had its final stage run when this returns; a dispatch routine returning
// anything but STATUS_PENDING without completing the IRP is the driver bug 0xC9 / 0x226.
NTSTATUS send_request(PDEVICE_OBJECT target, PIRP irp);

// For IRP_MJ_CLEANUP and IRP_MJ_CLOSE: sends an IRP_CLOSE_OPERATION request for `file` and waits
// for it (these are completed straight to their issuer, without an APC) and frees it.
NTSTATUS send_close_operation(PFILE_OBJECT file, UCHAR major);

}  // namespace wdmlab::io
