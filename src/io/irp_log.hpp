// io/irp_log.hpp - IRP logging (/flags 0x400): each device's most recent IRPs, and the IRP
// history the verifier attaches to a finding whose parameters name a logged IRP.
//
// Called by the I/O manager as an IRP reaches a device (IoCallDriver, and the I/O manager's own
// requests) and as IoCompleteRequest starts; both cost one flags lookup when logging is off for
// the device's driver. IRQL: any (the records are the lab's own memory).
#pragma once

#include <wdm.h>

namespace wdmlab::io {

void log_irp_dispatch(PDEVICE_OBJECT device, PIRP irp);
void log_irp_completion(PIRP irp);

}  // namespace wdmlab::io
