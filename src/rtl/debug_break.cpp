// Breakpoints, assertions and fail-fast: what happens to driver code on a checked path when no
// kernel debugger is attached.
#include <fmt/format.h>

#include "rtl/exception.hpp"
#include "sched/scheduler.hpp"
#include "wdmlab/errors.hpp"

namespace {


[[noreturn]] void raise_breakpoint(const void* address) {
  EXCEPTION_RECORD record{};
  record.ExceptionCode = STATUS_BREAKPOINT;
  record.ExceptionAddress = const_cast<void*>(address);
  record.NumberParameters = 1;
  wdmlab::rtl::raise(record);
}

}  // namespace

extern "C" {

// Without a debugger a breakpoint is an exception (STATUS_BREAKPOINT) like any other.
VOID NTAPI DbgBreakPoint(VOID) {
  wdmlab::sched::scheduling_point();
  raise_breakpoint(__builtin_return_address(0));
}

VOID NTAPI DbgBreakPointWithStatus(ULONG Status) {
  wdmlab::sched::scheduling_point();
  (void)Status;
  raise_breakpoint(__builtin_return_address(0));
}

// ASSERT in a checked build: the assertion is printed, then a breakpoint stops the system when no
// debugger is there to catch it (bug check 0x7E or 0x1E with code 0x80000003). The lab puts the
// text in the exception's description through the log.
VOID NTAPI RtlAssert(PVOID VoidFailedAssertion, PVOID VoidFileName, ULONG LineNumber, PSTR MutableMessage) {
  wdmlab::sched::scheduling_point();
  DbgPrint("*** Assertion failed: %s%s\n***   Source File: %s, line %u\n\n",
           MutableMessage != nullptr ? MutableMessage : "", static_cast<const char*>(VoidFailedAssertion),
           static_cast<const char*>(VoidFileName), LineNumber);
  raise_breakpoint(__builtin_return_address(0));
}

// __fastfail: no handler can intercept it; Windows stops with KERNEL_SECURITY_CHECK_FAILURE.
VOID NTAPI RtlFailFast(ULONG Code) {
  wdmlab::Finding finding;
  finding.code = KERNEL_SECURITY_CHECK_FAILURE;
  finding.name = "KERNEL_SECURITY_CHECK_FAILURE";
  finding.parameters = {Code, 0, 0, 0};
  finding.description =
      Code == FAST_FAIL_CORRUPT_LIST_ENTRY
          ? "A LIST_ENTRY is corrupt: an entry's neighbours do not point back to it (parameter 1 = 3). Typical "
            "causes: removing an entry twice, inserting one already on a list, or using freed memory."
          : fmt::format("__fastfail({}) was called.", Code);
  wdmlab::sched::Scheduler* scheduler = wdmlab::sched::Scheduler::current();
  if (scheduler == nullptr || scheduler->running() == nullptr) {
    throw wdmlab::UsageError(fmt::format("KERNEL_SECURITY_CHECK_FAILURE on the host: {}", finding.description));
  }
  scheduler->stop(std::move(finding));
}

}  // extern "C"
