// DbgPrint, DbgPrintEx, vDbgPrintEx, vDbgPrintExWithPrefix, DbgQueryDebugFilterState and
// DbgSetDebugFilterState (declared in wdk/rtl.h).
#include "rtl/debug_print.hpp"

#include <array>
#include <string>

#include <dpfilter.h>
#include <ntstatus.h>
#include <wdk/rtl.h>

#include "base/driver_identity.hpp"
#include "base/log_sink.hpp"
#include "rtl/format.hpp"
#include "sched/scheduler.hpp"

namespace wdmlab::rtl {

namespace {

constexpr ULONG kSystemMask = 1U << DPFLTR_ERROR_LEVEL;  // the WIN2000 mask at boot

struct DebugFilter {
  std::array<ULONG, DPFLTR_ENDOFTABLE_ID> component_masks{};
};

thread_local DebugFilter t_filter;

ULONG importance(ULONG level) { return level < 32 ? 1U << level : level; }

}  // namespace

void log_line(std::string text, ULONG component, ULONG level) {
  Log* log = base::current_log();
  if (log == nullptr) return;
  LogRecord record;
  record.component = component;
  record.level = level;
  record.text = std::move(text);
  record.context = "host";
  if (sched::Scheduler* scheduler = sched::Scheduler::current()) {
    record.virtual_time = scheduler->now();
    if (sched::Processor* processor = scheduler->current_processor()) {
      record.processor = static_cast<int>(processor->index());
    }
    if (sched::Context* context = scheduler->running()) {
      record.context = context->name();
      if (const base::DriverIdentity* driver = context->driver()) record.driver = driver->name;
    }
  }
  log->append(std::move(record));
}

NTSTATUS debug_print(const char* prefix, ULONG component, ULONG level, const char* format, std::va_list args) {
  std::string text = prefix;
  text += format_to_string(format, args, FormatDialect::DebugPrint);
  if (text.size() > kDebugPrintMaxBytes) text.resize(kDebugPrintMaxBytes);
  if (!text.empty() && text.back() == '\n') text.pop_back();

  log_line(std::move(text), component, level);
  return STATUS_SUCCESS;
}

NTSTATUS query_debug_filter_state(ULONG component, ULONG level) {
  if (component >= t_filter.component_masks.size()) return STATUS_INVALID_PARAMETER_1;
  const ULONG mask = t_filter.component_masks[component] | kSystemMask;
  return (mask & importance(level)) != 0 ? TRUE : FALSE;
}

NTSTATUS set_debug_filter_state(ULONG component, ULONG level, bool state) {
  if (component >= t_filter.component_masks.size()) return STATUS_INVALID_PARAMETER_1;
  ULONG& mask = t_filter.component_masks[component];
  if (state) {
    mask |= importance(level);
  } else {
    mask &= ~importance(level);
  }
  return STATUS_SUCCESS;
}

void reset_debug_filter() { t_filter = DebugFilter{}; }

}  // namespace wdmlab::rtl

namespace rtl = wdmlab::rtl;

extern "C" {

ULONG __cdecl DbgPrint(PCSTR Format, ...) {
  wdmlab::sched::scheduling_point();
  if (Format == nullptr) return static_cast<ULONG>(STATUS_INVALID_PARAMETER);
  va_list arguments;
  va_start(arguments, Format);
  const NTSTATUS status = rtl::debug_print("", DPFLTR_DEFAULT_ID, DPFLTR_INFO_LEVEL, Format, arguments);
  va_end(arguments);
  return static_cast<ULONG>(status);
}

ULONG __cdecl DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...) {
  wdmlab::sched::scheduling_point();
  if (Format == nullptr) return static_cast<ULONG>(STATUS_INVALID_PARAMETER);
  va_list arguments;
  va_start(arguments, Format);
  const NTSTATUS status = rtl::debug_print("", ComponentId, Level, Format, arguments);
  va_end(arguments);
  return static_cast<ULONG>(status);
}

ULONG NTAPI vDbgPrintEx(ULONG ComponentId, ULONG Level, PCCH Format, va_list arglist) {
  wdmlab::sched::scheduling_point();
  if (Format == nullptr) return static_cast<ULONG>(STATUS_INVALID_PARAMETER);
  return static_cast<ULONG>(rtl::debug_print("", ComponentId, Level, Format, arglist));
}

ULONG NTAPI vDbgPrintExWithPrefix(PCCH Prefix, ULONG ComponentId, ULONG Level, PCCH Format, va_list arglist) {
  wdmlab::sched::scheduling_point();
  if (Format == nullptr) return static_cast<ULONG>(STATUS_INVALID_PARAMETER);
  return static_cast<ULONG>(rtl::debug_print(Prefix != nullptr ? Prefix : "", ComponentId, Level, Format, arglist));
}

NTSTATUS NTAPI DbgQueryDebugFilterState(ULONG ComponentId, ULONG Level) {
  wdmlab::sched::scheduling_point();
  return rtl::query_debug_filter_state(ComponentId, Level);
}

NTSTATUS NTAPI DbgSetDebugFilterState(ULONG ComponentId, ULONG Level, BOOLEAN State) {
  wdmlab::sched::scheduling_point();
  return rtl::set_debug_filter_state(ComponentId, Level, State != FALSE);
}

}  // extern "C"
