#include "io/violation.hpp"

#include <wdm.h>

#include "ke/bugcheck.hpp"

namespace wdmlab::io {

void io_violation(std::uint64_t subcode, std::uint64_t p2, std::uint64_t p3, std::uint64_t p4, std::string description) {
  ke::bug_check(DRIVER_VERIFIER_IOMANAGER_VIOLATION, subcode, p2, p3, p4, std::move(description));
}

}  // namespace wdmlab::io
