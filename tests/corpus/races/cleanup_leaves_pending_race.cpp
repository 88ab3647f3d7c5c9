// cleanup_leaves_pending as a race: a write and CloseHandle from one thread against a read from
// another, with no alignment in time. The closer opens the device, starts the reader, writes once
// and closes the handle; the reader reads once and ends. A read queued before the write is
// completed by it; a read issued after the close fails with ERROR_INVALID_HANDLE. A read that
// lands between the two stays queued, with no cancel routine, and IRP_MJ_CLEANUP leaves it there:
// the reader's exit waits five minutes (virtual) for it and gives up, 0xC4
// DRIVER_VERIFIER_DETECTED_VIOLATION [0x135, IRP, 300000], non-fatal.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/races/race_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

Race close_against_read() {
  Scenario scenario = [](Lab& lab) {
    start_race(lab, CLEANUP_LEAVES_PENDING_IMAGE, u"\\\\.\\CleanupLeavesPending", "closer", [](const RaceApp& app) {
      app.process->run("reader", [app] { ReadFile(*app.device, app.buffer, 16, nullptr, &app.overlapped[0]); });
      wait_if_pending(WriteFile(*app.device, app.buffer + 16, 4, nullptr, &app.overlapped[1]), &app.overlapped[1]);
      CloseHandle(*app.device);
    });
  };
  return {.scenario = std::move(scenario),
          .stated = {.pct = 60, .random = 3, .shrunk = 1},  // measured: PCT 24, random 1
          .driver = "cleanup_leaves_pending",
          .code = DRIVER_VERIFIER_DETECTED_VIOLATION,
          .p1 = 0x135};
}

RACE_TESTS(CleanupLeavesPendingRace, close_against_read)

}  // namespace
}  // namespace wdmlab::test
