// race_double_release (samples/buggy): two paths each drop a reference to a transfer with
// InterlockedDecrement, complete their request, and then read the shared count again to decide
// whether they dropped the last one. "app" starts the transfer and cancels it while "device"
// reports it complete; nothing lines them up.
//
// Found as 0xC4 [0x13] (double free) in RaceDoubleReleaseDrop, in whichever path frees second; the
// two are distinct findings (their stacks differ). PCT first finds the application's cancel path
// freeing second, which needs one preemption ("app" stopped between completing its request and
// looking at the count, "device" running its whole drop). Random first finds the device's
// completion path freeing second, which needs two: "device" must come in after the start and
// after "app" has decremented, and "app" must look at the count before "device" does.
#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/races/race_apps.hpp"
#include "corpus/races/race_test.hpp"

namespace wdmlab::test {
namespace {

Race cancel_against_completion() {
  return {.scenario = race_scenario(RACE_DOUBLE_RELEASE_IMAGE, start_double_release),
          // measured: PCT 106, random 15
          .stated = {.pct = 250, .random = 40, .shrunk = 1, .random_shrunk = 2, .unpreempted = 2},
          .driver = "race_double_release",
          .code = DRIVER_VERIFIER_DETECTED_VIOLATION,
          .culprits = {"RaceDoubleReleaseDrop"},
          .p1 = 0x13};
}

RACE_TESTS(RaceDoubleReleaseRace, cancel_against_completion)

}  // namespace
}  // namespace wdmlab::test
