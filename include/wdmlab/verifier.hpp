// wdmlab/verifier.hpp - Driver Verifier options: which checks and stresses run, for which drivers.
//
//   wdmlab::Lab lab({.verifier = {.flags = wdmlab::kVerifierStandardFlags | wdmlab::kVerifierLowResources}});
//   wdmlab::Lab quiet({.verifier = wdmlab::VerifierOptions::off()});
//   options.verifier.driver_flags["mydrv"] = wdmlab::kVerifierStandardFlags & ~wdmlab::kVerifierSpecialPool;
//   options.verifier.disabled_rules.insert(0xF6);   // as `verifier /rules disable 0xF6`
//
// The flag values are Microsoft's `verifier /flags` bits; kVerifierStandardFlags (0x209BB) is what
// `verifier /standard` selects. The automatic checks are always on for a verified driver. A driver
// that is not verified gets the kernel's own behaviour: its bugs still stop the machine where
// Windows would bug check without Driver Verifier (0x44, 0x9, 0xA, 0xC2, ...), and nothing else
// is checked. Code outside any driver (a test body) is verified with `flags`.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace wdmlab {

// `verifier /flags` bits.
inline constexpr std::uint32_t kVerifierSpecialPool = 0x1;
inline constexpr std::uint32_t kVerifierForceIrqlChecking = 0x2;
inline constexpr std::uint32_t kVerifierLowResources = 0x4;  // randomized low resources simulation
inline constexpr std::uint32_t kVerifierPoolTracking = 0x8;
inline constexpr std::uint32_t kVerifierIoVerification = 0x10;
inline constexpr std::uint32_t kVerifierDeadlockDetection = 0x20;
inline constexpr std::uint32_t kVerifierEnhancedIoVerification = 0x40;  // implied by 0x10, as since Windows 7
inline constexpr std::uint32_t kVerifierDmaVerification = 0x80;         // accepted; the lab has no DMA
inline constexpr std::uint32_t kVerifierSecurityChecks = 0x100;
inline constexpr std::uint32_t kVerifierForcePendingIo = 0x200;
inline constexpr std::uint32_t kVerifierIrpLogging = 0x400;
inline constexpr std::uint32_t kVerifierMiscellaneousChecks = 0x800;
inline constexpr std::uint32_t kVerifierDdiCompliance = 0x20000;
inline constexpr std::uint32_t kVerifierSystematicLowResources = 0x40000;  // fail each new call stack once
// The lab's own bit, outside Microsoft's range: AddressSanitizer findings in an instrumented driver.
inline constexpr std::uint32_t kVerifierKasan = 0x80000000;

inline constexpr std::uint32_t kVerifierStandardFlags = 0x209BB;
// Every bit the lab understands.
inline constexpr std::uint32_t kVerifierKnownFlags = 0x209BB | kVerifierLowResources | kVerifierEnhancedIoVerification |
                                                     kVerifierForcePendingIo | kVerifierIrpLogging |
                                                     kVerifierSystematicLowResources | kVerifierKasan;

// Low resources simulation (flags 0x4 and 0x40000). The random mode fails each eligible call with
// `probability` in 10,000 (Microsoft's default: 600, 6 %); the systematic mode fails a call the
// first time its driver-side call stack is seen. Both draw only on the run's seed.
struct LowResourcesOptions {
  unsigned probability = 600;       // per 10,000 eligible calls (random mode)
  std::vector<std::uint32_t> tags;  // pool tags eligible for failure; empty: every allocation
  // Eligible calls that always succeed first (Windows waits 7-8 minutes after boot; the lab
  // counts calls so a run is independent of time).
  std::uint64_t grace_calls = 0;
};

struct VerifierOptions {
  std::uint32_t flags = kVerifierStandardFlags;
  // The drivers verified (`/driver`); empty means every driver (`/all`).
  std::vector<std::string> drivers;
  // Per-driver flags, overriding `flags` (and `drivers`) for the named driver.
  std::map<std::string, std::uint32_t> driver_flags;
  // 0xC4 parameter-1 values of rules turned off, as `verifier /rules disable <id>`.
  std::set<std::uint64_t> disabled_rules;
  LowResourcesOptions low_resources;
  // Force pending I/O (0x200): chance, per 10,000, that IoCallDriver from a verified driver
  // returns STATUS_PENDING for an IRP completed synchronously below it.
  unsigned force_pending_probability = 5000;
  // IRP logging (0x400): IRPs remembered per device.
  unsigned irp_log_depth = 20;

  static VerifierOptions off() { return VerifierOptions{.flags = 0}; }
  static VerifierOptions standard() { return VerifierOptions{}; }
};

// `!verifier`-style counters, per driver.
struct VerifierCounters {
  std::uint64_t raise_irqls = 0;
  std::uint64_t acquire_spin_locks = 0;
  std::uint64_t pool_allocations_attempted = 0;
  std::uint64_t pool_allocations_succeeded = 0;
  std::uint64_t pool_allocations_special = 0;  // succeeded in special pool
  std::uint64_t pool_allocations_failed = 0;
  std::uint64_t faults_injected = 0;  // resource allocations failed deliberately
  std::uint64_t forced_pending = 0;   // IoCallDriver results turned into STATUS_PENDING
  std::uint64_t findings_suppressed = 0;  // violations of rules turned off
};

// Parses a `verifier /flags` value: a number (0x209BB, 133563), "standard", or names joined by
// '|' or ',' ("standard|lowres", "iov,deadlock"). Throws wdmlab::UsageError naming the bad part.
std::uint32_t parse_verifier_flags(const std::string& text);
// "0x209BB (special pool, force IRQL checking, ...)".
std::string describe_verifier_flags(std::uint32_t flags);

}  // namespace wdmlab
