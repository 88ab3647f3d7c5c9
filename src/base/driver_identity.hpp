// base/driver_identity.hpp - how the lab names a driver in findings, logs and accounting.
#pragma once

#include <cstdint>
#include <string>

namespace wdmlab::base {

struct DriverIdentity {
  std::string name;      // e.g. "sample" (the service name, \Driver\sample)
  std::uint32_t id = 0;  // unique within a lab, starting at 1
};

}  // namespace wdmlab::base
