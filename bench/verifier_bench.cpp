// What Driver Verifier costs: one workload run unverified, with the standard option set without
// special pool (0x209BA), and with the whole standard set (0x209BB).
//
//   build/default/bin/verifier_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// One iteration of BM_DriverWorkload is a kernel-mode IRP sent down three devices of the io_bench
// driver that copy the stack location and set a completion routine; the bottom one allocates a
// 64-byte pool block, fills it under a spin lock, frees it and completes the IRP. BM_UserDeviceIoControl is the
// round trip of a buffered device control from a simulated application.
#include <benchmark/benchmark.h>

#include <wdm.h>

#include <functional>
#include <memory>

#include "bench_lab.hpp"
#include "drivers/io_bench.h"
#include "wdmlab/lab.hpp"
#include "wdmlab/user.hpp"
#include "wdmlab/win32.hpp"

extern "C" DRIVER_INITIALIZE io_bench_driver_DriverEntry;

namespace {

constexpr std::uint32_t kStandardWithoutSpecialPool = wdmlab::kVerifierStandardFlags & ~wdmlab::kVerifierSpecialPool;

// A benchmark lab verified with the flags in state.range(0), the io_bench driver loaded; null
// (the benchmark skipped) if it did not load.
std::unique_ptr<wdmlab::Lab> lab_with_driver(benchmark::State& state) {
  const auto flags = static_cast<std::uint32_t>(state.range(0));
  state.SetLabel(flags == 0                             ? "unverified"
                 : flags == kStandardWithoutSpecialPool ? "standard without special pool"
                                                        : "standard");
  auto lab = std::make_unique<wdmlab::Lab>(wdmlab::bench::lab_options(false, flags));
  if (!lab->load_driver(io_bench_driver_DriverEntry, "io_bench").loaded()) {
    state.SkipWithError("io_bench did not load");
    return nullptr;
  }
  return lab;
}

// Runs the lab until the benchmark's thread is done; a finding spoils the measurement.
void finish(benchmark::State& state, wdmlab::Lab& lab) {
  lab.run_until_idle();
  if (!lab.findings().empty()) state.SkipWithError(lab.findings().front().summary().c_str());
}

void BM_DriverWorkload(benchmark::State& state) {
  std::unique_ptr<wdmlab::Lab> lab = lab_with_driver(state);
  if (lab == nullptr) return;
  lab->spawn("bench", [&state] {
    PDEVICE_OBJECT top = IoBenchDevice(3);
    for (auto _ : state) {
      if (IoBenchRoundTrip(top, IRP_MJ_INTERNAL_DEVICE_CONTROL, IOCTL_IO_BENCH_POOL) != STATUS_SUCCESS) {
        state.SkipWithError("the round trip failed");
        break;
      }
    }
  });
  finish(state, *lab);
}
BENCHMARK(BM_DriverWorkload)->Arg(0)->Arg(kStandardWithoutSpecialPool)->Arg(wdmlab::kVerifierStandardFlags);

void BM_UserDeviceIoControl(benchmark::State& state) {
  std::unique_ptr<wdmlab::Lab> lab = lab_with_driver(state);
  if (lab == nullptr) return;
  constexpr DWORD kBytes = 16;
  wdmlab::UserProcess& app = lab->create_process("bench.exe");
  char* buffer = static_cast<char*>(app.alloc(kBytes));
  app.run("main", [&state, buffer] {
    using namespace wdmlab::win32;
    HANDLE device = CreateFileW(u"\\\\.\\IoBench", GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0, nullptr);
    if (device == INVALID_HANDLE_VALUE) {
      state.SkipWithError("CreateFileW failed");
      return;
    }
    for (auto _ : state) {
      DWORD returned = 0;
      if (!DeviceIoControl(device, IOCTL_IO_BENCH_ECHO, buffer, kBytes, buffer, kBytes, &returned, nullptr)) {
        state.SkipWithError("DeviceIoControl failed");
        break;
      }
    }
    CloseHandle(device);
  });
  finish(state, *lab);
}
BENCHMARK(BM_UserDeviceIoControl)->Arg(0)->Arg(kStandardWithoutSpecialPool)->Arg(wdmlab::kVerifierStandardFlags);

}  // namespace

BENCHMARK_MAIN();
