// The cancel spin lock and IoCancelIrp.
#include <fmt/format.h>

#include "io/completion.hpp"
#include "io/driver.hpp"
#include "io/violation.hpp"
#include "ke/bugcheck.hpp"
#include "sched/scheduler.hpp"

using wdmlab::io::IoManager;

extern "C" {

VOID NTAPI IoAcquireCancelSpinLock(PKIRQL Irql) {
  wdmlab::sched::scheduling_point();
  KeAcquireSpinLock(&IoManager::require().cancel_lock(), Irql);
}

VOID NTAPI IoReleaseCancelSpinLock(KIRQL Irql) {
  wdmlab::sched::scheduling_point();
  KeReleaseSpinLock(&IoManager::require().cancel_lock(), Irql);
}

BOOLEAN NTAPI IoCancelIrp(PIRP Irp) {
  wdmlab::sched::scheduling_point();
  const void* caller = __builtin_return_address(0);
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "IoCancelIrp", caller, Irp);
  KIRQL irql;
  IoAcquireCancelSpinLock(&irql);
  Irp->Cancel = TRUE;
  PDRIVER_CANCEL routine = IoSetCancelRoutine(Irp, nullptr);
  if (routine == nullptr) {
    IoReleaseCancelSpinLock(irql);
    return FALSE;
  }
  if (Irp->CurrentLocation > Irp->StackCount) {
    wdmlab::ke::bug_check(CANCEL_STATE_IN_COMPLETED_IRP, wdmlab::io::address_of(Irp),
                          wdmlab::io::address_of(reinterpret_cast<const void*>(routine)), 0, 0,
                          fmt::format("IoCancelIrp found cancel routine {} set on IRP {}, which no driver holds (it "
                                      "is being completed): a completed IRP must not keep a cancel routine.",
                                      reinterpret_cast<const void*>(routine), static_cast<const void*>(Irp)));
  }
  Irp->CancelIrql = irql;
  PDEVICE_OBJECT device = IoGetCurrentIrpStackLocation(Irp)->DeviceObject;
  wdmlab::io::call_cancel_routine(routine, device, Irp);
  return TRUE;
}

}  // extern "C"
