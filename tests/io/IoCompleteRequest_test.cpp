// IoCallDriver and IoCompleteRequest through the io_stack driver's three devices: completion
// routines run bottom-up, as their invoke flags say; STATUS_MORE_PROCESSING_REQUIRED stops the walk
// and whoever returned it owns the IRP; a pending return propagates upward; IoSkip... and
// IoCopy... hand the lower driver different stack locations; IoSetCompletionRoutineEx holds the
// device object until its routine has run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "io/io_stack_support.hpp"
#include "ob/object_names.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

using Lines = std::vector<std::string>;

// Lets other lab threads run until `slot` holds an IRP; returns it.
PIRP wait_for_irp(PIRP volatile& slot) {
  while (slot == nullptr) {
    LARGE_INTEGER tick = relative_ticks(1);
    KeDelayExecutionThread(KernelMode, FALSE, &tick);
  }
  return slot;
}

bool contains(const Lines& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

// The last lines of `lines`, as many as `tail` has.
Lines last(const Lines& lines, const Lines& tail) {
  return lines.size() < tail.size() ? lines : Lines(lines.end() - static_cast<std::ptrdiff_t>(tail.size()), lines.end());
}

TEST(IoCompleteRequest, RunsCompletionRoutinesBottomUpAndTheSendersLast) {
  StackLab t;
  IoStackLevels[1].Action = IoStackCopy;
  IoStackLevels[2].Action = IoStackCopy;
  IoStackLevels[0].Information = 5;
  const IOSTACK_RESULT result = t.send_to_top();
  EXPECT_EQ(t.lines(), (Lines{
                           "io_stack: L2 dispatch location=3 code=00222403",
                           "io_stack: L1 dispatch location=2 code=00222403",
                           "io_stack: L0 dispatch location=1 code=00222403",
                           "io_stack: L0 completes status=00000000 irql=0",
                           "io_stack: L1 routine status=00000000 pending=0 cancel=0",
                           "io_stack: L2 routine status=00000000 pending=0 cancel=0",
                           "io_stack: sender routine status=00000000 pending=0",
                       }));
  EXPECT_EQ(result.CallStatus, STATUS_SUCCESS);
  EXPECT_EQ(result.IoStatus.Status, STATUS_SUCCESS);
  EXPECT_EQ(result.IoStatus.Information, 5u);
  EXPECT_FALSE(result.PendingReturned);
  // The sender's IRP had no location of its own, so its routine gets no device object.
  EXPECT_TRUE(result.RoutineDeviceIsNull);
}

struct InvokeRow {
  const char* name;
  NTSTATUS status;
  bool cancel;
  bool on_success, on_error, on_cancel;
  bool invoked;
};

class InvokeFlags : public ::testing::TestWithParam<InvokeRow> {};

// Windows calls a routine when NT_SUCCESS(status) and InvokeOnSuccess, or !NT_SUCCESS(status) and
// InvokeOnError, or Irp->Cancel and InvokeOnCancel. A warning is not a success.
TEST_P(InvokeFlags, DecideWhetherTheRoutineRuns) {
  const InvokeRow& row = GetParam();
  StackLab t;
  IoStackLevels[0].Status = row.status;
  IoStackLevels[0].SetCancel = row.cancel;
  IoStackLevels[1] = {IoStackCopy, STATUS_SUCCESS, 0, FALSE, row.on_success, row.on_error, row.on_cancel,
                      STATUS_CONTINUE_COMPLETION};
  const IOSTACK_RESULT result = t.send_to_top();
  char line[80];
  std::snprintf(line, sizeof(line), "io_stack: L1 routine status=%08X pending=0 cancel=%d",
                static_cast<unsigned>(row.status), row.cancel ? 1 : 0);
  EXPECT_EQ(contains(t.lines(), line), row.invoked) << testing::PrintToString(t.lines());
  // Whatever level 1 did, the status reaches the sender.
  EXPECT_EQ(result.CallStatus, row.status);
  EXPECT_EQ(result.IoStatus.Status, row.status);
}

INSTANTIATE_TEST_SUITE_P(
    IoSetCompletionRoutine, InvokeFlags,
    ::testing::Values(InvokeRow{"SuccessOnSuccess", STATUS_SUCCESS, false, true, false, false, true},
                      InvokeRow{"SuccessOnErrorOrCancel", STATUS_SUCCESS, false, false, true, true, false},
                      InvokeRow{"InformationalOnSuccess", STATUS_OBJECT_NAME_EXISTS, false, true, false, false, true},
                      InvokeRow{"ErrorOnError", STATUS_DEVICE_NOT_READY, false, false, true, false, true},
                      InvokeRow{"ErrorOnSuccessOrCancel", STATUS_DEVICE_NOT_READY, false, true, false, true, false},
                      InvokeRow{"WarningOnError", STATUS_BUFFER_OVERFLOW, false, false, true, false, true},
                      InvokeRow{"WarningOnSuccess", STATUS_BUFFER_OVERFLOW, false, true, false, false, false},
                      InvokeRow{"CancelledOnCancel", STATUS_CANCELLED, true, false, false, true, true},
                      InvokeRow{"CancelledOnError", STATUS_CANCELLED, true, false, true, false, true},
                      InvokeRow{"CancelledOnSuccess", STATUS_CANCELLED, true, true, false, false, false},
                      InvokeRow{"NeverInvoked", STATUS_SUCCESS, false, false, false, false, false}),
    RowName());

TEST(IoMarkIrpPending, APendingReturnFromADpcReachesEveryRoutineAbove) {
  StackLab t;
  IoStackLevels[0].Action = IoStackPendDpc;
  IoStackLevels[0].Status = STATUS_DEVICE_BUSY;
  IoStackLevels[1].Action = IoStackSkip;  // no routine: the I/O manager propagates the pending flag
  IoStackLevels[2].Action = IoStackCopy;
  const IOSTACK_RESULT result = t.send_to_top();
  EXPECT_EQ(t.lines(), (Lines{
                           "io_stack: L2 dispatch location=3 code=00222403",
                           "io_stack: L1 dispatch location=2 code=00222403",
                           "io_stack: L0 dispatch location=2 code=00222403",
                           "io_stack: L0 completes status=80000011 irql=2",
                           "io_stack: L2 routine status=80000011 pending=1 cancel=0",
                           "io_stack: sender routine status=80000011 pending=1",
                       }));
  EXPECT_EQ(result.CallStatus, STATUS_PENDING);
  EXPECT_TRUE(result.PendingReturned);
  EXPECT_EQ(result.IoStatus.Status, STATUS_DEVICE_BUSY);
}

TEST(IoMarkIrpPending, TheIoManagerCarriesAPendingReturnPastALocationWhoseRoutineIsNotCalled) {
  StackLab t;
  IoStackLevels[0].Action = IoStackPendDpc;
  // Level 1 has its own location and a routine for errors only: on success it is not called, so
  // the I/O manager marks level 2's location pending in its stead.
  IoStackLevels[1] = {IoStackCopy, STATUS_SUCCESS, 0, FALSE, FALSE, TRUE, FALSE, STATUS_CONTINUE_COMPLETION};
  IoStackLevels[2].Action = IoStackCopy;
  const IOSTACK_RESULT result = t.send_to_top();
  const Lines tail{
      "io_stack: L0 completes status=00000000 irql=2",
      "io_stack: L2 routine status=00000000 pending=1 cancel=0",
      "io_stack: sender routine status=00000000 pending=1",
  };
  EXPECT_EQ(last(t.lines(), tail), tail);
  EXPECT_EQ(t.lines()[2], "io_stack: L0 dispatch location=1 code=00222403");
  EXPECT_EQ(result.CallStatus, STATUS_PENDING);
  EXPECT_TRUE(result.PendingReturned);
}

TEST(IoMarkIrpPending, APendingReturnFromAWorkItemReachesTheSenderThroughSkippingFilters) {
  StackLab t;
  IoStackLevels[0].Action = IoStackPendWorkItem;
  IoStackLevels[0].Information = 9;
  const IOSTACK_RESULT result = t.send_to_top();
  EXPECT_EQ(t.lines(), (Lines{
                           "io_stack: L2 dispatch location=3 code=00222403",
                           "io_stack: L1 dispatch location=3 code=00222403",
                           "io_stack: L0 dispatch location=3 code=00222403",
                           "io_stack: L0 completes status=00000000 irql=0",
                           "io_stack: sender routine status=00000000 pending=1",
                       }));
  EXPECT_EQ(result.CallStatus, STATUS_PENDING);
  EXPECT_TRUE(result.PendingReturned);
  EXPECT_EQ(result.IoStatus.Information, 9u);
}

TEST(IoSkipCurrentIrpStackLocation, TheLowerDriverGetsTheSameLocationAndCopyGivesItTheNextOne) {
  StackLab t;
  IOSTACK_RESULT skipped{}, copied{};
  std::size_t lines_after_skip = 0;
  EXPECT_EQ(t.run([&] {
    IoStackSend(IoStackDevices[2], &skipped);
    lines_after_skip = t.lines().size();
    IoStackLevels[1].Action = IoStackCopy;
    IoStackLevels[2].Action = IoStackCopy;
    IoStackSend(IoStackDevices[2], &copied);
  }), RunStatus::Idle);
  t.expect_clean();
  const Lines lines = t.lines();
  ASSERT_EQ(lines_after_skip, 5u);
  // Skipped twice: the bottom works in the location the sender set up (3 of 3), and the
  // parameters are the sender's. Copied: each driver gets its own location, with the same
  // parameters.
  EXPECT_EQ(lines[2], "io_stack: L0 dispatch location=3 code=00222403");
  EXPECT_EQ(lines[lines_after_skip + 2], "io_stack: L0 dispatch location=1 code=00222403");
  EXPECT_EQ(skipped.IoStatus.Status, STATUS_SUCCESS);
  EXPECT_EQ(copied.IoStatus.Status, STATUS_SUCCESS);
}

TEST(IoCompleteRequest, MoreProcessingRequiredStopsTheWalkUntilTheOwnerCompletesAgain) {
  StackLab t;
  IoStackLevels[1].Action = IoStackCopy;
  IoStackLevels[1].RoutineResult = STATUS_MORE_PROCESSING_REQUIRED;
  IoStackLevels[2].Action = IoStackCopy;
  IOSTACK_RESULT result{};
  Lines when_reclaimed;
  t.lab.spawn("sender", [&] { IoStackSend(IoStackDevices[2], &result); });
  t.lab.spawn("owner", [&] {
    PIRP irp = wait_for_irp(IoStackReclaimed);
    when_reclaimed = t.lines();
    DbgPrint("io_stack: owner completes again\n");
    irp->IoStatus.Status = STATUS_DEVICE_BUSY;  // the owner may change the outcome
    IoCompleteRequest(irp, IO_NO_INCREMENT);
  });
  EXPECT_EQ(t.lab.run_until_idle(), RunStatus::Idle);
  t.expect_clean();
  EXPECT_EQ(when_reclaimed.back(), "io_stack: L1 routine status=00000000 pending=0 cancel=0");
  const Lines tail{
      "io_stack: owner completes again",
      "io_stack: L2 routine status=80000011 pending=0 cancel=0",
      "io_stack: sender routine status=80000011 pending=0",
  };
  EXPECT_EQ(last(t.lines(), tail), tail);
  EXPECT_EQ(result.IoStatus.Status, STATUS_DEVICE_BUSY);
}

TEST(IoCompleteRequest, AFilterThatWaitsAndCompletesAgainHidesTheLowerPendingReturn) {
  StackLab t;
  IoStackLevels[0].Action = IoStackPendDpc;
  IoStackLevels[1].Action = IoStackForwardAndWait;
  IoStackLevels[1].Status = STATUS_INVALID_DEVICE_STATE;
  IoStackLevels[1].Information = 3;
  IoStackLevels[2].Action = IoStackCopy;
  const IOSTACK_RESULT result = t.send_to_top();
  const Lines tail{
      "io_stack: L0 completes status=00000000 irql=2",
      "io_stack: L1 routine status=00000000 pending=1 cancel=0",
      "io_stack: L1 completes again status=C0000184",
      "io_stack: L2 routine status=C0000184 pending=0 cancel=0",
      "io_stack: sender routine status=C0000184 pending=0",
  };
  EXPECT_EQ(last(t.lines(), tail), tail);
  EXPECT_EQ(result.CallStatus, STATUS_INVALID_DEVICE_STATE);
  EXPECT_FALSE(result.PendingReturned);
  EXPECT_EQ(result.IoStatus.Information, 3u);
}

TEST(IoSetCompletionRoutineEx, HoldsAReferenceOnTheDeviceUntilTheRoutineHasRun) {
  StackLab t;
  IoStackLevels[0].Action = IoStackPendKeep;
  IoStackLevels[1].Action = IoStackCopyEx;
  IOSTACK_RESULT result{};
  std::int64_t before = 0, while_pending = 0, after = 0;
  Lines when_pending;
  t.lab.spawn("sender", [&] {
    before = pointer_count(IoStackDevices[1]);
    IoStackSend(IoStackDevices[2], &result);
    after = pointer_count(IoStackDevices[1]);
  });
  t.lab.spawn("completer", [&] {
    PIRP irp = wait_for_irp(IoStackKept);
    while_pending = pointer_count(IoStackDevices[1]);
    when_pending = t.lines();
    irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
  });
  EXPECT_EQ(t.lab.run_until_idle(), RunStatus::Idle);
  t.expect_clean();
  EXPECT_EQ(while_pending, before + 1);
  EXPECT_EQ(after, before);
  EXPECT_FALSE(contains(when_pending, "io_stack: L1 routine status=00000000 pending=1 cancel=0"));
  EXPECT_TRUE(contains(t.lines(), "io_stack: L1 routine status=00000000 pending=1 cancel=0"));
  EXPECT_EQ(result.CallStatus, STATUS_PENDING);
}

}  // namespace
}  // namespace wdmlab::test
