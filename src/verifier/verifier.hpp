// verifier/verifier.hpp - the lab's Driver Verifier: which drivers are verified with which
// options, where a violation goes, and the per-driver counters.
//
// Every exported routine that checks its caller asks this layer, never the options directly:
//
//   if (irql > DISPATCH_LEVEL) verifier::violation({.parameters = {0x02, irql, type, bytes}, ...});
//   ...kernel behaviour without Driver Verifier...
//
// violation() looks the check up in the rule table (verifier/rules.hpp), and reports it only if
// its option is on for the driver charged and the rule is not turned off: a fatal check stops the
// machine and does not return; a non-fatal one or a warning is recorded and returns true. When it
// returns false, nothing was reported and the routine goes on as the kernel would without the
// verifier (often a kernel bug check of its own, such as 0x9 or 0xC2).
//
// One Verifier per lab (set current by the lab on its OS thread). With no lab, the standard
// flags apply and a fatal violation throws UsageError, as ke::bug_check does on the host.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "sched/scheduler.hpp"
#include "verifier/lock_order.hpp"
#include "verifier/rules.hpp"
#include "wdmlab/verifier.hpp"

namespace wdmlab::base {
struct DriverIdentity;
}

namespace wdmlab::verifier {

class Verifier {
 public:
  Verifier(VerifierOptions options, std::uint64_t seed);
  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  // The verifier of the lab on this OS thread, or null.
  static Verifier* current();

  const VerifierOptions& options() const { return options_; }

  // The flags in force for `driver`, with the implied bits added (I/O verification implies the
  // enhanced checks; force pending and IRP logging imply I/O verification); 0 when the driver is
  // not verified. Null means code outside any driver, verified with options().flags.
  std::uint32_t flags_for(const base::DriverIdentity* driver);
  bool rule_disabled(std::uint32_t code, std::uint64_t subcode) const;

  VerifierCounters& counters(const base::DriverIdentity* driver);
  // Counters summed over the drivers with this name ("" = code outside any driver).
  VerifierCounters counters_by_name(const std::string& name) const;

  // Randomness for the stresses: a stream of its own drawn from the run's seed, so a stress never
  // changes the scheduler's choices and a run replays from its seed.
  // Seeded on first use: most labs never draw.
  std::uint64_t draw() {
    if (!random_) random_.emplace(random_seed_);
    return (*random_)();
  }
  bool chance(unsigned per_10000) { return per_10000 != 0 && draw() % 10000 < per_10000; }

  // Deadlock detection's lock-order graph (verifier/lock_order.hpp), made on first use.
  LockOrder& lock_order();
  bool has_lock_order() const { return lock_order_ != nullptr; }
  // Low Resources Simulation's state for this lab (verifier/low_resources.cpp).
  struct FaultInjection;
  FaultInjection& fault_injection();

  // IRP logging: given an address, the recent events of the IRP there (oldest first), or nothing
  // when it is not an IRP. violation() asks it for each parameter of a finding.
  using IrpHistoryProvider = std::function<std::vector<std::string>(std::uint64_t address)>;
  void set_irp_history_provider(IrpHistoryProvider provider) { irp_history_ = std::move(provider); }
  std::vector<std::string> irp_history(const std::array<std::uint64_t, 4>& parameters) const;
  // DDI compliance monitors that need the I/O manager's knowledge of IRPs (MarkingQueuedIrps,
  // MarkingInterlockedQueuedIrps): the I/O manager sets them; ke calls lock_released after a
  // spin lock is released, ex calls entry_queued before it links `entry` into an interlocked list.
  struct QueueMonitors {
    void (*lock_released)() = nullptr;
    void (*entry_queued)(const void* entry) = nullptr;
  };
  QueueMonitors queue_monitors;

  // IRP logging's records for this lab (io/irp_log.cpp), made on first use.
  std::shared_ptr<void> irp_log;

 private:
  struct DriverState {
    std::string name;
    std::uint32_t flags = 0;
    VerifierCounters counters;
  };
  DriverState& state(const base::DriverIdentity* driver);

  VerifierOptions options_;
  std::uint32_t host_flags_;
  std::uint64_t random_seed_;
  std::optional<std::mt19937_64> random_;
  std::unordered_map<std::uint32_t, DriverState> drivers_;  // by DriverIdentity::id; 0 = no driver
  const base::DriverIdentity* cached_driver_ = nullptr;
  DriverState* cached_state_ = nullptr;
  std::unique_ptr<LockOrder, void (*)(LockOrder*)> lock_order_{nullptr, &destroy};
  std::unique_ptr<FaultInjection> fault_injection_;
  IrpHistoryProvider irp_history_;
  Verifier* previous_;
};

// Adds the bits an option implies.
std::uint32_t normalize_flags(std::uint32_t flags);

// The flags in force for `driver` (null: code outside any driver); the standard set when no lab
// runs on this thread.
std::uint32_t flags_of(const base::DriverIdentity* driver);
// The flags in force for the calling driver (sched::calling_driver()).
std::uint32_t flags();
// Whether `flags` turn on the checks of `option` (a /flags bit, or kAutomatic: any verification).
inline bool enables(std::uint32_t flags, std::uint32_t option) {
  return option == kAutomatic ? flags != 0 : (flags & option) != 0;
}
// Whether checks of `option` run for the calling driver.
bool active(std::uint32_t option);
// The calling driver's counters; null when no lab runs on this thread.
VerifierCounters* counters();

// A stack to show next to the one that made the finding (where a leaked block was allocated,
// where the other lock of a cycle was taken).
using RelatedStack = sched::RelatedStack;

struct Violation {
  std::uint32_t code = 0xC4;                 // bug check
  std::array<std::uint64_t, 4> parameters{};  // parameter 1 is the subcode for 0xC4 and 0xC9
  std::string description;
  const base::DriverIdentity* driver = nullptr;  // charged; null: the calling driver
  std::uintptr_t exact_pc = 0;                   // a fault: the faulting instruction
  std::vector<RelatedStack> related;
  std::string rule;  // overrides the table's rule name
};

// Reports `violation` if its check is active for the driver charged and not turned off (see the
// file comment). Fatal: does not return. Returns true when a non-fatal finding was recorded.
bool violation(Violation violation);

// A Static Driver Verifier rule with no Driver Verifier ID, broken on the path the run took
// (DDI compliance checking, 0x20000): recorded as WDMLAB_DDI_RULE_VIOLATION, non-fatal, named
// by `rule`. P2 = the object the rule tracks, P3 = the address in the driver, P4 rule-specific.
bool rule_violation(const char* rule, std::uint64_t object, std::uint64_t where, std::uint64_t extra,
                    std::string description);

}  // namespace wdmlab::verifier
