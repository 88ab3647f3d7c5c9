#include "verifier/verifier.hpp"

#include <wdm.h>

#include <fmt/format.h>

#include <algorithm>

#include "base/driver_identity.hpp"
#include "verifier/low_resources.hpp"
#include "wdmlab/errors.hpp"

namespace wdmlab::verifier {

namespace {

// Initial-exec: read by every check of every kernel routine, so never through __tls_get_addr.
constinit __attribute__((tls_model("initial-exec"))) thread_local Verifier* t_verifier = nullptr;

// Mixes the run's seed so the stresses' stream differs from the scheduler's.
constexpr std::uint64_t kStressStream = 0x5645524946494552ULL;  // "VERIFIER"

}  // namespace

std::uint32_t normalize_flags(std::uint32_t flags) {
  if ((flags & (kVerifierForcePendingIo | kVerifierIrpLogging)) != 0) flags |= kVerifierIoVerification;
  if ((flags & kVerifierIoVerification) != 0) flags |= kVerifierEnhancedIoVerification;
  return flags;
}

Verifier::Verifier(VerifierOptions options, std::uint64_t seed)
    : options_(std::move(options)),
      host_flags_(normalize_flags(options_.flags)),
      random_seed_(seed ^ kStressStream),
      previous_(t_verifier) {
  if ((options_.flags & ~kVerifierKnownFlags) != 0) {
    throw UsageError(fmt::format("verifier flags 0x{:X} include bits the lab does not know (0x{:X}); known: 0x{:X}",
                                 options_.flags, options_.flags & ~kVerifierKnownFlags, kVerifierKnownFlags));
  }
  for (const auto& [name, flags] : options_.driver_flags) {
    if ((flags & ~kVerifierKnownFlags) != 0) {
      throw UsageError(fmt::format("verifier flags 0x{:X} for driver '{}' include bits the lab does not know (0x{:X})",
                                   flags, name, flags & ~kVerifierKnownFlags));
    }
  }
  if (options_.low_resources.probability > 10000 || options_.force_pending_probability > 10000) {
    throw UsageError("verifier probabilities are per 10,000 and cannot exceed 10000");
  }
  t_verifier = this;
}

Verifier::~Verifier() {
  if (t_verifier == this) t_verifier = previous_;
}

Verifier* Verifier::current() { return t_verifier; }

LockOrder& Verifier::lock_order() {
  if (lock_order_ == nullptr) lock_order_.reset(new_lock_order());
  return *lock_order_;
}

Verifier::FaultInjection& Verifier::fault_injection() {
  if (fault_injection_ == nullptr) fault_injection_ = std::make_unique<FaultInjection>();
  return *fault_injection_;
}

std::vector<std::string> Verifier::irp_history(const std::array<std::uint64_t, 4>& parameters) const {
  if (!irp_history_) return {};
  for (const std::uint64_t parameter : parameters) {
    if (parameter < 0x10000) continue;  // a subcode, a count or a status, never an IRP
    std::vector<std::string> events = irp_history_(parameter);
    if (!events.empty()) return events;
  }
  return {};
}

Verifier::DriverState& Verifier::state(const base::DriverIdentity* driver) {
  if (driver == cached_driver_ && cached_state_ != nullptr) return *cached_state_;
  const std::uint32_t id = driver != nullptr ? driver->id : 0;
  auto [it, inserted] = drivers_.try_emplace(id);
  DriverState& entry = it->second;
  if (inserted) {
    if (driver == nullptr) {
      entry.flags = host_flags_;
    } else {
      entry.name = driver->name;
      auto named = options_.driver_flags.find(driver->name);
      if (named != options_.driver_flags.end()) {
        entry.flags = normalize_flags(named->second);
      } else if (options_.drivers.empty() ||
                 std::find(options_.drivers.begin(), options_.drivers.end(), driver->name) != options_.drivers.end()) {
        entry.flags = host_flags_;
      }
    }
  }
  cached_driver_ = driver;
  cached_state_ = &entry;
  return entry;
}

std::uint32_t Verifier::flags_for(const base::DriverIdentity* driver) { return state(driver).flags; }

bool Verifier::rule_disabled(std::uint32_t code, std::uint64_t subcode) const {
  return code == DRIVER_VERIFIER_DETECTED_VIOLATION && options_.disabled_rules.contains(subcode);
}

VerifierCounters& Verifier::counters(const base::DriverIdentity* driver) { return state(driver).counters; }

VerifierCounters Verifier::counters_by_name(const std::string& name) const {
  VerifierCounters sum;
  for (const auto& [id, entry] : drivers_) {
    if (entry.name != name) continue;
    const VerifierCounters& c = entry.counters;
    sum.raise_irqls += c.raise_irqls;
    sum.acquire_spin_locks += c.acquire_spin_locks;
    sum.pool_allocations_attempted += c.pool_allocations_attempted;
    sum.pool_allocations_succeeded += c.pool_allocations_succeeded;
    sum.pool_allocations_special += c.pool_allocations_special;
    sum.pool_allocations_failed += c.pool_allocations_failed;
    sum.faults_injected += c.faults_injected;
    sum.forced_pending += c.forced_pending;
    sum.findings_suppressed += c.findings_suppressed;
  }
  return sum;
}

std::uint32_t flags_of(const base::DriverIdentity* driver) {
  Verifier* verifier = t_verifier;
  return verifier != nullptr ? verifier->flags_for(driver) : normalize_flags(kVerifierStandardFlags);
}

std::uint32_t flags() { return flags_of(sched::calling_driver()); }

bool active(std::uint32_t option) { return enables(flags(), option); }

VerifierCounters* counters() {
  Verifier* verifier = t_verifier;
  return verifier != nullptr ? &verifier->counters(sched::calling_driver()) : nullptr;
}

namespace {

// Hands a finding to the run: a fatal one stops it (from a lab thread, as a bug check does), the
// others are recorded and the run goes on. On the host a fatal finding is misuse of the lab.
bool deliver(Finding finding, std::uintptr_t exact_pc = 0, std::vector<RelatedStack> related = {}) {
  sched::Scheduler* scheduler = sched::Scheduler::current();
  const bool fatal = finding.severity == Severity::Fatal;
  if (scheduler == nullptr || (fatal && scheduler->running() == nullptr)) {
    throw UsageError(fmt::format("bug check 0x{:X} ({}{}) outside a lab thread: {}", finding.code, finding.name,
                                 finding.rule.empty() ? "" : ", rule " + finding.rule, finding.description));
  }
  if (fatal) scheduler->stop(std::move(finding), exact_pc, std::move(related));
  scheduler->report(std::move(finding), std::move(related));
  return true;
}

}  // namespace

bool violation(Violation violation) {
  const std::uint64_t subcode = violation.parameters[0];
  const Rule* rule = find_rule(violation.code, keyed_by_subcode(violation.code) ? subcode : 0);
  const base::DriverIdentity* driver = violation.driver != nullptr ? violation.driver : sched::calling_driver();
  if (!enables(flags_of(driver), rule != nullptr ? rule->option : kAutomatic)) return false;
  Verifier* verifier = t_verifier;
  if (verifier != nullptr && verifier->rule_disabled(violation.code, subcode)) {
    ++verifier->counters(driver).findings_suppressed;
    return false;
  }
  Finding finding;
  finding.code = violation.code;
  finding.name = bug_check_name(violation.code);
  finding.parameters = violation.parameters;
  finding.description = std::move(violation.description);
  finding.rule = !violation.rule.empty() ? std::move(violation.rule) : rule != nullptr ? rule->name : "";
  finding.severity = rule != nullptr ? rule->severity : Severity::Fatal;
  if (driver != nullptr) finding.driver = driver->name;
  if (verifier != nullptr) finding.irp_history = verifier->irp_history(finding.parameters);
  return deliver(std::move(finding), violation.exact_pc, std::move(violation.related));
}

bool rule_violation(const char* rule, std::uint64_t object, std::uint64_t where, std::uint64_t extra,
                    std::string description) {
  if (!active(kVerifierDdiCompliance)) return false;
  Finding finding;
  finding.code = WDMLAB_DDI_RULE_VIOLATION;
  finding.name = bug_check_name(WDMLAB_DDI_RULE_VIOLATION);
  finding.parameters = {0, object, where, extra};
  finding.rule = rule;
  finding.description = std::move(description);
  finding.severity = Severity::NonFatal;
  return deliver(std::move(finding));
}

}  // namespace wdmlab::verifier
