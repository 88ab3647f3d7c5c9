#include "io/violation.hpp"

#include <wdm.h>

#include "ke/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace wdmlab::io {

bool io_violation(std::uint64_t subcode, std::uint64_t p2, std::uint64_t p3, std::uint64_t p4, std::string description,
                  const base::DriverIdentity* driver) {
  return verifier::violation({.code = DRIVER_VERIFIER_IOMANAGER_VIOLATION,
                              .parameters = {subcode, p2, p3, p4},
                              .description = std::move(description),
                              .driver = driver});
}

void io_fault(const void* caller, const void* address, std::string description) {
  ke::bug_check(KMODE_EXCEPTION_NOT_HANDLED, static_cast<std::uint32_t>(STATUS_ACCESS_VIOLATION), address_of(caller),
                0, address_of(address), std::move(description));
}

void io_violation_or_fault(std::uint64_t subcode, std::uint64_t p2, std::uint64_t p3, std::uint64_t p4,
                           std::string description, const void* caller, const void* address) {
  std::string text = description;
  (void)io_violation(subcode, p2, p3, p4, std::move(description));
  io_fault(caller, address, std::move(text));
}

}  // namespace wdmlab::io
