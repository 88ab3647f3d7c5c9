// I/O round trips.
//
//   build/default/bin/io_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Time per iteration is one complete round trip; decisions/op is the number of scheduling
// decisions (kernel calls) it takes.
#include <benchmark/benchmark.h>

#include <wdm.h>

#include <functional>

#include "bench_lab.hpp"
#include "drivers/io_bench.h"
#include "wdmlab/lab.hpp"
#include "wdmlab/user.hpp"
#include "wdmlab/win32.hpp"

extern "C" DRIVER_INITIALIZE io_bench_driver_DriverEntry;

namespace {

// Loads the io_bench driver into a benchmark lab, has `start(lab, thread)` start the thread that
// runs `body(state)`, and runs the lab until that thread is done.
template <class Start, class Body>
void run_with_driver(benchmark::State& state, Start start, Body body,
                     wdmlab::LabOptions options = wdmlab::bench::lab_options()) {
  wdmlab::Lab lab(options);
  if (!lab.load_driver(io_bench_driver_DriverEntry, "io_bench").loaded()) {
    state.SkipWithError("io_bench did not load");
    return;
  }
  std::uint64_t decisions = 0;
  start(lab, std::function<void()>([&] {
          const std::uint64_t before = lab.decisions();
          body(state);
          decisions = lab.decisions() - before;
        }));
  lab.run_until_idle();
  if (!lab.findings().empty()) state.SkipWithError(lab.findings().front().name.c_str());
  state.counters["decisions/op"] =
      benchmark::Counter(static_cast<double>(decisions), benchmark::Counter::kAvgIterations);
}

void start_system_thread(wdmlab::Lab& lab, std::function<void()> thread) { lab.spawn("bench", std::move(thread)); }

// A kernel-mode IRP the caller allocates, sent down state.range(0) devices and completed by the
// bottom one; `code` says how the upper devices forward it. With `trace`, the lab records the
// event trace; one round trip before the timed ones names the routines (symbolized once each).
void BM_KernelIrpRoundTrip(benchmark::State& state, ULONG code, bool protect_freed_irps = false, bool trace = false) {
  wdmlab::LabOptions options = wdmlab::bench::lab_options(protect_freed_irps);
  options.trace = trace;
  run_with_driver(
      state, start_system_thread,
      [code, trace](benchmark::State& s) {
        PDEVICE_OBJECT target = IoBenchDevice(static_cast<ULONG>(s.range(0)));
        if (trace) (void)IoBenchRoundTrip(target, IRP_MJ_INTERNAL_DEVICE_CONTROL, code);
        for (auto _ : s) {
          const NTSTATUS status = IoBenchRoundTrip(target, IRP_MJ_INTERNAL_DEVICE_CONTROL, code);
          if (status != STATUS_SUCCESS) {
            s.SkipWithError("the round trip failed");
            break;
          }
        }
      },
      options);
}
BENCHMARK_CAPTURE(BM_KernelIrpRoundTrip, skip, IOCTL_IO_BENCH_SKIP)->Arg(1)->Arg(3)->Arg(8);
BENCHMARK_CAPTURE(BM_KernelIrpRoundTrip, copy_and_complete, IOCTL_IO_BENCH_COPY)->Arg(1)->Arg(3)->Arg(8);
// The same with freed IRPs protected (LabOptions::protect_freed_irps, the lab's default).
BENCHMARK_CAPTURE(BM_KernelIrpRoundTrip, skip_protected, IOCTL_IO_BENCH_SKIP, true)->Arg(1);
// The same with the event trace recorded (LabOptions::trace). A fixed count of round trips: the
// trace keeps every event (about ten per round trip here) in memory.
BENCHMARK_CAPTURE(BM_KernelIrpRoundTrip, skip_traced, IOCTL_IO_BENCH_SKIP, false, true)->Arg(3)->Iterations(20000);

// DeviceIoControl from a simulated user-mode process on a synchronous handle to \\.\IoBench (one
// device, METHOD_BUFFERED): the system call, the IRP the I/O manager builds with its system
// buffer, the dispatch routine, completion and the copy back to the caller's buffer.
void BM_UserDeviceIoControl(benchmark::State& state) {
  constexpr DWORD kBytes = 16;
  char* buffer = nullptr;
  auto start_in_process = [&buffer](wdmlab::Lab& lab, std::function<void()> thread) {
    wdmlab::UserProcess& app = lab.create_process("bench.exe");
    buffer = static_cast<char*>(app.alloc(kBytes));
    app.run("main", std::move(thread));
  };
  run_with_driver(state, start_in_process, [&buffer](benchmark::State& s) {
    using namespace wdmlab::win32;
    HANDLE device = CreateFileW(u"\\\\.\\IoBench", GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0, nullptr);
    if (device == INVALID_HANDLE_VALUE) {
      s.SkipWithError("CreateFileW failed");
      return;
    }
    for (auto _ : s) {
      DWORD returned = 0;
      if (!DeviceIoControl(device, IOCTL_IO_BENCH_ECHO, buffer, kBytes, buffer, kBytes, &returned, nullptr) ||
          returned != kBytes) {
        s.SkipWithError("DeviceIoControl failed");
        break;
      }
    }
    CloseHandle(device);
  });
}
BENCHMARK(BM_UserDeviceIoControl);

}  // namespace

BENCHMARK_MAIN();
