// io/violation.hpp - the I/O manager's stops for driver bugs.
#pragma once

#include <cstdint>
#include <string>

namespace wdmlab::io {

// Bug check 0xC9 DRIVER_VERIFIER_IOMANAGER_VIOLATION with `subcode` as parameter 1. The other
// parameters follow Microsoft's table for the subcode: for the level 1 codes (0x01-0x12) they are
// listed per code; for the 0x2xx/0x3xx codes parameter 2 is the address in the driver where the
// problem was found and parameter 3 the IRP.
[[noreturn]] void io_violation(std::uint64_t subcode, std::uint64_t p2, std::uint64_t p3, std::uint64_t p4,
                               std::string description);

// The same for a pointer-valued parameter.
inline std::uint64_t address_of(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

}  // namespace wdmlab::io
