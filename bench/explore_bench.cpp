// The race explorer's costs: one schedule of a small cancel scenario on a fresh lab, and the time
// and schedules each strategy takes to find a depth-2 cancel race, against a stress test.
//
//   build/default/bin/explore_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// The scenario (bench/drivers/cancel_bench.h): two processors, one read that the driver pends with
// a cancel routine and completes from a DPC, and one IoCancelIrp from a second system thread.
#include <benchmark/benchmark.h>

#include <wdm.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "drivers/cancel_bench.h"
#include "wdmlab/explore.hpp"
#include "wdmlab/lab.hpp"

extern "C" DRIVER_INITIALIZE cancel_bench_driver_DriverEntry;
extern "C" DRIVER_INITIALIZE cancel_bench_race_driver_DriverEntry;

namespace {

// A fresh lab as the explorer makes one per schedule: LabOptions' defaults on two processors,
// freed IRPs unprotected (their protection is measured in io_bench), the random policy.
wdmlab::LabOptions schedule_lab(std::uint64_t seed, wdmlab::VerifierOptions verifier) {
  wdmlab::LabOptions options = wdmlab::ExploreOptions::default_lab();
  options.seed = seed;
  options.protect_freed_irps = false;
  options.verifier = std::move(verifier);
  return options;
}

void correct_scenario(wdmlab::Lab& lab) {
  lab.load_driver(cancel_bench_driver_DriverEntry, "cancel_bench");
  lab.spawn("reader", [] { (void)CancelBenchRead(); });
  lab.spawn("canceller", [] { (void)CancelBenchCancel(0); });
}

void race_scenario(wdmlab::Lab& lab) {
  lab.load_driver(cancel_bench_race_driver_DriverEntry, "cancel_bench_race");
  lab.spawn("reader", [] { (void)CancelBenchRaceRead(); });
  lab.spawn("canceller", [] { (void)CancelBenchRaceCancel(0); });
}

// One schedule per iteration: construction, the scenario, run_until_idle, destruction.
void BM_CancelScenarioSchedule(benchmark::State& state, wdmlab::VerifierOptions verifier) {
  std::uint64_t seed = 1;
  std::uint64_t decisions = 0;
  for (auto _ : state) {
    wdmlab::Lab lab(schedule_lab(seed++, verifier));
    correct_scenario(lab);
    lab.run_until_idle();
    decisions += lab.decisions();
    if (!lab.findings().empty()) {
      state.SkipWithError(lab.findings().front().name.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["decisions/schedule"] =
      benchmark::Counter(static_cast<double>(decisions), benchmark::Counter::kAvgIterations);
}
BENCHMARK_CAPTURE(BM_CancelScenarioSchedule, verifier_off, wdmlab::VerifierOptions::off());
BENCHMARK_CAPTURE(BM_CancelScenarioSchedule, verifier_standard, wdmlab::VerifierOptions::standard());

// An empty two-processor lab, constructed and destroyed: the floor under every schedule.
void BM_EmptyLab(benchmark::State& state) {
  std::uint64_t seed = 1;
  for (auto _ : state) {
    wdmlab::Lab lab(schedule_lab(seed++, wdmlab::VerifierOptions::off()));
    benchmark::DoNotOptimize(&lab);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EmptyLab);

// The same scenario through explore(): schedules per second with the explorer's own work per
// schedule (its policy, the recorded choices, the digest, findings), over 2,000 schedules of one
// strategy on the explorer's default machine (freed IRPs protected unless `protect_freed_irps` is
// false).
void BM_ExploreSchedules(benchmark::State& state, const wdmlab::Strategy& strategy, bool protect_freed_irps = true) {
  std::uint64_t schedules = 0;
  for (auto _ : state) {
    wdmlab::ExploreOptions options;
    options.schedules = 2000;
    options.strategy = strategy;
    options.lab.protect_freed_irps = protect_freed_irps;
    options.stop_at_first = false;
    options.shrink = false;
    options.picture = false;
    const wdmlab::ExploreResult result = wdmlab::explore(correct_scenario, options);
    schedules += result.schedules;
    if (!result.findings.empty()) {
      state.SkipWithError(result.findings.front().finding.name.c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(schedules));
}
BENCHMARK_CAPTURE(BM_ExploreSchedules, random, wdmlab::random_strategy())->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ExploreSchedules, pct2, wdmlab::pct(2))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ExploreSchedules, pct2_unprotected_irps, wdmlab::pct(2), false)->Unit(benchmark::kMillisecond);

// What the race's second completion of the read stops with: its completion routine already took the
// IRP back (STATUS_MORE_PROCESSING_REQUIRED), so the second completion runs off the top of an IRP no
// thread issued (0x1E, an access violation in the driver's IoCompleteRequest call).
constexpr std::uint32_t kSecondCompletion = KMODE_EXCEPTION_NOT_HANDLED;

// Each iteration is one exploration of the race scenario (seeds differing per iteration) that
// stops at its first finding: schedules_to_bug and seconds_to_bug are averages over iterations.
void BM_ExploreCancelRace(benchmark::State& state, const wdmlab::Strategy& strategy) {
  std::uint64_t schedules = 0;
  std::uint64_t found = 0;
  double seconds = 0;
  std::uint64_t seed = 1;
  for (auto _ : state) {
    wdmlab::ExploreOptions options;
    options.schedules = 100'000;
    options.strategy = strategy;
    options.seed = seed;
    options.stop_at_first = true;
    options.shrink = false;
    options.picture = false;
    seed += options.schedules;
    const wdmlab::ExploreResult result = wdmlab::explore(race_scenario, options);
    schedules += result.schedules;
    seconds += std::chrono::duration<double>(result.elapsed).count();
    if (!result.findings.empty()) {
      ++found;
      const std::uint32_t code = result.findings.front().finding.code;
      if (code != kSecondCompletion && code != MULTIPLE_IRP_COMPLETE_REQUESTS) {
        state.SkipWithError(("unexpected finding " + result.findings.front().finding.name).c_str());
        break;
      }
    }
  }
  const auto per_iteration = [&](double value) {
    return benchmark::Counter(value, benchmark::Counter::kAvgIterations);
  };
  state.counters["schedules_to_bug"] = per_iteration(static_cast<double>(schedules));
  state.counters["seconds_to_bug"] = per_iteration(seconds);
  state.counters["found"] = per_iteration(static_cast<double>(found));
}
BENCHMARK_CAPTURE(BM_ExploreCancelRace, pct2, wdmlab::pct(2))->Iterations(20)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ExploreCancelRace, random, wdmlab::random_strategy())
    ->Iterations(20)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ExploreCancelRace, bounded2, wdmlab::bounded(2))->Iterations(3)->Unit(benchmark::kMillisecond);

// The race as a stress test would run it: no controlled scheduling, each thread waiting a random
// 0..max_delay µs of virtual time (from the run's seed) before its operation, run after run until
// the bug shows or kStressRuns runs found nothing. Two models of uncontrolled processors:
// cooperative (a context runs until it blocks, so nothing overlaps that the delays do not
// overlap) and lockstep (the processors take steps in turn, as two equally fast processors
// running at once would, so the delays decide where the threads meet).
constexpr std::uint64_t kStressRuns = 20'000;

// Each decision goes to the processor after the one that took the last step (an option with no
// processor, a ready thread, counts as the next one free).
class LockstepPolicy final : public wdmlab::SchedulingPolicy {
 public:
  std::string name() const override { return "lockstep"; }
  std::size_t choose(std::span<const wdmlab::SchedulingOption> options) override {
    std::size_t pick = 0;
    int best = 1 << 30;
    for (std::size_t i = 0; i < options.size(); ++i) {
      const int distance = (options[i].processor - last_ - 1 + 64) % 64;
      if (distance < best) {
        best = distance;
        pick = i;
      }
    }
    last_ = options[pick].processor < 0 ? last_ + 1 : options[pick].processor;
    return pick;
  }

 private:
  int last_ = -1;
};

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser: a seed to well-spread bits
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

void BM_StressCancelRace(benchmark::State& state) {
  const auto max_delay = static_cast<std::uint64_t>(state.range(0));
  const bool lockstep = state.range(1) != 0;
  std::uint64_t runs = 0;
  std::uint64_t found = 0;
  double seconds = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    bool bug = false;
    for (std::uint64_t run = 0; run < kStressRuns && !bug; ++run) {
      const std::uint64_t seed = runs + run + 1;
      wdmlab::LabOptions options = wdmlab::ExploreOptions::default_lab();
      if (lockstep) {
        options.policy = std::make_shared<LockstepPolicy>();
      } else {
        options.policy = wdmlab::make_cooperative_policy();
      }
      const auto reader_delay = static_cast<LONGLONG>(mix(seed) % (max_delay + 1));
      const auto canceller_delay = static_cast<ULONG>(mix(~seed) % (max_delay + 1));
      wdmlab::Lab lab(options);
      lab.load_driver(cancel_bench_race_driver_DriverEntry, "cancel_bench_race");
      lab.spawn("reader", [reader_delay] {
        if (reader_delay != 0) {
          LARGE_INTEGER interval;
          interval.QuadPart = -10 * reader_delay;
          KeDelayExecutionThread(KernelMode, FALSE, &interval);
        }
        (void)CancelBenchRaceRead();
      });
      lab.spawn("canceller", [canceller_delay] { (void)CancelBenchRaceCancel(canceller_delay); });
      lab.run_until_idle();
      bug = !lab.findings().empty();
      if (bug) runs += run + 1;
    }
    if (bug) {
      ++found;
    } else {
      runs += kStressRuns;
    }
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  const auto per_iteration = [&](double value) {
    return benchmark::Counter(value, benchmark::Counter::kAvgIterations);
  };
  state.counters["schedules_to_bug"] = per_iteration(static_cast<double>(runs));
  state.counters["seconds_to_bug"] = per_iteration(seconds);
  state.counters["found"] = per_iteration(static_cast<double>(found));
}
// Cooperative: one iteration, as it finds nothing in kStressRuns runs. Lockstep: 20 stress tests,
// each from where the one before stopped in the seed sequence, averaged.
BENCHMARK(BM_StressCancelRace)
    ->ArgNames({"max_delay_us", "lockstep"})
    ->ArgsProduct({{10, 100}, {0}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StressCancelRace)
    ->ArgNames({"max_delay_us", "lockstep"})
    ->ArgsProduct({{10, 100}, {1}})
    ->Iterations(20)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
