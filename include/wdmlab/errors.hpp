// wdmlab/errors.hpp - the error classes a test can see. A driver bug is never an exception:
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

// A driver image could not be loaded (Lab::load_driver with a path): the file is missing or is not
// a shared object, it imports a routine nothing defines, it exports no DriverEntry, or this lab or
// another live one already loaded it. The message names the image and the reason (the dynamic
// loader's, where it gave one).
class DriverLoadError : public UsageError {
 public:
  explicit DriverLoadError(const std::string& what) : UsageError(what) {}
};

// The lab itself is broken (an internal invariant failed). Carries file and line.
class LabBug : public std::logic_error {
 public:
  explicit LabBug(const std::string& what) : std::logic_error(what) {}
};

}  // namespace wdmlab
