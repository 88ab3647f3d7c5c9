// rtl/exception.hpp - raising and dispatching structured exceptions.
//
// The __try/__except/__finally macros (include/excpt.h) push frames on the running context's
// frame chain; raise() walks that chain innermost first (see excpt.h for how and where this
// differs from the Microsoft compiler). An exception no frame handles goes to the unhandled
// exception handler that ke installs, which bug checks with the code Windows would use.
//
// Contract for the lab's own code: nothing between a driver's __try and the raise may rely on
// C++ destructors running, because dispatch unwinds with longjmp. Lab routines that can raise
// must not hold RAII objects across the raising call.
#pragma once

#include <wdm.h>

#include <cstdint>

namespace wdmlab::sched {
class Context;
}

namespace wdmlab::rtl {

// Raises `record` in the running context (or on the host, for host-side __try blocks).
// `context_record`, when given, describes the machine state at the exception (faults).
[[noreturn]] void raise(const EXCEPTION_RECORD& record, const CONTEXT* context_record = nullptr);

// Raises a status the way RtlRaiseStatus does: noncontinuable, no parameters, the exception
// address is `address` (the driver's call site).
[[noreturn]] void raise_status(NTSTATUS status, const void* address);

// Called when no frame handles an exception; must not return. Installed by ke.
using UnhandledExceptionHandler = void (*)(const EXCEPTION_RECORD& record, const CONTEXT& context);
void set_unhandled_exception_handler(UnhandledExceptionHandler handler);

// Number of __try frames active in the running context (for tests and reports).
std::size_t active_frame_count();

}  // namespace wdmlab::rtl
