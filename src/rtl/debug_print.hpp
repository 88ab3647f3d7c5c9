// rtl/debug_print.hpp - DbgPrint and its relatives, and the component filter of Windows' debug
// output.
//
// Every message is appended to the log of the lab on this OS thread (base::current_log()),
// whatever its component and level: the lab keeps everything a driver prints. The component
// filter decides only what a kernel debugger would display; DbgQueryDebugFilterState and
// DbgSetDebugFilterState read and change it as documented: a component's mask is ORed with the
// system-wide mask (0x1, DPFLTR_ERROR_LEVEL, always on), and a message is displayed if that
// mask ANDed with its importance bitfield (1 << Level for Level 0..31, Level itself above) is
// nonzero.
//
// Threading: the filter is per OS thread, like the lab; reset_debug_filter() restores the boot
// defaults and is called when a lab is created.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <string>

#include <ntdef.h>

namespace wdmlab::rtl {

// Windows passes at most this many bytes of one message to the debugger; the rest is lost.
inline constexpr std::size_t kDebugPrintMaxBytes = 512;

// Appends one line to the log of the lab on this OS thread, charged to the running context (its
// name, processor and driver) at the current virtual time. Nothing happens without a lab.
void log_line(std::string text, ULONG component = 0, ULONG level = 0);
// Formats and logs one message (prefix, then the formatted text, cut at kDebugPrintMaxBytes).
// Returns STATUS_SUCCESS.
NTSTATUS debug_print(const char* prefix, ULONG component, ULONG level, const char* format, std::va_list args);

NTSTATUS query_debug_filter_state(ULONG component, ULONG level);
NTSTATUS set_debug_filter_state(ULONG component, ULONG level, bool state);
void reset_debug_filter();

}  // namespace wdmlab::rtl
