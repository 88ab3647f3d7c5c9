// cancel_lock_held as a race: a CancelIoEx from one thread against a read from another, with no
// alignment in time. The canceller opens the device, starts the reader, and cancels every request
// on the handle; the reader reads, waits for the cancel, then writes once so that a read the
// cancel missed ends too. The faulty cancel routine only runs if the read is queued when the
// cancel comes, which needs the reader to get ahead of the canceller (a preemption): then
// 0x11B DRIVER_RETURNED_HOLDING_CANCEL_LOCK as it returns. A cancel that comes first finds
// nothing, or finds the read in the dispatch routine, which sees Irp->Cancel and completes it.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/races/race_test.hpp"

namespace wdmlab::test {
namespace {

Race cancel_against_read_race() {
  return {.scenario = cancel_against_read(CANCEL_LOCK_HELD_IMAGE, u"\\\\.\\CancelLockHeld"),
          .stated = {.pct = 3, .random = 5, .shrunk = 1},  // measured: PCT 1, random 2
          .driver = "cancel_lock_held",
          .code = DRIVER_RETURNED_HOLDING_CANCEL_LOCK};
}

RACE_TESTS(CancelLockHeldRace, cancel_against_read_race)

}  // namespace
}  // namespace wdmlab::test
