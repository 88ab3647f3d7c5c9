// no_cancel_recheck as a race: a CancelIoEx from one thread against a read from another, with no
// alignment in time. The canceller opens the device, starts the reader, and cancels every request
// on the handle; the reader reads, waits for the cancel, then writes once so that a read the
// cancel missed ends too. A cancel before the read exists finds nothing (the write completes the
// read); a cancel while the dispatch routine programs the device (10 ms, KeDelayExecutionThread)
// only sets Irp->Cancel, and the routine then queues the cancelled read with its cancel routine:
// rule IrpCancelField as it returns (non-fatal; the write still completes the read). The device
// setup is kept: it is what makes the window, but the reader has to reach the dispatch routine
// before the canceller's CancelIoEx, which only a preemption of the canceller allows.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/races/race_test.hpp"

namespace wdmlab::test {
namespace {

Race cancel_against_read_race() {
  return {.scenario = cancel_against_read(NO_CANCEL_RECHECK_IMAGE, u"\\\\.\\NoCancelRecheck"),
          .stated = {.pct = 3, .random = 5, .shrunk = 1},  // measured: PCT 1, random 2
          .driver = "no_cancel_recheck",
          .code = WDMLAB_DDI_RULE_VIOLATION,
          .rule = "IrpCancelField"};
}

RACE_TESTS(NoCancelRecheckRace, cancel_against_read_race)

}  // namespace
}  // namespace wdmlab::test
