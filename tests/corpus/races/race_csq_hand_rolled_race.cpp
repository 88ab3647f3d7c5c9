// race_csq_hand_rolled (samples/buggy): a hand-written cancel-safe queue whose write unlinks the
// head read before clearing its cancel routine. "reader" reads and cancels (CancelIo) while
// "writer" writes; nothing lines them up.
//
// Found as 0x139 KERNEL_SECURITY_CHECK_FAILURE [3 (corrupt list entry)] in the cancel routine,
// which unlinks a read the write has already unlinked. One preemption is enough: the reader's
// cancel between the write's unlink and its IoSetCancelRoutine(Irp, NULL).
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/races/race_apps.hpp"
#include "corpus/races/race_test.hpp"

namespace wdmlab::test {
namespace {

Race cancel_against_write() {
  return {.scenario = race_scenario(RACE_CSQ_HAND_ROLLED_IMAGE, start_csq_hand_rolled),
          .stated = {.pct = 5, .random = 15, .shrunk = 1, .unpreempted = 2},  // measured: PCT 2, random 6
          .driver = "race_csq_hand_rolled",
          .code = KERNEL_SECURITY_CHECK_FAILURE,
          .culprits = {"RaceCsqHandRolledCancel"},
          .p1 = FAST_FAIL_CORRUPT_LIST_ENTRY};
}

RACE_TESTS(RaceCsqHandRolledRace, cancel_against_write)

}  // namespace
}  // namespace wdmlab::test
