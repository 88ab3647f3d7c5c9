// KeCancelTimer: TRUE if the timer was set (and now is not: neither its object nor its DPC will
// be signaled or queued), FALSE if it was not set or had already expired.
#include <gtest/gtest.h>

#include "ke/dpc_probe.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeCancelTimer, ReturnValues) {
  Lab lab;
  DpcProbe probe;
  KDPC dpc;
  KTIMER timer;
  BOOLEAN never_set = TRUE, set = FALSE, again = TRUE, after_expiry = TRUE;
  BOOLEAN state_after_cancel = TRUE;
  lab.spawn("canceller", [&] {
    KeInitializeDpc(&dpc, DpcProbe::Routine, &probe);
    KeInitializeTimer(&timer);
    never_set = KeCancelTimer(&timer);
    KeSetTimer(&timer, relative_ms(5), &dpc);
    set = KeCancelTimer(&timer);
    again = KeCancelTimer(&timer);
    LARGE_INTEGER delay = relative_ms(10);
    KeDelayExecutionThread(KernelMode, FALSE, &delay);
    state_after_cancel = KeReadStateTimer(&timer);
    KeSetTimer(&timer, relative_ms(1), nullptr);
    KeWaitForSingleObject(&timer, Executive, KernelMode, FALSE, nullptr);
    after_expiry = KeCancelTimer(&timer);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_FALSE(never_set);
  EXPECT_TRUE(set);
  EXPECT_FALSE(again);
  EXPECT_FALSE(after_expiry);
  EXPECT_FALSE(state_after_cancel);
  EXPECT_EQ(probe.runs, 0);  // the cancelled timer's DPC never ran
}

}  // namespace
}  // namespace wdmlab::test
