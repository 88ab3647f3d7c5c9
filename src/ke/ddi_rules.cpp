// DDI compliance checking (verifier /flags 0x20000) for the kernel's rules: which Irql* rule
// covers which routine, and how a broken rule with a Driver Verifier ID is reported. The groups
// are those of Microsoft's Irql rule set pages for WDM; a routine the lab exports that no group
// names keeps the rule its contract check passes (or none).
#include <wdm.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>

#include "ke/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace wdmlab::ke {

namespace {

struct Covered {
  std::string_view routine;
  const char* rule;
};

// Sorted by routine.
constexpr auto kCovered = std::to_array<Covered>({
    {"ExAcquireFastMutex", "IrqlExApcLte1"},
    {"ExAcquireResourceExclusiveLite", "IrqlExApcLte3"},
    {"ExAcquireResourceSharedLite", "IrqlExApcLte3"},
    {"ExAcquireSharedStarveExclusive", "IrqlExApcLte3"},
    {"ExAcquireSharedWaitForExclusive", "IrqlExApcLte3"},
    {"ExAllocateFromPagedLookasideList", "IrqlExApcLte2"},
    {"ExConvertExclusiveToSharedLite", "IrqlExApcLte3"},
    {"ExDeletePagedLookasideList", "IrqlExApcLte2"},
    {"ExFreeToPagedLookasideList", "IrqlExApcLte2"},
    {"ExInitializePagedLookasideList", "IrqlExApcLte2"},
    {"ExTryToAcquireFastMutex", "IrqlExApcLte1"},
    {"IoAttachDevice", "IrqlIoPassive1"},
    {"IoBuildDeviceIoControlRequest", "IrqlIoPassive1"},
    {"IoCheckShareAccess", "IrqlIoPassive2"},
    {"IoConnectInterrupt", "IrqlIoPassive2"},
    {"IoCreateDevice", "IrqlIoPassive1"},
    {"IoCreateFile", "IrqlIoPassive4"},
    {"IoCreateNotificationEvent", "IrqlIoPassive4"},
    {"IoCreateSymbolicLink", "IrqlIoPassive3"},
    {"IoCreateSynchronizationEvent", "IrqlIoPassive4"},
    {"IoCreateUnprotectedSymbolicLink", "IrqlIoPassive4"},
    {"IoDeleteDevice", "IrqlIoApcLte"},
    {"IoDeleteSymbolicLink", "IrqlIoPassive4"},
    {"IoDetachDevice", "IrqlIoPassive3"},
    {"IoDisconnectInterrupt", "IrqlIoPassive4"},
    {"IoGetDeviceObjectPointer", "IrqlIoPassive5"},
    {"IoGetDmaAdapter", "IrqlIoPassive5"},
    {"IoInitializeTimer", "IrqlIoPassive5"},
    {"IoRegisterDeviceInterface", "IrqlIoPassive3"},
    {"IoRegisterShutdownNotification", "IrqlIoPassive5"},
    {"IoRemoveShareAccess", "IrqlIoPassive5"},
    {"IoSetDeviceInterfaceState", "IrqlIoPassive1"},
    {"IoSetShareAccess", "IrqlIoPassive5"},
    {"IoStartNextPacket", "IrqlDispatch"},
    {"IoStartNextPacketByKey", "IrqlDispatch"},
    {"IoUnregisterShutdownNotification", "IrqlIoPassive5"},
    {"IoUpdateShareAccess", "IrqlIoPassive5"},
    {"KeAcquireGuardedMutex", "IrqlKeApcLte1"},
    {"KeAcquireInStackQueuedSpinLock", "IrqlKeDispatchLte"},
    {"KeAcquireSpinLock", "IrqlKeDispatchLte"},
    {"KeCancelTimer", "IrqlKeDispatchLte"},
    {"KeClearEvent", "IrqlKeDispatchLte"},
    {"KeDelayExecutionThread", "IrqlKeApcLte1"},
    {"KeEnterCriticalRegion", "IrqlKeApcLte2"},
    {"KeEnterGuardedRegion", "IrqlKeApcLte2"},
    {"KeInsertByKeyDeviceQueue", "IrqlDispatch"},
    {"KeInsertDeviceQueue", "IrqlDispatch"},
    {"KeLeaveCriticalRegion", "IrqlKeApcLte2"},
    {"KeLeaveGuardedRegion", "IrqlKeApcLte2"},
    {"KePulseEvent", "IrqlKeDispatchLte"},
    {"KeReadStateEvent", "IrqlKeDispatchLte"},
    {"KeReleaseGuardedMutex", "IrqlKeApcLte1"},
    {"KeReleaseMutex", "IrqlKeDispatchLte"},
    {"KeReleaseSemaphore", "IrqlKeDispatchLte"},
    {"KeReleaseSpinLock", "IrqlKeReleaseSpinLock"},
    {"KeRemoveByKeyDeviceQueue", "IrqlDispatch"},
    {"KeRemoveDeviceQueue", "IrqlDispatch"},
    {"KeResetEvent", "IrqlKeDispatchLte"},
    {"KeRestoreFloatingPointState", "IrqlKeDispatchLte"},
    {"KeSaveFloatingPointState", "IrqlKeDispatchLte"},
    {"KeSetEvent", "IrqlKeSetEvent"},
    {"KeSetTimer", "IrqlKeDispatchLte"},
    {"KeSetTimerEx", "IrqlKeDispatchLte"},
    {"KeTryToAcquireGuardedMutex", "IrqlKeApcLte1"},
    {"MmAllocateNonCachedMemory", "IrqlMmApcLte"},
    {"MmAllocatePagesForMdl", "IrqlMmApcLte"},
    {"MmAllocatePagesForMdlEx", "IrqlMmApcLte"},
    {"MmFreeContiguousMemory", "IrqlMmDispatch"},
    {"MmFreeNonCachedMemory", "IrqlMmApcLte"},
    {"MmLockPagableCodeSection", "IrqlMmApcLte"},
    {"MmLockPagableDataSection", "IrqlMmApcLte"},
    {"MmSecureVirtualMemory", "IrqlMmApcLte"},
    {"MmUnlockPagableImageSection", "IrqlMmApcLte"},
    {"MmUnsecureVirtualMemory", "IrqlMmApcLte"},
    {"ObGetObjectSecurity", "IrqlApcLte"},
    {"ObReferenceObjectByHandle", "IrqlObPassive"},
    {"ObReleaseObjectSecurity", "IrqlApcLte"},
    {"ProbeForRead", "IrqlExApcLte2"},
    {"ProbeForWrite", "IrqlExApcLte2"},
    {"PsCreateSystemThread", "IrqlPsPassive"},
    {"PsRemoveCreateThreadNotifyRoutine", "IrqlPsPassive"},
    {"PsRemoveLoadImageNotifyRoutine", "IrqlPsPassive"},
    {"PsSetCreateProcessNotifyRoutine", "IrqlPsPassive"},
    {"PsSetCreateProcessNotifyRoutineEx", "IrqlPsPassive"},
    {"PsSetCreateThreadNotifyRoutine", "IrqlPsPassive"},
    {"PsSetLoadImageNotifyRoutine", "IrqlPsPassive"},
    {"PsTerminateSystemThread", "IrqlPsPassive"},
    {"RtlDeleteRegistryValue", "IrqlRtlPassive"},
    {"ZwClose", "IrqlZwPassive"},
    {"ZwCreateKey", "IrqlZwPassive"},
    {"ZwDeleteKey", "IrqlZwPassive"},
    {"ZwDeleteValueKey", "IrqlZwPassive"},
    {"ZwEnumerateKey", "IrqlZwPassive"},
    {"ZwEnumerateValueKey", "IrqlZwPassive"},
    {"ZwFlushKey", "IrqlZwPassive"},
    {"ZwOpenKey", "IrqlZwPassive"},
    {"ZwQueryKey", "IrqlZwPassive"},
    {"ZwQueryValueKey", "IrqlZwPassive"},
    {"ZwSetValueKey", "IrqlZwPassive"},
});

static_assert(std::is_sorted(kCovered.begin(), kCovered.end(),
                             [](const Covered& a, const Covered& b) { return a.routine < b.routine; }));

const char* level_name(std::uint8_t irql) {
  switch (irql) {
    case PASSIVE_LEVEL:
      return "PASSIVE_LEVEL";
    case APC_LEVEL:
      return "APC_LEVEL";
    case DISPATCH_LEVEL:
      return "DISPATCH_LEVEL";
    default:
      return "its documented IRQL";
  }
}

// The condition's text, kept for the life of the process so that parameter 2 can point at it
// as Windows points it at the rule's message.
const char* condition_text(std::string text) {
  static std::set<std::string> texts;
  return texts.insert(std::move(text)).first->c_str();
}

}  // namespace

