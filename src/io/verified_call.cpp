#include "io/verified_call.hpp"

#include <fmt/format.h>

#include "io/completion.hpp"
#include "io/ddi_rules.hpp"
#include "io/driver.hpp"
#include "io/violation.hpp"
#include "mm/user_memory.hpp"
#include "verifier/verifier.hpp"

namespace wdmlab::io {

namespace {

// The caller's completion routine (in the stack location below it), replaced while the call is
// watched.
struct HeldCompletion {
  PIO_COMPLETION_ROUTINE routine = nullptr;
  PVOID context = nullptr;
  UCHAR control = 0;
  bool holding = true;              // IoCallDriver has not returned yet: hold completion back
  bool held = false;                // the completion walk reached the caller's boundary
  PDEVICE_OBJECT device = nullptr;  // the device the walk passed to the routine
};

bool invoked_for(UCHAR control, const IRP* irp) {
  const NTSTATUS status = irp->IoStatus.Status;
  return (NT_SUCCESS(status) && (control & SL_INVOKE_ON_SUCCESS) != 0) ||
         (!NT_SUCCESS(status) && (control & SL_INVOKE_ON_ERROR) != 0) ||
         (irp->Cancel && (control & SL_INVOKE_ON_CANCEL) != 0);
}

// What the walk does at the caller's boundary: the caller's routine, or without one the
// propagation of the pending mark. Returns the routine's result.
NTSTATUS continue_at_boundary(const HeldCompletion& held, PIRP irp) {
  if (held.routine != nullptr && invoked_for(held.control, irp)) {
    DriverScope scope(held.device != nullptr ? driver_of(held.device) : nullptr);
    return held.routine(held.device, irp, held.context);
  }
  if (irp->PendingReturned && irp->CurrentLocation <= irp->StackCount) IoMarkIrpPending(irp);
  return STATUS_CONTINUE_COMPLETION;
}

NTSTATUS NTAPI hold_back(PDEVICE_OBJECT device, PIRP irp, PVOID context) {
  auto* hold = static_cast<HeldCompletion*>(context);
  hold->device = device;
  if (hold->holding) {
    hold->held = true;
    return STATUS_MORE_PROCESSING_REQUIRED;
  }
  const HeldCompletion held = *hold;
  delete hold;
  return continue_at_boundary(held, irp);
}

void check_kernel_request_buffers(PIRP irp) {
  if (irp == nullptr || irp->RequestorMode != KernelMode || !verifier::active(kVerifierSecurityChecks)) return;
  for (const void* buffer :
       {static_cast<const void*>(irp->UserBuffer), static_cast<const void*>(irp->AssociatedIrp.SystemBuffer)}) {
    if (buffer == nullptr || !mm::is_user_address(buffer)) continue;
    verifier::violation(
        {.parameters = {0xE2, address_of(irp), address_of(buffer), 0},
         .description = fmt::format("IoCallDriver was given IRP {} with RequestorMode KernelMode and the user-mode "
                                    "buffer {}: the drivers below trust a KernelMode request's buffers without "
                                    "probing them (set RequestorMode to UserMode, or pass a kernel copy).",
                                    static_cast<const void*>(irp), buffer)});
    return;
  }
}

}  // namespace

NTSTATUS verified_call_driver(PDEVICE_OBJECT device, PIRP irp, const void* caller) {
  check_kernel_request_buffers(irp);
  verifier::Verifier* verifier = verifier::Verifier::current();
  if (verifier == nullptr || irp == nullptr || irp->CurrentLocation <= 1 ||
      !verifier::active(kVerifierForcePendingIo) || !verifier->chance(verifier->options().force_pending_probability)) {
    return call_driver(device, irp, caller);
  }
  PIO_STACK_LOCATION below = IoGetNextIrpStackLocation(irp);
  auto* hold =
      new HeldCompletion{.routine = below->CompletionRoutine, .context = below->Context, .control = below->Control};
  below->CompletionRoutine = &hold_back;
  below->Context = hold;
  below->Control |= SL_INVOKE_ON_SUCCESS | SL_INVOKE_ON_ERROR | SL_INVOKE_ON_CANCEL;
  const NTSTATUS status = call_driver(device, irp, caller);
  if (!hold->held) {
    hold->holding = false;  // still with the drivers below: their completion passes straight through
    return status;
  }
  const HeldCompletion held = *hold;
  delete hold;
  // Completed before IoCallDriver returned; a lower driver that pended it and completed it at once
  // already returned STATUS_PENDING, and is not counted as forced.
  VerifierCounters* counters = verifier::counters();
  if (counters != nullptr && status != STATUS_PENDING) ++counters->forced_pending;
  irp->PendingReturned = TRUE;
  if (continue_at_boundary(held, irp) != STATUS_MORE_PROCESSING_REQUIRED) {
    complete_request(irp, IO_NO_INCREMENT, nullptr);  // the rest of the walk, above the caller (no driver call)
  }
  ddi::on_forward_returned(irp, STATUS_PENDING);  // what the caller's dispatch routine is given
  return STATUS_PENDING;
}

}  // namespace wdmlab::io
