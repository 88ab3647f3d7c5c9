// I/O round trips.
//
//   build/default/bin/io_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Time per iteration is one complete round trip; decisions/op is the number of scheduling
// decisions (kernel calls) it takes.
#include <benchmark/benchmark.h>

#include <wdm.h>

#include "bench_lab.hpp"
#include "drivers/io_bench.h"
#include "wdmlab/lab.hpp"

extern "C" DRIVER_INITIALIZE io_bench_driver_DriverEntry;

namespace {

// The io_bench driver loaded into a benchmark lab; `body` runs as a system thread with the
// benchmark's state.
template <class Body>
void run_with_driver(benchmark::State& state, Body body) {
  wdmlab::Lab lab(wdmlab::bench::lab_options());
  if (!lab.load_driver(io_bench_driver_DriverEntry, "io_bench").loaded()) {
    state.SkipWithError("io_bench did not load");
    return;
  }
  std::uint64_t decisions = 0;
  lab.spawn("bench", [&] {
    const std::uint64_t before = lab.decisions();
    body(state);
    decisions = lab.decisions() - before;
  });
  lab.run_until_idle();
  if (!lab.findings().empty()) state.SkipWithError(lab.findings().front().name.c_str());
  state.counters["decisions/op"] =
      benchmark::Counter(static_cast<double>(decisions), benchmark::Counter::kAvgIterations);
}

// A kernel-mode IRP the caller allocates, sent down state.range(0) devices and completed by the
// bottom one; `code` says how the upper devices forward it.
void BM_KernelIrpRoundTrip(benchmark::State& state, ULONG code) {
  run_with_driver(state, [code](benchmark::State& s) {
    PDEVICE_OBJECT target = IoBenchDevice(static_cast<ULONG>(s.range(0)));
    for (auto _ : s) {
      const NTSTATUS status = IoBenchRoundTrip(target, IRP_MJ_INTERNAL_DEVICE_CONTROL, code);
      if (status != STATUS_SUCCESS) {
        s.SkipWithError("the round trip failed");
        break;
      }
    }
  });
}
BENCHMARK_CAPTURE(BM_KernelIrpRoundTrip, skip, IOCTL_IO_BENCH_SKIP)->Arg(1)->Arg(3)->Arg(8);
BENCHMARK_CAPTURE(BM_KernelIrpRoundTrip, copy_and_complete, IOCTL_IO_BENCH_COPY)->Arg(1)->Arg(3)->Arg(8);

}  // namespace

BENCHMARK_MAIN();
