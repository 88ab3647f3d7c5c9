// ExRaiseStatus and its two fixed-status forms. The exception address is the driver's call site.
#include <wdm.h>

#include "rtl/exception.hpp"
#include "sched/scheduler.hpp"

extern "C" {

VOID NTAPI ExRaiseStatus(NTSTATUS Status) {
  wdmlab::sched::scheduling_point();
  wdmlab::rtl::raise_status(Status, __builtin_return_address(0));
}

VOID NTAPI ExRaiseAccessViolation(VOID) {
  wdmlab::sched::scheduling_point();
  wdmlab::rtl::raise_status(STATUS_ACCESS_VIOLATION, __builtin_return_address(0));
}

VOID NTAPI ExRaiseDatatypeMisalignment(VOID) {
  wdmlab::sched::scheduling_point();
  wdmlab::rtl::raise_status(STATUS_DATATYPE_MISALIGNMENT, __builtin_return_address(0));
}

}  // extern "C"
