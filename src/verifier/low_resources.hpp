// verifier/low_resources.hpp - Low Resources Simulation (/flags 0x4) and Systematic Low Resources
// Simulation (/flags 0x40000): the one decision every resource-allocating routine asks for.
//
//   if (verifier::inject_failure("IoAllocateIrp", 0, __builtin_return_address(0))) return nullptr;
//
// The routine then fails exactly as it does when the resource is really exhausted (returns NULL,
// raises STATUS_INSUFFICIENT_RESOURCES, ...): the decision says nothing about how to fail.
//
// Random mode (0x4): after LowResourcesOptions::grace_calls eligible calls, each eligible call
// fails with LowResourcesOptions::probability in 10,000, drawn from the verifier's stream (the
// run's seed), so a run replays. A pool allocation is eligible when LowResourcesOptions::tags is
// empty or holds its tag; calls that carry no tag (tag 0) are always eligible.
// Systematic mode (0x40000): a call fails the first time its call stack (module-relative return
// addresses from the routine's caller outward) is seen in this lab, and succeeds from the same
// stack afterwards. Stacks are named by module and offset, so they are the same in every run of
// the same build.
//
// Each injected fault adds one to VerifierCounters::faults_injected and writes a line to the
// lab's log naming the routine, the tag and the caller, as `!verifier 4` lists them.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <unordered_set>

#include "verifier/verifier.hpp"

namespace wdmlab::verifier {

struct Verifier::FaultInjection {
  std::uint64_t eligible_calls = 0;                          // random mode, for grace_calls
  std::unordered_set<std::uint64_t> stacks_seen;             // systematic mode
  std::unordered_map<std::uintptr_t, std::uint64_t> frames;  // return address -> module-relative name
};

// Whether the calling driver's call of `routine` from `caller` (the routine's return address)
// must fail. Costs one flags lookup when neither mode is on for the caller.
bool inject_failure(const char* routine, std::uint32_t tag, const void* caller);

}  // namespace wdmlab::verifier
