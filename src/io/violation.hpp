// io/violation.hpp - the I/O manager's checks of driver bugs, reported through the verifier.
//
// Every I/O manager check is a row of the verifier's table (0xC9 DRIVER_VERIFIER_IOMANAGER_VIOLATION
// with the subcode as parameter 1; a few 0xC4 rows): I/O verification (0x10) turns the level 1 and
// level 2 checks on, the enhanced I/O checks (0x40, implied by 0x10) the 0x23C-0x24D ones. A check
// is charged to the calling driver unless `driver` names another (the driver whose dispatch or
// completion routine just returned). A driver that is not verified gets no 0xC9 at all: the caller
// then does what the kernel does without Driver Verifier (carries on, or faults where the kernel
// would touch something that is not there).
#pragma once

#include <cstdint>
#include <string>

namespace wdmlab::base {
struct DriverIdentity;
}

namespace wdmlab::io {

// Reports bug check 0xC9 with `subcode` as parameter 1. The other parameters follow Microsoft's
// table for the subcode: for the level 1 codes (0x01-0x12) they are listed per code; for the
// 0x2xx/0x3xx codes parameter 2 is the address in the driver where the problem was found and
// parameter 3 the IRP. A fatal check does not return; true: a non-fatal finding was recorded;
// false: nothing was reported (the check is off for the driver charged).
bool io_violation(std::uint64_t subcode, std::uint64_t p2, std::uint64_t p3, std::uint64_t p4, std::string description,
                  const base::DriverIdentity* driver = nullptr);

// The kernel's own stop where a routine without Driver Verifier would touch an object that is
// not there (a freed IRP, a device object that is not one): 0x1E KMODE_EXCEPTION_NOT_HANDLED,
// STATUS_ACCESS_VIOLATION at `caller`, `address` the object.
[[noreturn]] void io_fault(const void* caller, const void* address, std::string description);

// io_violation for a check the routine cannot carry on from: when it is not reported (a driver that
// is not verified), the kernel's own fault instead.
[[noreturn]] void io_violation_or_fault(std::uint64_t subcode, std::uint64_t p2, std::uint64_t p3, std::uint64_t p4,
                                        std::string description, const void* caller, const void* address);

// The same for a pointer-valued parameter.
inline std::uint64_t address_of(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

}  // namespace wdmlab::io
