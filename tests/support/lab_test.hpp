// support/lab_test.hpp - small helpers the per-DDI tests share: due times, findings, and waiting
// for other lab threads to reach a wait.
//
// wait_until_blocked runs in a lab thread; stop_finding, bug_check_of and runs_clean run on the
// host (the test body); the rest run anywhere. Nothing here measures wall time.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "sched/scheduler.hpp"
#include "wdmlab/lab.hpp"

namespace wdmlab::test {

// The system time the lab boots at: 2026-01-01T00:00:00Z as a FILETIME (100 ns since 1601-01-01).
inline constexpr std::int64_t kBootSystemTime = 134116992000000000LL;
inline constexpr std::int64_t kTicksPerMillisecond = 10'000;
// Virtual time one scheduling decision adds (the scheduler's step). Every kernel routine starts
// with a scheduling point, so when nothing else is runnable a routine that computes a due time
// from "now" sees the caller's now + this.
inline constexpr std::uint64_t kDecisionTicks = 1;

// A relative due time (negative, as Windows encodes it) of `ticks` 100 ns units.
inline LARGE_INTEGER relative_ticks(std::int64_t ticks) {
  LARGE_INTEGER value;
  value.QuadPart = -ticks;
  return value;
}
inline LARGE_INTEGER relative_ms(std::int64_t milliseconds) {
  return relative_ticks(milliseconds * kTicksPerMillisecond);
}
// An absolute due time (system time) for virtual time `since_boot`.
inline LARGE_INTEGER absolute_at(std::uint64_t since_boot) {
  LARGE_INTEGER value;
  value.QuadPart = kBootSystemTime + static_cast<std::int64_t>(since_boot);
  return value;
}

// How many lab contexts are blocked on `object`: spinning on it (a spin lock) or waiting on it
// (the first object of a dispatcher wait). Callable from a lab thread or the host.
inline std::size_t blocked_on(const void* object) {
  std::size_t count = 0;
  for (const auto& context : sched::Scheduler::current()->contexts()) {
    if (context->state() == sched::ContextState::Blocked && context->block_reason().object == object) ++count;
  }
  return count;
}

// Lets the other lab threads run until `count` contexts are blocked on `object`. Below
// DISPATCH_LEVEL it sleeps one tick at a time; at DISPATCH_LEVEL or above it spins.
inline void wait_until_blocked(const void* object, std::size_t count) {
  while (blocked_on(object) < count) {
    if (KeGetCurrentIrql() >= DISPATCH_LEVEL) {
      YieldProcessor();
    } else {
      LARGE_INTEGER tick = relative_ticks(1);
      KeDelayExecutionThread(KernelMode, FALSE, &tick);
    }
  }
}

// Names a parameterized test after its row's `name` member.
struct RowName {
  template <class Row>
  std::string operator()(const ::testing::TestParamInfo<Row>& row) const {
    return row.param.name;
  }
};

// The finding that stopped the lab; a test failure (and an empty finding) if none did.
inline Finding stop_finding(Lab& lab) {
  const Finding* finding = lab.fatal_finding();
  if (finding == nullptr) {
    ADD_FAILURE() << "the lab did not stop on a fatal finding";
    return {};
  }
  return *finding;
}

// Runs `body` as the only thread of a fresh lab until idle and returns the finding that stopped it.
template <class Body>
Finding bug_check_of(Body body, unsigned processors = 1, std::uint64_t seed = 1) {
  Lab lab({.processors = processors, .seed = seed});
  lab.spawn("caller", body);
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  return stop_finding(lab);
}

// The same under chosen Driver Verifier options (VerifierOptions::off(): an unverified machine,
// the kernel's own bug checks).
template <class Body>
Finding bug_check_with(VerifierOptions verifier, Body body, unsigned processors = 1, std::uint64_t seed = 1) {
  Lab lab({.processors = processors, .seed = seed, .verifier = std::move(verifier)});
  lab.spawn("caller", body);
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  return stop_finding(lab);
}

template <class Body>
Finding unverified_bug_check_of(Body body, unsigned processors = 1, std::uint64_t seed = 1) {
  return bug_check_with(VerifierOptions::off(), body, processors, seed);
}

// The standard flags without DDI compliance checking: the automatic checks' own codes.
inline VerifierOptions without_ddi_compliance() {
  return VerifierOptions{.flags = kVerifierStandardFlags & ~kVerifierDdiCompliance};
}

// Runs `body` as the only thread of a fresh lab and expects it to finish with no finding.
template <class Body>
void runs_clean(Body body, unsigned processors = 1, std::uint64_t seed = 1, VerifierOptions verifier = {}) {
  Lab lab({.processors = processors, .seed = seed, .verifier = std::move(verifier)});
  lab.spawn("caller", body);
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  for (const Finding& finding : lab.findings()) ADD_FAILURE() << finding.summary();
}

}  // namespace wdmlab::test
