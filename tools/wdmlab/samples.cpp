#include "samples.hpp"

extern "C" {
DRIVER_INITIALIZE timer_worker_DriverEntry;
DRIVER_INITIALIZE user_probe_DriverEntry;
DRIVER_INITIALIZE lock_order_deadlock_DriverEntry;
DRIVER_INITIALIZE null_deref_DriverEntry;
DRIVER_INITIALIZE cancel_race_DriverEntry;
}

namespace wdmlab::cli {

namespace {
constexpr Sample kSamples[] = {
    {"timer_worker", timer_worker_DriverEntry,
     "correct: periodic timer, DPC, spin lock, worker thread, clean unload"},
    {"user_probe", user_probe_DriverEntry, "correct: reads a bad user-mode address inside __try/__except"},
    {"lock_order_deadlock", lock_order_deadlock_DriverEntry,
     "buggy: two threads take two spin locks in opposite orders"},
    {"null_deref", null_deref_DriverEntry, "buggy: a system thread dereferences a NULL pointer"},
    {"cancel_race", cancel_race_DriverEntry,
     "buggy: a DPC and a cancel routine both complete an IRP, in some interleavings only"},
};
}  // namespace

std::span<const Sample> samples() { return kSamples; }

const Sample* find_sample(std::string_view name) {
  for (const Sample& sample : kSamples) {
    if (sample.name == name) return &sample;
  }
  return nullptr;
}

}  // namespace wdmlab::cli
