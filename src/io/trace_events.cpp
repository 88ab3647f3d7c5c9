#include "io/trace_events.hpp"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "io/driver.hpp"

namespace wdmlab::io::trace {

namespace {

constexpr std::array<std::string_view, IRP_MJ_MAXIMUM_FUNCTION + 1> kMajorNames = {
    "CREATE",         "CREATE_NAMED_PIPE",       "CLOSE",
    "READ",           "WRITE",                   "QUERY_INFORMATION",
    "SET_INFORMATION", "QUERY_EA",               "SET_EA",
    "FLUSH_BUFFERS",  "QUERY_VOLUME_INFORMATION", "SET_VOLUME_INFORMATION",
    "DIRECTORY_CONTROL", "FILE_SYSTEM_CONTROL",  "DEVICE_CONTROL",
    "INTERNAL_DEVICE_CONTROL", "SHUTDOWN",       "LOCK_CONTROL",
    "CLEANUP",        "CREATE_MAILSLOT",         "QUERY_SECURITY",
    "SET_SECURITY",   "POWER",                   "SYSTEM_CONTROL",
    "DEVICE_CHANGE",  "QUERY_QUOTA",             "SET_QUOTA",
    "PNP",
};

std::uint64_t key_of(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

std::string irp_name(PIRP irp) { return fmt::format("IRP {}", static_cast<const void*>(irp)); }

}  // namespace

void routine_begins(sched::Scheduler& scheduler, const char* category, const void* routine, PIRP irp,
                    const base::DriverIdentity* driver) {
  const std::string& symbol = scheduler.trace_routine_name(routine, driver);
  std::string name;
  if (std::string_view(category) == "dispatch") {
    // The location the routine is called for: the current one when a dispatch routine starts.
    const UCHAR major = IoGetCurrentIrpStackLocation(irp)->MajorFunction;
    name = major < kMajorNames.size() ? fmt::format("IRP_MJ_{} {}", kMajorNames[major], symbol)
                                      : fmt::format("IRP_MJ_0x{:02x} {}", major, symbol);
  } else {
    name = fmt::format("{} {}", category, symbol);
  }
  scheduler.trace_event(TraceEvent::Phase::Begin, category, std::move(name), key_of(irp));
}

void routine_ends(sched::Scheduler& scheduler, const char* category, PIRP irp) {
  scheduler.trace_event(TraceEvent::Phase::End, category, {}, key_of(irp));
}

void dispatch_returned(sched::Scheduler& scheduler, PIRP irp, NTSTATUS status) {
  routine_ends(scheduler, "dispatch", irp);
  if (status == STATUS_PENDING) irp_instant(scheduler, irp, "pended");
}

void irp_allocated(sched::Scheduler& scheduler, PIRP irp) {
  scheduler.trace_event(TraceEvent::Phase::AsyncBegin, "irp", irp_name(irp), key_of(irp));
}

void irp_freed(sched::Scheduler& scheduler, PIRP irp) {
  scheduler.trace_event(TraceEvent::Phase::AsyncEnd, "irp", irp_name(irp), key_of(irp));
}

void irp_instant(sched::Scheduler& scheduler, PIRP irp, const char* what) {
  scheduler.trace_event(TraceEvent::Phase::Instant, "irp", fmt::format("{} {}", irp_name(irp), what), key_of(irp));
}

}  // namespace wdmlab::io::trace
