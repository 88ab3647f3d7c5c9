// io/driver.hpp - driver objects.
//
// Each loaded driver gets a DRIVER_OBJECT (an object of type "Driver", named \Driver\<name>)
// with its DRIVER_EXTENSION, every MajorFunction entry pointing at the I/O manager's default
// routine, and a DriverIdentity the lab uses to charge findings, log lines and allocations.
#pragma once

#include <wdm.h>

#include <memory>
#include <string>
#include <vector>

#include "base/driver_identity.hpp"
#include "ob/object.hpp"

namespace wdmlab::io {

struct DriverRecord {
  base::DriverIdentity identity;
  PDRIVER_OBJECT object = nullptr;
  std::u16string name_buffer;      // \Driver\<name>
  std::u16string registry_buffer;  // \Registry\Machine\System\CurrentControlSet\Services\<name>
  UNICODE_STRING registry_path{};
};

class IoManager {
 public:
  explicit IoManager(ob::ObjectManager& objects);
  ~IoManager();
  IoManager(const IoManager&) = delete;
  IoManager& operator=(const IoManager&) = delete;

  static IoManager* current();
  static IoManager& require();

  // A new driver object for `name` (letters, digits, '_' and '-'); the caller runs DriverEntry.
  // DriverStart and DriverSize are the driver's image when it has one (`image_start`), otherwise
  // the entry point and 0.
  DriverRecord& create_driver(const std::string& name, PDRIVER_INITIALIZE entry, PVOID image_start = nullptr,
                              ULONG image_size = 0);
  DriverRecord* find(PDRIVER_OBJECT object);
  _OBJECT_TYPE* driver_type() { return driver_type_; }

 private:
  ob::ObjectManager& objects_;
  _OBJECT_TYPE* driver_type_ = nullptr;
  std::vector<std::unique_ptr<DriverRecord>> drivers_;
};

}  // namespace wdmlab::io
