// Driver initialization and legacy unload (io/driver.hpp).
#include <fmt/format.h>

#include "io/device.hpp"
#include "io/driver.hpp"
#include "ps/process.hpp"

namespace wdmlab::io {

namespace {

bool devices_in_use(const DRIVER_OBJECT& driver) {
  for (PDEVICE_OBJECT device = driver.DeviceObject; device != nullptr; device = device->NextDevice) {
    if (device->ReferenceCount != 0) return true;
  }
  return false;
}

void start_unload(DriverRecord& record) {
  record.unload_started = true;
  PDRIVER_OBJECT object = record.object;
  object->Flags |= DRVO_UNLOAD_INVOKED;
  if (object->DriverUnload == nullptr) return;
  ps::ProcessManager::require().create_system_thread(
      fmt::format("DriverUnload({})", record.identity.name), [object] { object->DriverUnload(object); },
      &record.identity, true);
}

}  // namespace

void driver_initialized(DriverRecord& record) {
  for (PDEVICE_OBJECT device = record.object->DeviceObject; device != nullptr; device = device->NextDevice) {
    device->Flags &= ~DO_DEVICE_INITIALIZING;
  }
}

bool unload_driver(DriverRecord& record) {
  if (record.unload_requested) return false;
  record.unload_requested = true;
  for (PDEVICE_OBJECT device = record.object->DeviceObject; device != nullptr; device = device->NextDevice) {
    node_of(device).extension_flags |= kDoeUnloadPending;
  }
  if (devices_in_use(*record.object)) return false;
  start_unload(record);
  return true;
}

void check_pending_unload(PDRIVER_OBJECT driver) {
  DriverRecord* record = driver_record(driver);
  if (record == nullptr || !record->unload_requested || record->unload_started || devices_in_use(*record->object)) {
    return;
  }
  start_unload(*record);
}

}  // namespace wdmlab::io
