// race_cleanup_vs_dpc (samples/buggy): the DPC that delivers data to a waiting read releases the
// device lock before clearing the read's table entry, so IRP_MJ_CLEANUP on the other processor can
// complete the same read. "reader" reads and closes its handle while "writer" writes; nothing
// lines them up.
//
// Found as 0x44 MULTIPLE_IRP_COMPLETE_REQUESTS in whichever path completes second. PCT needs depth
// 3 here: the cleanup must come after the DPC has found the read and before it clears the entry,
// and the read must come before the write; with depth 2 (one priority change) PCT ran 2,000
// schedules without it. Every shrunk schedule keeps two preemptions: one puts the writer's DPC
// between the reader's read and its close, the other the cleanup inside the DPC's window.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/races/race_apps.hpp"
#include "corpus/races/race_test.hpp"

namespace wdmlab::test {
namespace {

Race read_close_and_write() {
  return {.scenario = race_scenario(RACE_CLEANUP_VS_DPC_IMAGE, start_cleanup_vs_dpc),
          // measured: PCT 29, random 13
          .stated = {.pct_depth = 3, .pct = 75, .random = 30, .shrunk = 2, .unpreempted = 2},
          .driver = "race_cleanup_vs_dpc",
          .code = MULTIPLE_IRP_COMPLETE_REQUESTS,
          .rule = "DoubleCompletion",
          .culprits = {"RaceCleanupVsDpcCleanup", "RaceCleanupVsDpcTransferDpc"}};
}

RACE_TESTS(RaceCleanupVsDpcRace, read_close_and_write)

}  // namespace
}  // namespace wdmlab::test
