// Scheduler and kernel-core costs.
//
//   build/default/bin/sched_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// ns/decision is wall time per scheduling decision; ns/op per kernel call pair.
#include <benchmark/benchmark.h>

#include "bench_lab.hpp"
#include "sched/scheduler.hpp"
#include "wdmlab/lab.hpp"

namespace {

using wdmlab::SchedulingOption;
using wdmlab::SchedulingPolicy;

// Always switches: picks the first option that is not the context at the scheduling point, so
// every decision includes a fiber switch.
class AlternatePolicy final : public SchedulingPolicy {
 public:
  std::string name() const override { return "alternate"; }
  std::size_t choose(std::span<const SchedulingOption> options) override {
    for (std::size_t i = 0; i < options.size(); ++i) {
      if (!options[i].current) return i;
    }
    return 0;
  }
};

enum class Policy { Cooperative, Random, Alternate };

std::unique_ptr<SchedulingPolicy> make(Policy policy) {
  switch (policy) {
    case Policy::Cooperative:
      return wdmlab::make_cooperative_policy();
    case Policy::Random:
      return wdmlab::make_random_policy(1);
    case Policy::Alternate:
      return std::make_unique<AlternatePolicy>();
  }
  return nullptr;
}

// Two threads on two processors each yield `kYields` times; the decision count comes from the
// scheduler, so thread creation is amortised over a few thousand decisions.
void BM_SchedulingDecision(benchmark::State& state, Policy policy) {
  constexpr int kYields = 4096;
  wdmlab::sched::Scheduler scheduler({.processors = 2, .watchdog_ms = 0}, make(policy));
  std::uint64_t decisions = 0;
  for (auto _ : state) {
    const std::uint64_t before = scheduler.decisions();
    for (int t = 0; t < 2; ++t) {
      scheduler.create_thread("yielder", [&scheduler] {
        for (int i = 0; i < kYields; ++i) scheduler.yield();
      }, true);
    }
    scheduler.run_until_idle();
    decisions += scheduler.decisions() - before;
  }
  state.counters["ns/decision"] =
      benchmark::Counter(static_cast<double>(decisions), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK_CAPTURE(BM_SchedulingDecision, no_switch_cooperative, Policy::Cooperative);
BENCHMARK_CAPTURE(BM_SchedulingDecision, random_2cpu, Policy::Random);
BENCHMARK_CAPTURE(BM_SchedulingDecision, switch_every_decision, Policy::Alternate);

// The benchmark's own loop runs inside a lab thread, so each iteration is one real DDI call pair.
template <class Body>
void run_in_lab(benchmark::State& state, Body body) {
  wdmlab::Lab lab(wdmlab::bench::lab_options());
  lab.spawn("bench", [&] { body(state); });
  lab.run_until_idle();
}

void BM_SpinLockAcquireRelease(benchmark::State& state) {
  run_in_lab(state, [](benchmark::State& s) {
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    for (auto _ : s) {
      KIRQL old;
      KeAcquireSpinLock(&lock, &old);
      KeReleaseSpinLock(&lock, old);
    }
  });
}
BENCHMARK(BM_SpinLockAcquireRelease);

void BM_QueuedSpinLockAcquireRelease(benchmark::State& state) {
  run_in_lab(state, [](benchmark::State& s) {
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    for (auto _ : s) {
      KLOCK_QUEUE_HANDLE handle;
      KeAcquireInStackQueuedSpinLock(&lock, &handle);
      KeReleaseInStackQueuedSpinLock(&handle);
    }
  });
}
BENCHMARK(BM_QueuedSpinLockAcquireRelease);

void BM_InterlockedIncrement(benchmark::State& state) {
  run_in_lab(state, [](benchmark::State& s) {
    volatile LONG counter = 0;
    for (auto _ : s) benchmark::DoNotOptimize(InterlockedIncrement(&counter));
  });
}
BENCHMARK(BM_InterlockedIncrement);

}  // namespace

BENCHMARK_MAIN();
