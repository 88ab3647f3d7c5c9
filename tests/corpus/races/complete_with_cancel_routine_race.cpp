// complete_with_cancel_routine as a race: a write from one thread against a read from another,
// with no alignment in time. The writer opens the device, starts the reader and writes once; the
// reader reads, waits for the write to end, then cancels its read (the cancel routine is right)
// and waits for it. The faulty write path only completes a read that is waiting when the write
// comes, which needs the reader to get ahead of the writer (a preemption): then
// 0xC9 DRIVER_VERIFIER_IOMANAGER_VIOLATION [0x07, cancel routine, IRP] in the write routine. A write
// that comes first finds the mailbox empty, and the cancel ends the read.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/races/race_test.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

Race write_against_read() {
  Scenario scenario = [](Lab& lab) {
    start_race(
        lab, COMPLETE_WITH_CANCEL_ROUTINE_IMAGE, u"\\\\.\\CompleteWithCancelRoutine", "writer", [](const RaceApp& app) {
          app.process->run("reader", [app] {
            const BOOL read = ReadFile(*app.device, app.buffer, 8, nullptr, &app.overlapped[0]);
            WaitForSingleObject(*app.event, INFINITE);
            CancelIoEx(*app.device, &app.overlapped[0]);
            wait_if_pending(read, &app.overlapped[0]);
          });
          wait_if_pending(WriteFile(*app.device, app.buffer + 16, 8, nullptr, &app.overlapped[1]), &app.overlapped[1]);
          SetEvent(*app.event);
        });
  };
  return {.scenario = std::move(scenario),
          .stated = {.pct = 3, .random = 5, .shrunk = 1},  // measured: PCT 1, random 2
          .driver = "complete_with_cancel_routine",
          .code = DRIVER_VERIFIER_IOMANAGER_VIOLATION,
          .culprits = {"CompleteWithCancelRoutineWrite"},
          .p1 = 0x07};
}

RACE_TESTS(CompleteWithCancelRoutineRace, write_against_read)

}  // namespace
}  // namespace wdmlab::test