const char* irql_rule_of(std::string_view routine) {
  auto it = std::lower_bound(kCovered.begin(), kCovered.end(), routine,
                             [](const Covered& covered, std::string_view name) { return covered.routine < name; });
  return it != kCovered.end() && it->routine == routine ? it->rule : nullptr;
}

void ddi_rule_violation(std::uint64_t id, const char* condition, const void* caller, std::string description) {
  verifier::violation({.parameters = {id, reinterpret_cast<std::uintptr_t>(condition), 0,
                                      reinterpret_cast<std::uintptr_t>(caller)},
                       .description = std::move(description)});
}

void irql_rule_violation(const char* rule, const char* routine, std::uint8_t maximum, const void* caller) {
  if (rule == nullptr) return;
  const verifier::Rule* row = verifier::find_rule_by_name(rule);
  if (row == nullptr || !verifier::active(kVerifierDdiCompliance)) return;
  // These rules ask for exactly DISPATCH_LEVEL; the others for an upper bound.
  const std::string_view name = rule;
  const bool exactly = maximum == PASSIVE_LEVEL || name == "IrqlKeReleaseSpinLock" || name == "IrqlDispatch";
  const char* condition = condition_text(
      fmt::format("{} should only be called at IRQL {} {}.", routine, exactly ? "=" : "<=", level_name(maximum)));
  ddi_rule_violation(row->subcode, condition, caller,
                     fmt::format("DDI compliance rule {} (0x{:X}): {} It was called at IRQL {}.", rule, row->subcode,
                                 condition, current_irql()));
}

}  // namespace wdmlab::ke
