// double_complete as a race: a watchdog whose 10 ms timeout is the device's latency, against the
// read it guards. The opener opens the device and starts the reader, which reads and waits for its
// read, and the watchdog, which waits up to 10 ms for the read to end and cancels it if it has not.
// Nothing is aligned in time: which of the two 10 ms clocks starts first is the interleaving's
// choice. When the read starts the device first (the order the threads were started in), the device
// finishes first and the watchdog sees the read done. When the watchdog starts waiting first (its
// first steps taken before the reader's), its cancel comes a few microseconds before the device's
// timer, which expires while the cancel routine waits 50 us for the device: the DPC completes the
// read, then the cancel routine completes it again. On two processors the reader, waiting on the
// other one, runs the first completion's final stage and frees the IRP before that, so the cancel
// routine's store into it faults: 0xD5 DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL in
// DoubleCompleteCancel (on one processor, the golden test's machine, it is 0x44
// MULTIPLE_IRP_COMPLETE_REQUESTS). No preemption is needed, only that order, which the cooperative
// policy never takes. The 10 ms timeout is the one alignment: with 9 or 11 ms none of 40 random
// schedules makes it (docs/corpus.md).
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/races/race_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr DWORD kDeviceLatencyMs = 10;  // DOUBLE_COMPLETE_LATENCY_MS

Race watchdog_against_read() {
  Scenario scenario = [](Lab& lab) {
    start_race(lab, DOUBLE_COMPLETE_IMAGE, u"\\\\.\\DoubleComplete", "opener", [](const RaceApp& app) {
      OVERLAPPED* read = &app.overlapped[0];
      app.process->run("reader",
                       [app, read] { wait_if_pending(ReadFile(*app.device, app.buffer, 16, nullptr, read), read); });
      app.process->run("watchdog", [app, read] {
        if (WaitForSingleObject(read->hEvent, kDeviceLatencyMs) == WAIT_TIMEOUT) CancelIoEx(*app.device, read);
      });
    });
  };
  return {.scenario = std::move(scenario),
          .stated = {.pct = 5, .random = 5, .shrunk = 0},  // measured: PCT 2, random 2
          .driver = "double_complete",
          .code = DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL,
          .culprits = {"DoubleCompleteCancel"}};
}

RACE_TESTS(DoubleCompleteRace, watchdog_against_read)

}  // namespace
}  // namespace wdmlab::test
