// wdmlab/errors.hpp - the two error classes a test can see. A driver bug is never an exception:
// it is a Finding (see finding.hpp).
#pragma once

#include <stdexcept>
#include <string>

namespace wdmlab {

// The test used the lab API in a way it does not support; the message says what to do instead.
class UsageError : public std::logic_error {
 public:
  explicit UsageError(const std::string& what) : std::logic_error(what) {}
};

// The lab itself is broken (an internal invariant failed). Carries file and line.
class LabBug : public std::logic_error {
 public:
  explicit LabBug(const std::string& what) : std::logic_error(what) {}
};

}  // namespace wdmlab
