// bench_lab.hpp - the lab the benchmarks run kernel calls in.
#pragma once

#include <limits>

#include "wdmlab/lab.hpp"

namespace wdmlab::bench {

// One processor, the cooperative policy (the benchmark thread keeps running), no decision
// budget and no watchdog: a benchmark's own loop runs inside a lab thread for as long as Google
// Benchmark wants, and every iteration is real kernel calls. Freed IRPs are not protected unless
// asked for (the protection's cost is measured on its own). Driver Verifier is off unless
// `verifier_flags` says otherwise: its cost is measured on its own too (verifier_bench).
inline LabOptions lab_options(bool protect_freed_irps = false, std::uint32_t verifier_flags = 0) {
  return {.processors = 1,
          .policy = make_cooperative_policy(),
          .max_decisions = std::numeric_limits<std::uint64_t>::max(),
          .watchdog_ms = 0,
          .protect_freed_irps = protect_freed_irps,
          .verifier = {.flags = verifier_flags}};
}

}  // namespace wdmlab::bench
