// wdmlab/irp_log.hpp - Driver Verifier's IRP logging (/flags 0x400): the most recent IRPs each
// device received, as `!verifier 0x100`-style records.
//
//   for (const wdmlab::IrpLogRecord& r : wdmlab::irp_log(device)) ... r.major, r.status ...
//
// A device's IRPs are logged when IRP logging is on for the driver that owns the device; the
// log keeps VerifierOptions::irp_log_depth records per device (20 by default), oldest first. Read
// it on the thread of the lab that ran (between runs, or from test code in the lab).
#pragma once

#include <cstdint>
#include <vector>

namespace wdmlab {

struct IrpLogRecord {
  std::uintptr_t irp = 0;
  std::uint8_t major = 0;
  std::uint8_t minor = 0;
  std::int8_t requestor_mode = 0;  // KernelMode 0, UserMode 1
  std::uintptr_t thread = 0;       // Irp->Tail.Overlay.Thread when dispatched
  bool completed = false;
  std::int32_t status = 0;          // IoStatus.Status at completion
  std::uint64_t information = 0;    // IoStatus.Information at completion
  std::uint64_t dispatched_at = 0;  // virtual time, 100 ns units
  std::uint64_t completed_at = 0;
};

// The records of the IRPs `device` (a DEVICE_OBJECT) received, oldest first; empty when IRP
// logging is off for its driver or no lab runs on this thread.
std::vector<IrpLogRecord> irp_log(const void* device);

}  // namespace wdmlab
