#include "verifier/rules.hpp"

#include <wdm.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include "wdmlab/verifier.hpp"

namespace wdmlab::verifier {

namespace {

constexpr std::uint32_t kC4 = DRIVER_VERIFIER_DETECTED_VIOLATION;
constexpr std::uint32_t kC9 = DRIVER_VERIFIER_IOMANAGER_VIOLATION;
constexpr Severity F = Severity::Fatal;
constexpr Severity N = Severity::NonFatal;
constexpr Severity W = Severity::Warning;
constexpr std::uint32_t kIo = kVerifierIoVerification;
constexpr std::uint32_t kEnhancedIo = kVerifierEnhancedIoVerification;
constexpr std::uint32_t kDdi = kVerifierDdiCompliance;

// Codes whose parameter 1 is not a subcode: one row covers the code.
constexpr Rule kRules[] = {
    // Kernel stops that Driver Verifier options produce.
    {SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION, 0, kVerifierSpecialPool, F, "", "special pool block corrupted (P4 says how)"},
    {TIMER_OR_DPC_INVALID, 0, kAutomatic, F, "", "timer or DPC found in memory being freed or unloaded"},
    {PAGE_FAULT_IN_FREED_SPECIAL_POOL, 0, kVerifierSpecialPool, F, "", "access to freed special pool"},
    {PAGE_FAULT_BEYOND_END_OF_ALLOCATION, 0, kVerifierSpecialPool, F, "", "access beyond the end of a special pool block"},
    {DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, 0, kAutomatic, F, "",
     "driver unloaded with timers, DPCs, work items or lookaside lists still live"},
    {DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL, 0, kVerifierSpecialPool, F, "", "driver touched freed special pool"},
    {DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, 0, kVerifierSpecialPool, F, "",
     "driver touched memory beyond the end of a special pool block"},
    {INVALID_KERNEL_HANDLE, 0, kVerifierMiscellaneousChecks, F, "", "invalid or protected kernel handle closed"},
    {KASAN_ILLEGAL_ACCESS, 0, kVerifierKasan, F, "", "AddressSanitizer found an illegal access"},
};

// 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION, by parameter 1. Sorted.
constexpr Rule kC4Rules[] = {
    {kC4, 0x00, kAutomatic, F, "", "allocation of zero bytes"},
    {kC4, 0x01, kAutomatic, F, "IrqlExAllocatePool", "paged pool allocated at IRQL > APC_LEVEL"},
    {kC4, 0x02, kAutomatic, F, "IrqlExAllocatePool", "nonpaged pool allocated at IRQL > DISPATCH_LEVEL"},
    {kC4, 0x03, kAutomatic, F, "", "MustSucceed allocation larger than a page"},
    {kC4, 0x10, kAutomatic, F, "", "free of an address no allocator returned"},
    {kC4, 0x11, kAutomatic, F, "", "paged pool freed at IRQL > APC_LEVEL"},
    {kC4, 0x12, kAutomatic, F, "", "nonpaged pool freed at IRQL > DISPATCH_LEVEL"},
    {kC4, 0x13, kAutomatic, F, "", "pool block freed twice"},
    {kC4, 0x14, kAutomatic, F, "", "pool block freed twice"},
    {kC4, 0x15, kAutomatic, F, "", "freed block contains an active timer"},
    {kC4, 0x16, kAutomatic, F, "", "free of a bad address"},
    {kC4, 0x17, kAutomatic, F, "", "freed block contains an active ERESOURCE"},
    {kC4, 0x30, kAutomatic, F, "IrqlKeRaiseLower", "KeRaiseIrql to a lower IRQL"},
    {kC4, 0x31, kAutomatic, F, "IrqlKeRaiseLower", "KeLowerIrql to a higher IRQL"},
    {kC4, 0x32, kAutomatic, F, "IrqlKeReleaseSpinLock", "KeReleaseSpinLock at IRQL other than DISPATCH_LEVEL"},
    {kC4, 0x33, kAutomatic, F, "IrqlExApcLte1", "fast mutex acquired at IRQL > APC_LEVEL"},
    {kC4, 0x34, kAutomatic, F, "", "fast mutex released at IRQL other than APC_LEVEL"},
    {kC4, 0x35, kAutomatic, F, "", "spin lock released at IRQL other than DISPATCH_LEVEL"},
    {kC4, 0x36, kAutomatic, F, "", "queued spin lock released at IRQL other than DISPATCH_LEVEL"},
    {kC4, 0x37, kAutomatic, F, "", "resource acquired with APCs enabled"},
    {kC4, 0x38, kAutomatic, F, "", "resource released with APCs enabled"},
    {kC4, 0x39, kAutomatic, F, "", "unsafe fast mutex acquired not at APC_LEVEL"},
    {kC4, 0x3A, kAutomatic, F, "", "unsafe fast mutex released not at APC_LEVEL"},
    {kC4, 0x3B, kAutomatic, F, "", "KeWaitXxx at IRQL >= DISPATCH_LEVEL"},
    {kC4, 0x3C, kVerifierMiscellaneousChecks, F, "", "ObReferenceObjectByHandle with a bad handle"},
    {kC4, 0x3D, kAutomatic, F, "", "ERESOURCE not aligned"},
    {kC4, 0x3E, kAutomatic, F, "CriticalRegions", "KeLeaveCriticalRegion outside a critical region"},
    {kC4, 0x3F, kAutomatic, F, "", "object reference count went from 0 to 1"},
    {kC4, 0x40, kAutomatic, F, "", "KeAcquireSpinLockAtDpcLevel below DISPATCH_LEVEL"},
    {kC4, 0x41, kAutomatic, F, "", "KeReleaseSpinLockFromDpcLevel below DISPATCH_LEVEL"},
    {kC4, 0x42, kAutomatic, F, "", "KeAcquireSpinLock above DISPATCH_LEVEL"},
    {kC4, 0x60, kVerifierPoolTracking, F, "", "unload with pool allocations still live"},
    {kC4, 0x61, kVerifierPoolTracking, F, "", "allocation made while the driver unloads"},
    {kC4, 0x62, kVerifierPoolTracking, F, "", "driver unloaded without freeing its pool allocations"},
    {kC4, 0xC0, kIo, F, "", "IoCallDriver with interrupts disabled"},
    {kC4, 0xC1, kIo, F, "", "dispatch routine returned with interrupts disabled"},
    {kC4, 0xC5, kIo, F, "", "dispatch routine changed the thread's APC-disable count"},
    {kC4, 0xCA, kAutomatic, F, "", "lookaside list initialised twice"},
    {kC4, 0xCB, kAutomatic, F, "", "lookaside list deleted without being initialised"},
    {kC4, 0xCC, kVerifierMiscellaneousChecks, F, "", "pool freed while it holds an active lookaside list"},
    {kC4, 0xCD, kAutomatic, F, "", "lookaside list block size too small"},
    {kC4, 0xD0, kAutomatic, F, "", "ERESOURCE initialised twice"},
    {kC4, 0xD1, kAutomatic, F, "", "ERESOURCE deleted without being initialised"},
    {kC4, 0xD2, kVerifierMiscellaneousChecks, F, "", "pool freed while it holds an active ERESOURCE"},
    {kC4, 0xD5, kIo, F, "RemoveLockRelease", "IoReleaseRemoveLock with a tag no acquire used"},
    {kC4, 0xD6, kIo, F, "RemoveLockRelease", "IoReleaseRemoveLockAndWait with a tag no acquire used"},
    {kC4, 0xD7, kIo, F, "", "remove lock initialised again"},
    {kC4, 0xE2, kVerifierSecurityChecks, F, "", "KernelMode IRP carries a user-mode address"},
    {kC4, 0xE3, kVerifierSecurityChecks, F, "", "Zw call with a user-mode address"},
    {kC4, 0xE4, kVerifierSecurityChecks, F, "", "Zw call with a malformed UNICODE_STRING"},
    {kC4, 0xF5, kVerifierMiscellaneousChecks, F, "", "NULL handle passed to ObReferenceObjectByHandle"},
    {kC4, 0xF6, kVerifierMiscellaneousChecks, F, "", "user-mode handle referenced with KernelMode access"},
    {kC4, 0xF7, kVerifierMiscellaneousChecks, F, "", "UserMode reference to a kernel handle"},
    {kC4, 0xFA, kIo, F, "", "completion routine returned at a different IRQL"},
    {kC4, 0xFB, kIo, F, "", "completion routine changed the APC-disable count"},
    {kC4, 0x105, kIo, F, "", "IRP freed with ExFreePool instead of IoFreeIrp"},
    {kC4, 0x10A, kVerifierPoolTracking, F, "", "pool quota charged to the Idle process"},
    {kC4, 0x10B, kVerifierPoolTracking, F, "", "pool quota charged from a DPC"},
    {kC4, 0x11A, kVerifierForceIrqlChecking, F, "IrqlKeApcLte2", "KeEnterCriticalRegion above APC_LEVEL"},
    {kC4, 0x11B, kVerifierForceIrqlChecking, F, "IrqlKeApcLte2", "KeLeaveCriticalRegion above APC_LEVEL"},
    {kC4, 0x120, kAutomatic, F, "", "wait at IRQL > DISPATCH_LEVEL"},
    {kC4, 0x121, kAutomatic, F, "", "wait at DISPATCH_LEVEL without a timeout"},
    {kC4, 0x122, kAutomatic, F, "", "wait at DISPATCH_LEVEL with a nonzero timeout"},
    {kC4, 0x135, kIo, N, "", "cancelled IRP not completed within the allowed time"},
    {kC4, 0x1000, kVerifierDeadlockDetection, F, "", "self-deadlock: a lock acquired again by its owner"},
    {kC4, 0x1001, kVerifierDeadlockDetection, F, "", "lock hierarchy violation (possible deadlock)"},
    {kC4, 0x1002, kVerifierDeadlockDetection, F, "", "lock acquired before initialisation"},
    {kC4, 0x1003, kVerifierDeadlockDetection, F, "", "locks released out of order"},
    {kC4, 0x1004, kVerifierDeadlockDetection, F, "", "lock released by a thread that does not own it"},
    {kC4, 0x1005, kVerifierDeadlockDetection, F, "", "lock initialised twice"},
    {kC4, 0x1007, kVerifierDeadlockDetection, F, "", "lock released without being acquired"},
    {kC4, 0x1008, kVerifierDeadlockDetection, F, "", "lock acquired through the wrong API"},
    {kC4, 0x1009, kVerifierDeadlockDetection, F, "", "lock released through the wrong API"},
    {kC4, 0x100A, kVerifierDeadlockDetection, F, "", "thread ended owning a lock"},
    {kC4, 0x100B, kVerifierDeadlockDetection, F, "", "lock deleted while owned"},
    // DDI compliance rules with a Driver Verifier ID.
    {kC4, 0x00020002, kDdi, F, "IrqlApcLte", "ObGet/ReleaseObjectSecurity at IRQL > APC_LEVEL"},
    {kC4, 0x00020003, kDdi, F, "IrqlDispatch", "routine requires IRQL = DISPATCH_LEVEL"},
    {kC4, 0x00020004, kDdi, F, "IrqlExAllocatePool", "ExAllocatePool* at the wrong IRQL"},
    {kC4, 0x00020005, kDdi, F, "IrqlExApcLte1", "fast mutex routine at IRQL > APC_LEVEL"},
    {kC4, 0x00020006, kDdi, F, "IrqlExApcLte2", "routine requires IRQL <= APC_LEVEL"},
    {kC4, 0x00020007, kDdi, F, "IrqlExApcLte3", "ERESOURCE routine at IRQL > APC_LEVEL"},
    {kC4, 0x00020008, kDdi, F, "IrqlExPassive", "routine requires PASSIVE_LEVEL"},
    {kC4, 0x00020009, kDdi, F, "IrqlIoApcLte", "I/O routine at IRQL > APC_LEVEL"},
    {kC4, 0x0002000A, kDdi, F, "IrqlIoPassive1", "I/O routine requires PASSIVE_LEVEL"},
    {kC4, 0x0002000B, kDdi, F, "IrqlIoPassive2", "I/O routine requires PASSIVE_LEVEL"},
    {kC4, 0x0002000C, kDdi, F, "IrqlIoPassive3", "I/O routine requires PASSIVE_LEVEL"},
    {kC4, 0x0002000D, kDdi, F, "IrqlIoPassive4", "I/O routine requires PASSIVE_LEVEL"},
    {kC4, 0x0002000E, kDdi, F, "IrqlIoPassive5", "I/O routine requires PASSIVE_LEVEL"},
    {kC4, 0x0002000F, kDdi, F, "IrqlKeApcLte1", "routine requires IRQL <= APC_LEVEL"},
    {kC4, 0x00020010, kDdi, F, "IrqlKeApcLte2", "critical or guarded region routine at IRQL > APC_LEVEL"},
    {kC4, 0x00020011, kDdi, F, "IrqlKeDispatchLte", "routine requires IRQL <= DISPATCH_LEVEL"},
    {kC4, 0x00020015, kDdi, F, "IrqlKeReleaseSpinLock", "KeReleaseSpinLock not at DISPATCH_LEVEL"},
    {kC4, 0x00020016, kDdi, F, "IrqlKeSetEvent", "KeSetEvent at the wrong IRQL"},
    {kC4, 0x00020019, kDdi, F, "IrqlMmApcLte", "memory manager routine at IRQL > APC_LEVEL"},
    {kC4, 0x0002001A, kDdi, F, "IrqlMmDispatch", "memory manager routine at IRQL > DISPATCH_LEVEL"},
    {kC4, 0x0002001B, kDdi, F, "IrqlObPassive", "ObReferenceObjectByHandle not at PASSIVE_LEVEL"},
    {kC4, 0x0002001C, kDdi, F, "IrqlPsPassive", "process or thread routine requires PASSIVE_LEVEL"},
    {kC4, 0x0002001D, kDdi, F, "IrqlReturn", "dispatch routine returned at a different IRQL"},
    {kC4, 0x0002001E, kDdi, F, "IrqlRtlPassive", "Rtl registry routine requires PASSIVE_LEVEL"},
    {kC4, 0x0002001F, kDdi, F, "IrqlZwPassive", "Zw routine requires PASSIVE_LEVEL"},
    {kC4, 0x00020022, kDdi, F, "IrqlIoDispatch", "routine requires IRQL <= DISPATCH_LEVEL"},
    {kC4, 0x00040003, kDdi, F, "CriticalRegions", "KeEnter/KeLeaveCriticalRegion not paired"},
    {kC4, 0x00040006, kDdi, F, "QueuedSpinLock", "queued spin lock acquired again before release"},
    {kC4, 0x00040007, kDdi, F, "QueuedSpinLockRelease", "queued spin lock released without acquire"},
    {kC4, 0x00040009, kDdi, F, "SpinLock", "spin lock acquired again before release"},
    {kC4, 0x0004000A, kDdi, F, "SpinlockRelease", "spin lock released without acquire"},
    {kC4, 0x0004000E, kDdi, F, "GuardedRegions", "KeEnter/KeLeaveGuardedRegion not paired"},
    {kC4, 0x0004100B, kDdi, F, "RequestedPowerIrp", "PoRequestPowerIrp given a non-NULL Irp variable"},
    {kC4, 0x0004100F, kDdi, F, "IoSetCompletionExCompleteIrp",
     "IRP completed or forwarded after IoSetCompletionRoutineEx failed"},
    {kC4, 0x00043006, kDdi, F, "PnpRemove", "remove or surprise-removal IRP failed"},
};

// 0xC9 DRIVER_VERIFIER_IOMANAGER_VIOLATION, by parameter 1. Sorted.
constexpr Rule kC9Rules[] = {
    {kC9, 0x01, kIo, F, "", "object freed as an IRP is not an IRP"},
    {kC9, 0x02, kIo, F, "", "IRP freed while still associated with a thread"},
    {kC9, 0x03, kIo, F, "", "IoCallDriver given something that is not an IRP"},
    {kC9, 0x04, kIo, F, "", "IoCallDriver given an invalid device object"},
    {kC9, 0x05, kIo, F, "IrqlReturn", "IRQL changed across a dispatch routine"},
    {kC9, 0x06, kIo, F, "", "IoCompleteRequest with STATUS_PENDING or -1"},
    {kC9, 0x07, kIo, F, "", "IoCompleteRequest with a cancel routine still set"},
    {kC9, 0x08, kIo, F, "", "IoBuildAsynchronousFsdRequest with a bad buffer"},
    {kC9, 0x09, kIo, F, "", "IoBuildDeviceIoControlRequest with a bad buffer"},
    {kC9, 0x0A, kIo, F, "", "IoInitializeTimer on a device that has a timer"},
    {kC9, 0x0C, kIo, F, "", "I/O status block on an unwound stack frame"},
    {kC9, 0x0D, kIo, F, "", "user event on an unwound stack frame"},
    {kC9, 0x0E, kIo, F, "", "IoCompleteRequest at IRQL > DISPATCH_LEVEL"},
    {kC9, 0x0F, kIo, F, "", "create sent with a closed file object"},
    {kC9, 0x10, kIo, F, "", "IoCallDriver above DISPATCH_LEVEL"},
    {kC9, 0x11, kIo, F, "", "IRQL changed across a fast I/O routine"},
    {kC9, 0x12, kIo, F, "", "IRQL changed across a dispatch routine"},
    {kC9, 0x200, kIo, F, "", "unknown I/O verification error"},
    {kC9, 0x201, kIo, F, "", "device deleted while a device is attached below it"},
    {kC9, 0x202, kIo, F, "", "detach of a device that is not attached"},
    {kC9, 0x203, kIo, F, "", "IoCallDriver with a cancel routine set"},
    {kC9, 0x204, kIo, F, "", "NULL device object passed"},
    {kC9, 0x205, kIo, F, "", "IRP forwarded while queued further down"},
    {kC9, 0x206, kIo, F, "", "IRP forwarded without a proper stack copy"},
    {kC9, 0x207, kIo, F, "", "stack copied by hand with the upper completion routine"},
    {kC9, 0x208, kIo, F, "", "IRP about to run out of stack locations"},
    {kC9, 0x209, kIo, F, "", "IRP completed while still queued further down"},
    {kC9, 0x20A, kIo, F, "", "IoFreeIrp on an IRP still in use"},
    {kC9, 0x20B, kIo, F, "", "IoFreeIrp on an IRP still in use"},
    {kC9, 0x20C, kIo, F, "", "IoFreeIrp on an IRP still queued to a thread"},
    {kC9, 0x20D, kIo, F, "", "IoInitializeIrp on an IRP from IoAllocateIrp"},
    {kC9, 0x211, kIo, N, "", "IRP forwarded past a device in the stack"},
    {kC9, 0x212, kIo, N, "", "IRP stack overwritten or copied wrongly"},
    {kC9, 0x21C, kIo, W, "", "stack copied without a completion routine; IoSkip is cheaper"},
    {kC9, 0x224, kIo, F, "", "dispatch returned a status other than Irp->IoStatus.Status"},
    {kC9, 0x225, kIo, N, "", "dispatch returned an uninitialised status (0xFFFFFFFF)"},
    {kC9, 0x226, kIo, F, "", "dispatch returned without completing, forwarding or pending the IRP"},
    {kC9, 0x227, kIo, F, "", "completion routine in pageable code"},
    {kC9, 0x228, kIo, N, "", "completion routine did not mark the IRP pending although PendingReturned"},
    {kC9, 0x229, kIo, F, "", "cancel routine set on an IRP lower drivers still process"},
    {kC9, 0x238, kIo, W, "", "IoInitializeIrp on an IRP from IoAllocateIrp"},
    {kC9, 0x239, kIo, W, "", "IRP completed that was never forwarded"},
    {kC9, 0x23C, kEnhancedIo, F, "", "IRP completed without clearing its cancel routine"},
    {kC9, 0x23D, kEnhancedIo, N, "MarkIrpPending2", "STATUS_PENDING returned without IoMarkIrpPending"},
    {kC9, 0x23E, kEnhancedIo, N, "MarkIrpPending", "IRP marked pending but STATUS_PENDING not returned"},
    {kC9, 0x240, kEnhancedIo, F, "", "IoDeleteDevice on a deleted device"},
    {kC9, 0x24C, kEnhancedIo, N, "MarkIrpPending2", "STATUS_PENDING returned without IoMarkIrpPending"},
    {kC9, 0x307, kIo, N, "", "request issued with its event already signaled"},
    {kC9, 0x310, kIo, N, "", "IRP re-initialised while still in use"},
    {kC9, 0x311, kIo, N, "", "IRP made by IoMakeAssociatedIrp or IoBuild* re-initialised"},
    {kC9, 0x312, kIo, N, "", "IoStatus.Information larger than the output buffer"},
};

bool before(const Rule& rule, std::pair<std::uint32_t, std::uint64_t> key) {
  return std::pair(rule.code, rule.subcode) < key;
}

const Rule* lookup(std::span<const Rule> table, std::uint32_t code, std::uint64_t subcode) {
  auto it = std::lower_bound(table.begin(), table.end(), std::pair(code, subcode), before);
  return it != table.end() && it->code == code && it->subcode == subcode ? &*it : nullptr;
}

}  // namespace

bool keyed_by_subcode(std::uint32_t code) { return code == kC4 || code == kC9; }

const Rule* find_rule(std::uint32_t code, std::uint64_t subcode) {
  if (code == kC4) return lookup(kC4Rules, code, subcode);
  if (code == kC9) return lookup(kC9Rules, code, subcode);
  for (const Rule& rule : kRules) {
    if (rule.code == code) return &rule;
  }
  return nullptr;
}

const Rule* find_rule_by_name(std::string_view name) {
  for (const Rule& rule : kC4Rules) {
    if ((rule.subcode >> 16) != 0 && name == rule.name) return &rule;
  }
  return nullptr;
}

std::span<const Rule> all_rules() {
  static const std::vector<Rule> rules = [] {
    std::vector<Rule> all(std::begin(kRules), std::end(kRules));
    all.insert(all.end(), std::begin(kC4Rules), std::end(kC4Rules));
    all.insert(all.end(), std::begin(kC9Rules), std::end(kC9Rules));
    return all;
  }();
  return rules;
}

}  // namespace wdmlab::verifier
