#include "io/irp_log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <unordered_map>

#include "io/driver.hpp"
#include "verifier/verifier.hpp"
#include "wdmlab/irp_log.hpp"

namespace wdmlab::io {

namespace {

struct DeviceLog {
  std::deque<IrpLogRecord> records;  // oldest first, at most irp_log_depth
};

struct IrpLog {
  std::unordered_map<std::uintptr_t, DeviceLog> devices;
};

std::string describe(const IrpLogRecord& record, std::uintptr_t device) {
  std::string text = fmt::format("t={} IRP {:#x} to device {:#x}: major 0x{:02x} minor 0x{:02x}, {} mode, thread {:#x}",
                                 record.dispatched_at, record.irp, device, record.major, record.minor,
                                 record.requestor_mode == KernelMode ? "kernel" : "user", record.thread);
  if (record.completed) {
    text += fmt::format("; completed at t={} with 0x{:08X}, information {}", record.completed_at,
                        static_cast<std::uint32_t>(record.status), record.information);
  }
  return text;
}

// Every record of the IRP at `address`, on every device it visited, in dispatch order.
std::vector<std::string> history_of(const IrpLog& log, std::uint64_t address) {
  std::vector<std::pair<const IrpLogRecord*, std::uintptr_t>> found;
  for (const auto& [device, entry] : log.devices) {
    for (const IrpLogRecord& record : entry.records) {
      if (record.irp == address) found.emplace_back(&record, device);
    }
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first->dispatched_at < b.first->dispatched_at; });
  std::vector<std::string> lines;
  for (const auto& [record, device] : found) lines.push_back(describe(*record, device));
  return lines;
}

// The log of the lab on this thread, made (and its history provider registered) on first use.
IrpLog* log_of(verifier::Verifier& verifier) {
  if (verifier.irp_log == nullptr) {
    auto log = std::make_shared<IrpLog>();
    verifier.irp_log = log;
    verifier.set_irp_history_provider(
        [weak = std::weak_ptr<IrpLog>(log)](std::uint64_t address) -> std::vector<std::string> {
          const std::shared_ptr<IrpLog> held = weak.lock();
          return held != nullptr ? history_of(*held, address) : std::vector<std::string>{};
        });
  }
  return static_cast<IrpLog*>(verifier.irp_log.get());
}

bool logging_for(verifier::Verifier& verifier, const DEVICE_OBJECT* device) {
  // Most labs log nothing: answer without looking the device's driver up.
  const VerifierOptions& options = verifier.options();
  if ((options.flags & kVerifierIrpLogging) == 0 && options.driver_flags.empty()) return false;
  return (verifier.flags_for(driver_of(device)) & kVerifierIrpLogging) != 0;
}

std::uint64_t now() {
  sched::Scheduler* scheduler = sched::Scheduler::current();
  return scheduler != nullptr ? scheduler->now() : 0;
}

}  // namespace

void log_irp_dispatch(PDEVICE_OBJECT device, PIRP irp) {
  verifier::Verifier* verifier = verifier::Verifier::current();
  if (verifier == nullptr || !logging_for(*verifier, device)) return;
  const PIO_STACK_LOCATION location = IoGetCurrentIrpStackLocation(irp);
  DeviceLog& entry = log_of(*verifier)->devices[reinterpret_cast<std::uintptr_t>(device)];
  entry.records.push_back({.irp = reinterpret_cast<std::uintptr_t>(irp),
                           .major = location->MajorFunction,
                           .minor = location->MinorFunction,
                           .requestor_mode = irp->RequestorMode,
                           .thread = reinterpret_cast<std::uintptr_t>(irp->Tail.Overlay.Thread),
                           .dispatched_at = now()});
  const std::size_t depth = std::max(1u, verifier->options().irp_log_depth);
  while (entry.records.size() > depth) entry.records.pop_front();
}

void log_irp_completion(PIRP irp) {
  verifier::Verifier* verifier = verifier::Verifier::current();
  if (verifier == nullptr || verifier->irp_log == nullptr || irp->CurrentLocation > irp->StackCount) return;
  IrpLog& log = *static_cast<IrpLog*>(verifier->irp_log.get());
  // The walk completes the IRP for every device from the current location up; each device that
  // logged it keeps its own record.
  const PIO_STACK_LOCATION end = reinterpret_cast<PIO_STACK_LOCATION>(irp + 1) + irp->StackCount;
  for (PIO_STACK_LOCATION location = IoGetCurrentIrpStackLocation(irp); location < end; ++location) {
    auto device = log.devices.find(reinterpret_cast<std::uintptr_t>(location->DeviceObject));
    if (device == log.devices.end()) continue;
    for (auto it = device->second.records.rbegin(); it != device->second.records.rend(); ++it) {
      if (it->irp != reinterpret_cast<std::uintptr_t>(irp) || it->completed) continue;
      it->completed = true;
      it->status = irp->IoStatus.Status;
      it->information = irp->IoStatus.Information;
      it->completed_at = now();
      break;
    }
  }
}

}  // namespace wdmlab::io

namespace wdmlab {

std::vector<IrpLogRecord> irp_log(const void* device) {
  verifier::Verifier* verifier = verifier::Verifier::current();
  if (verifier == nullptr || verifier->irp_log == nullptr) return {};
  const auto* log = static_cast<const io::IrpLog*>(verifier->irp_log.get());
  auto found = log->devices.find(reinterpret_cast<std::uintptr_t>(device));
  if (found == log->devices.end()) return {};
  return {found->second.records.begin(), found->second.records.end()};
}

}  // namespace wdmlab
