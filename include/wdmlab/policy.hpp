// wdmlab/policy.hpp - scheduling policies: what runs next at each scheduling point.
//
// The scheduler (mechanism) computes the contexts that could execute the next step and asks the
// policy to pick one. A run is fully determined by (program, policy and its seed, processor
// count): policies must be deterministic functions of their seed and the options they are shown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace wdmlab {

// One context that could take the next step.
struct SchedulingOption {
  std::uint32_t context_id = 0;
  int processor = -1;    // the processor it would run on; -1 if it would take any free one
  bool dpc = false;      // the processor's DPC context (a DPC routine is running or about to)
  bool current = false;  // the context that reached this scheduling point
};

class SchedulingPolicy {
 public:
  virtual ~SchedulingPolicy() = default;
  virtual std::string name() const = 0;
  // Picks one of `options` (never empty; ordered by processor, then by ready-queue order) and
  // returns its index.
  virtual std::size_t choose(std::span<const SchedulingOption> options) = 0;
  virtual void on_context_created(std::uint32_t /*context_id*/) {}
  virtual void on_context_finished(std::uint32_t /*context_id*/) {}
};

// Uniformly random choice at every scheduling point, from a seeded generator (the default).
std::unique_ptr<SchedulingPolicy> make_random_policy(std::uint64_t seed);

// PCT (Burckhardt et al., probabilistic concurrency testing) with bug depth `depth` (1: no
// priority change; 2: one, enough for most atomicity and ordering bugs) over an estimated
// `steps` scheduling decisions per run. Each seed is one run's random priorities and change
// points; a bug of depth d shows up in a run with probability at least 1 / (contexts *
// steps^(d-1)). Throws UsageError for a depth or step estimate of 0.
std::unique_ptr<SchedulingPolicy> make_pct_policy(std::uint64_t seed, unsigned depth, std::uint64_t steps);

// Cooperative: the current context keeps running until it blocks or finishes; then the first
// option runs. Deterministic without a seed; useful when a test wants one plain interleaving.
std::unique_ptr<SchedulingPolicy> make_cooperative_policy();

}  // namespace wdmlab
