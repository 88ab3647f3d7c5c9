// ke/bugcheck.hpp - stopping the run with a Windows bug check.
#pragma once

#include <cstdint>
#include <string>

namespace wdmlab::ke {

// Stops the run with bug check `code` (named from bugcodes.h), charged to the driver the running
// context is executing. `exact_pc`, when nonzero, becomes the first stack frame (a fault). On
// the host it throws UsageError.
[[noreturn]] void bug_check(std::uint32_t code, std::uint64_t p1, std::uint64_t p2, std::uint64_t p3,
                            std::uint64_t p4, std::string description, std::string rule = {},
                            std::uintptr_t exact_pc = 0);

}  // namespace wdmlab::ke
