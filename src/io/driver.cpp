#include "io/driver.hpp"

#include <fmt/format.h>

#include "ex/pool.hpp"
#include "io/cancel.hpp"
#include "io/completion_port.hpp"
#include "io/ddi_rules.hpp"
#include "io/file.hpp"
#include "io/violation.hpp"
#include "ke/bugcheck.hpp"
#include "ke/kernel.hpp"
#include "ps/process.hpp"
#include "sched/scheduler.hpp"
#include "verifier/verifier.hpp"
#include "wdmlab/errors.hpp"

extern "C" {
NTSTATUS NTAPI wdmlab_io_invalid_device_request(PDEVICE_OBJECT DeviceObject, PIRP Irp);
POBJECT_TYPE wdmlab_io_device_type = nullptr;
POBJECT_TYPE wdmlab_io_driver_type = nullptr;
POBJECT_TYPE wdmlab_io_file_type = nullptr;
POBJECT_TYPE* IoDeviceObjectType = &wdmlab_io_device_type;
POBJECT_TYPE* IoDriverObjectType = &wdmlab_io_driver_type;
POBJECT_TYPE* IoFileObjectType = &wdmlab_io_file_type;
}

namespace wdmlab::io {

namespace {

constexpr GENERIC_MAPPING kFileMapping = {FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE, FILE_ALL_ACCESS};
constexpr GENERIC_MAPPING kDriverMapping = {STANDARD_RIGHTS_READ, STANDARD_RIGHTS_WRITE, STANDARD_RIGHTS_EXECUTE,
                                            STANDARD_RIGHTS_REQUIRED | 0x1};

std::u16string widen(const std::string& text) { return std::u16string(text.begin(), text.end()); }

void set_string(UNICODE_STRING& target, std::u16string& buffer) {
  target.Buffer = reinterpret_cast<PWCH>(buffer.data());
  target.Length = static_cast<USHORT>(buffer.size() * sizeof(WCHAR));
  target.MaximumLength = static_cast<USHORT>(target.Length + sizeof(WCHAR));
}

}  // namespace

namespace detail {

constinit __attribute__((tls_model("initial-exec"))) thread_local IoManager* current_io_manager = nullptr;

void no_io_manager() { throw UsageError("an I/O routine was called with no lab on this thread"); }

}  // namespace detail

using detail::current_io_manager;

IoManager::IoManager(ob::ObjectManager& objects) : objects_(objects) {
  if (current_io_manager != nullptr) throw UsageError("an I/O manager already exists on this thread");
  driver_type_ = objects.create_type("Driver", nullptr, kDriverMapping, STANDARD_RIGHTS_REQUIRED | 0x1);
  device_type_ = objects.create_type("Device", nullptr, kFileMapping, FILE_ALL_ACCESS);
  file_type_ = objects.create_type("File", nullptr, kFileMapping, FILE_ALL_ACCESS);
  install_file_types(*this);
  install_completion_port_type(*this);
  wdmlab_io_driver_type = driver_type_;
  wdmlab_io_device_type = device_type_;
  wdmlab_io_file_type = file_type_;
  if (ps::ProcessManager* processes = ps::ProcessManager::current()) {
    processes->rundown_thread_io = [](_ETHREAD& thread) { rundown_thread_io(thread); };
  }
  ke::Kernel::require().add_memory_fault_check(
      [this](std::uintptr_t address, bool write, std::uintptr_t pc) { check_freed_irp_fault(address, write, pc); });
  ex::set_irp_query([](const void* address) {
    return current_io_manager != nullptr &&
           current_io_manager->irps().zone().record_of(static_cast<const IRP*>(address)) != nullptr;
  });
  if (verifier::Verifier* verifier = verifier::Verifier::current()) {
    verifier->queue_monitors = {.lock_released = &ddi::on_lock_released, .entry_queued = &ddi::on_entry_queued};
  }
  current_io_manager = this;
}

IoManager::~IoManager() {
  if (ps::ProcessManager* processes = ps::ProcessManager::current()) processes->rundown_thread_io = nullptr;
  if (current_io_manager == this) {
    current_io_manager = nullptr;
    wdmlab_io_driver_type = nullptr;
    wdmlab_io_device_type = nullptr;
    wdmlab_io_file_type = nullptr;
  }
}

void IoManager::check_freed_irp_fault(std::uintptr_t address, bool write, std::uintptr_t pc) {
  const IRP* irp = irps_.zone().quarantined_irp_at(address);
  if (irp == nullptr) return;
  sched::Scheduler* scheduler = sched::Scheduler::current();
  const bool driver_known = scheduler != nullptr && scheduler->running() != nullptr &&
                            scheduler->running()->driver() != nullptr;
  ke::bug_check(driver_known ? DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL : PAGE_FAULT_IN_FREED_SPECIAL_POOL, address,
                write ? 1 : 0, pc, 0,
                fmt::format("Invalid {} of address {:#x}, at offset {:#x} in IRP {}, which was completed and freed: "
                            "the I/O manager frees an IRP once its completion has finished (for a request from a "
                            "thread, when that thread runs the completion's final stage), so a driver must not touch "
                            "an IRP after IoCompleteRequest, or after another processor may have completed it.",
                            write ? "write" : "read", address, address - reinterpret_cast<std::uintptr_t>(irp),
                            static_cast<const void*>(irp)),
                {}, pc);
}

DriverRecord& IoManager::create_driver(const std::string& name, PDRIVER_INITIALIZE entry, PVOID image_start,
                                       ULONG image_size) {
  if (name.empty() ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != std::string::npos) {
    throw UsageError(fmt::format("'{}' is not a valid driver name (use letters, digits, '_' and '-')", name));
  }
  for (const auto& existing : drivers_) {
    if (existing->identity.name == name && existing->object != nullptr) {
      throw UsageError(fmt::format("a driver named '{}' is already loaded", name));
    }
  }
  auto record = std::make_unique<DriverRecord>();
  record->identity.name = name;
  record->identity.id = static_cast<std::uint32_t>(drivers_.size() + 1);
  auto* body = static_cast<DriverObjectBody*>(objects_.create_object(driver_type_, sizeof(DriverObjectBody)));
  DRIVER_OBJECT& object = body->object;
  object.Type = IO_TYPE_DRIVER;
  object.Size = static_cast<CSHORT>(sizeof(DRIVER_OBJECT));
  object.DriverExtension = &body->extension;
  object.DriverInit = entry;
  object.DriverStart = image_start != nullptr ? image_start : reinterpret_cast<PVOID>(entry);
  object.DriverSize = image_size;
  body->extension.DriverObject = &object;
  record->name_buffer = u"\\Driver\\" + widen(name);
  set_string(object.DriverName, record->name_buffer);
  record->registry_buffer = u"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\" + widen(name);
  set_string(record->registry_path, record->registry_buffer);
  set_string(body->extension.ServiceKeyName, record->registry_buffer);
  body->extension.ServiceKeyName.Buffer += record->registry_buffer.size() - name.size();
  body->extension.ServiceKeyName.Length = static_cast<USHORT>(name.size() * sizeof(WCHAR));
  body->extension.ServiceKeyName.MaximumLength = static_cast<USHORT>((name.size() + 1) * sizeof(WCHAR));
  for (auto& dispatch : object.MajorFunction) dispatch = &wdmlab_io_invalid_device_request;
  record->object = &object;
  body->record = record.get();
  drivers_.push_back(std::move(record));
  return *drivers_.back();
}

DriverRecord* IoManager::find(PDRIVER_OBJECT object) {
  for (auto& record : drivers_) {
    if (record->object == object) return record.get();
  }
  return nullptr;
}

}  // namespace wdmlab::io

extern "C" NTSTATUS NTAPI wdmlab_io_invalid_device_request(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  (void)DeviceObject;
  Irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_INVALID_DEVICE_REQUEST;
}
