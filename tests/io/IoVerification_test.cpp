// I/O verification (0x10 with its enhanced checks 0x40) and the IRP DDI compliance rules (0x20000)
// on a two-driver stack: what a dispatch routine returned against what it did with its IRP
// (0xC9/0x224, 0x225, 0x23D, 0x23E; 0xC4/0xC5), what IoCallDriver is given (0x203, 0x206, 0x207,
// 0x208), completion (0x209, 0x228, 0x239, 0x23C; 0xC4/0xFB), and the rules reported by name.
// Each case also runs unverified: no verifier finding, the kernel's own behaviour.
#include <gtest/gtest.h>
#include <wdm.h>

#include <string>
#include <vector>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

using Dispatch = NTSTATUS (*)(PDEVICE_OBJECT, PIRP);

// The stack: iov_upper's device attached to iov_lower's. One lab at a time uses it.
struct Stack {
  PDEVICE_OBJECT lower = nullptr;
  PDEVICE_OBJECT upper = nullptr;
  PDEVICE_OBJECT upper_next = nullptr;  // the device iov_upper attached to
  Dispatch lower_dispatch = nullptr;
  Dispatch upper_dispatch = nullptr;
  PIRP kept = nullptr;  // an IRP iov_lower holds; the sender completes it after IoCallDriver returns
  PIRP sent = nullptr;
  IO_REMOVE_LOCK lock{};
  void (*start_io)(PDEVICE_OBJECT, PIRP) = nullptr;  // iov_lower's StartIo, when set
  bool cancel_lock_held = false;  // a dispatch routine kept the cancel spin lock; the sender releases it
  KIRQL cancel_irql = PASSIVE_LEVEL;
};
Stack g;

NTSTATUS NTAPI LowerDispatch(PDEVICE_OBJECT device, PIRP irp) { return g.lower_dispatch(device, irp); }
NTSTATUS NTAPI UpperDispatch(PDEVICE_OBJECT device, PIRP irp) { return g.upper_dispatch(device, irp); }
VOID NTAPI LowerStartIo(PDEVICE_OBJECT device, PIRP irp) { g.start_io(device, irp); }

NTSTATUS NTAPI LowerEntry(PDRIVER_OBJECT driver, PUNICODE_STRING) {
  const NTSTATUS status = IoCreateDevice(driver, 0, nullptr, FILE_DEVICE_UNKNOWN, 0, FALSE, &g.lower);
  if (!NT_SUCCESS(status)) return status;
  IoInitializeRemoveLock(&g.lock, 'kLvI', 0, 0);
  driver->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = LowerDispatch;
  driver->DriverStartIo = LowerStartIo;
  return STATUS_SUCCESS;
}

// iov_upper's cancel routine. The test binary is no driver image, so iov_upper claims this routine
// as its whole image (DriverStart/DriverSize), which is how 0xC9/0x229 tells whose routine it is.
VOID NTAPI UpperCancel(PDEVICE_OBJECT, PIRP) {}

NTSTATUS NTAPI UpperEntry(PDRIVER_OBJECT driver, PUNICODE_STRING) {
  const NTSTATUS status = IoCreateDevice(driver, 0, nullptr, FILE_DEVICE_UNKNOWN, 0, FALSE, &g.upper);
  if (!NT_SUCCESS(status)) return status;
  driver->DriverStart = reinterpret_cast<PVOID>(&UpperCancel);
  driver->DriverSize = 1;
  g.upper_next = IoAttachDeviceToDeviceStack(g.upper, g.lower);
  driver->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = UpperDispatch;
  return STATUS_SUCCESS;
}

// --- what the drivers do ---------------------------------------------------------------------

NTSTATUS complete_success(PIRP irp) {
  irp->IoStatus.Status = STATUS_SUCCESS;
  IoCompleteRequest(irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

NTSTATUS Skip(PDEVICE_OBJECT, PIRP irp) {
  IoSkipCurrentIrpStackLocation(irp);
  return IoCallDriver(g.upper_next, irp);
}

NTSTATUS Complete(PDEVICE_OBJECT, PIRP irp) { return complete_success(irp); }

NTSTATUS Keep(PDEVICE_OBJECT, PIRP irp) {
  IoMarkIrpPending(irp);
  g.kept = irp;
  return STATUS_PENDING;
}

NTSTATUS NTAPI ContinueWithoutMarking(PDEVICE_OBJECT, PIRP, PVOID) { return STATUS_SUCCESS; }

NTSTATUS NTAPI EnterCriticalRegionAndContinue(PDEVICE_OBJECT, PIRP irp, PVOID) {
  KeEnterCriticalRegion();
  if (irp->PendingReturned) IoMarkIrpPending(irp);
  return STATUS_SUCCESS;
}

VOID NTAPI NeverCalled(PDEVICE_OBJECT, PIRP) {}

NTSTATUS NTAPI SetCancelRoutineAndContinue(PDEVICE_OBJECT, PIRP irp, PVOID) {
  IoSetCancelRoutine(irp, NeverCalled);
  return STATUS_SUCCESS;
}

NTSTATUS NTAPI FreeOwnIrp(PDEVICE_OBJECT, PIRP irp, PVOID) {
  IoFreeIrp(irp);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

const Dispatch kPendingNotMarked = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  complete_success(irp);
  return STATUS_PENDING;
};
const Dispatch kMarkedNotPending = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  IoMarkIrpPending(irp);
  return complete_success(irp);
};
const Dispatch kOtherStatus = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  complete_success(irp);
  return STATUS_UNSUCCESSFUL;
};
const Dispatch kUninitialisedStatus = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  irp->IoStatus.Status = static_cast<NTSTATUS>(0xFFFFFFFF);
  g.kept = irp;
  return static_cast<NTSTATUS>(0xFFFFFFFF);
};
const Dispatch kLeaveCriticalRegionEntered = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  KeEnterCriticalRegion();
  return complete_success(irp);
};
const Dispatch kForwardWithCancelRoutine = [](PDEVICE_OBJECT device, PIRP irp) -> NTSTATUS {
  IoSetCancelRoutine(irp, NeverCalled);
  return Skip(device, irp);
};
const Dispatch kCopyEverythingByHand = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  *IoGetNextIrpStackLocation(irp) = *IoGetCurrentIrpStackLocation(irp);
  return IoCallDriver(g.upper_next, irp);
};
const Dispatch kCopyWithoutClearingControl = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  IoMarkIrpPending(irp);
  RtlCopyMemory(IoGetNextIrpStackLocation(irp), IoGetCurrentIrpStackLocation(irp),
                FIELD_OFFSET(IO_STACK_LOCATION, CompletionRoutine));
  IoCallDriver(g.upper_next, irp);
  return STATUS_PENDING;
};
const Dispatch kCompleteWhileBelow = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  IoCopyCurrentIrpStackLocationToNext(irp);
  (void)IoCallDriver(g.upper_next, irp);
  g.kept = nullptr;  // the upper driver takes it back by completing it
  return complete_success(irp);
};
const Dispatch kRoutineWithoutMark = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  IoCopyCurrentIrpStackLocationToNext(irp);
  IoSetCompletionRoutine(irp, ContinueWithoutMarking, nullptr, TRUE, TRUE, TRUE);
  return IoCallDriver(g.upper_next, irp);
};
const Dispatch kRoutineEntersCriticalRegion = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  IoCopyCurrentIrpStackLocationToNext(irp);
  IoSetCompletionRoutine(irp, EnterCriticalRegionAndContinue, nullptr, TRUE, TRUE, TRUE);
  return IoCallDriver(g.upper_next, irp);
};
const Dispatch kRoutineSetsCancelRoutine = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  IoCopyCurrentIrpStackLocationToNext(irp);
  IoSetCompletionRoutine(irp, SetCancelRoutineAndContinue, nullptr, TRUE, TRUE, TRUE);
  return IoCallDriver(g.upper_next, irp);
};
// Makes an IRP of its own, completes it without sending it anywhere (a routine above its
// current location frees it), and forwards the IRP it got.
const Dispatch kCompleteOwnIrpNeverSent = [](PDEVICE_OBJECT device, PIRP irp) -> NTSTATUS {
  PIRP own = IoAllocateIrp(2, FALSE);
  IoSetCompletionRoutine(own, FreeOwnIrp, nullptr, TRUE, TRUE, TRUE);
  IoSetNextIrpStackLocation(own);
  IoSetNextIrpStackLocation(own);
  own->IoStatus.Status = STATUS_SUCCESS;
  IoCompleteRequest(own, IO_NO_INCREMENT);
  return Skip(device, irp);
};
const Dispatch kReturnSuccessForPendingLower = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  IoCopyCurrentIrpStackLocationToNext(irp);
  (void)IoCallDriver(g.upper_next, irp);
  return STATUS_SUCCESS;
};
// After a skip the lower driver's IoMarkIrpPending marks the upper driver's location too.
const Dispatch kSkipAndReturnSuccess = [](PDEVICE_OBJECT device, PIRP irp) -> NTSTATUS {
  (void)Skip(device, irp);
  return STATUS_SUCCESS;
};
const Dispatch kSucceedWithoutCompleting = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  g.kept = irp;
  return STATUS_SUCCESS;
};
const Dispatch kKeepRemoveLock = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  (void)IoAcquireRemoveLock(&g.lock, irp);
  return complete_success(irp);
};
const Dispatch kSendOwnIrpWithoutRoutine = [](PDEVICE_OBJECT device, PIRP irp) -> NTSTATUS {
  PIRP own = IoAllocateIrp(g.upper_next->StackSize, FALSE);
  IoGetNextIrpStackLocation(own)->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
  (void)IoCallDriver(g.upper_next, own);
  return Skip(device, irp);
};
const Dispatch kFreeBuiltIoctl = [](PDEVICE_OBJECT device, PIRP irp) -> NTSTATUS {
  IO_STATUS_BLOCK status_block;
  PIRP built = IoBuildDeviceIoControlRequest(0x222003, g.upper_next, nullptr, 0, nullptr, 0, TRUE, nullptr,
                                             &status_block);
  IoFreeIrp(built);
  return Skip(device, irp);
};

// StartIo completes the request and starts the next one from inside StartIo.
void CompleteAndStartNext(PDEVICE_OBJECT device, PIRP irp) {
  IoSetCancelRoutine(irp, nullptr);
  complete_success(irp);
  IoStartNextPacket(device, FALSE);
}
const Dispatch kStartPacket = [](PDEVICE_OBJECT device, PIRP irp) -> NTSTATUS {
  g.start_io = CompleteAndStartNext;
  IoMarkIrpPending(irp);
  IoStartPacket(device, irp, nullptr, nullptr);
  return STATUS_PENDING;
};
const Dispatch kStartCancelablePacket = [](PDEVICE_OBJECT device, PIRP irp) -> NTSTATUS {
  g.start_io = CompleteAndStartNext;
  IoSetStartIoAttributes(device, TRUE, FALSE);
  IoMarkIrpPending(irp);
  IoStartPacket(device, irp, nullptr, NeverCalled);
  return STATUS_PENDING;
};
const Dispatch kSetRoutineExAndComplete = [](PDEVICE_OBJECT device, PIRP irp) -> NTSTATUS {
  IoCopyCurrentIrpStackLocationToNext(irp);
  (void)IoSetCompletionRoutineEx(device, irp, ContinueWithoutMarking, nullptr, TRUE, TRUE, TRUE);
  return complete_success(irp);
};

const Dispatch kSetCancelRoutineOnACancelledIrp = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  IoMarkIrpPending(irp);
  (void)IoCancelIrp(irp);  // a cancel arriving before the routine is set: nothing to call yet
  IoSetCancelRoutine(irp, NeverCalled);
  g.kept = irp;
  return STATUS_PENDING;
};

const Dispatch kCompleteWithStatusPending = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  irp->IoStatus.Status = STATUS_PENDING;
  IoCompleteRequest(irp, IO_NO_INCREMENT);
  return STATUS_PENDING;
};
const Dispatch kCompleteWithCancelRoutine = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  IoSetCancelRoutine(irp, NeverCalled);
  return complete_success(irp);
};
const Dispatch kCompleteAtHighIrql = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  KIRQL old_irql;
  KeRaiseIrql(HIGH_LEVEL, &old_irql);
  complete_success(irp);
  KeLowerIrql(old_irql);
  return STATUS_SUCCESS;
};
const Dispatch kReturnAtDispatchLevel = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  KIRQL old_irql;
  KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
  return complete_success(irp);
};

// Sends a built device control down (the lower driver keeps it), does not wait for it, and
// completes its own IRP. The event and status block outlive the routine so the late completion
// has somewhere to write.
KEVENT g_built_event;
IO_STATUS_BLOCK g_built_status;
const Dispatch kSendBuiltIoctlWithoutWaiting = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  KeInitializeEvent(&g_built_event, NotificationEvent, FALSE);
  PIRP built = IoBuildDeviceIoControlRequest(0x222003, g.upper_next, nullptr, 0, nullptr, 0, TRUE, &g_built_event,
                                             &g_built_status);
  (void)IoCallDriver(g.upper_next, built);
  return complete_success(irp);
};

// Passes the IRP down (the lower driver keeps it) and then makes it cancelable with a routine of
// its own, although the lower driver holds it.
const Dispatch kSetCancelRoutineWhileBelow = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
  IoCopyCurrentIrpStackLocationToNext(irp);
  const NTSTATUS status = IoCallDriver(g.upper_next, irp);
  if (status == STATUS_PENDING) IoSetCancelRoutine(irp, UpperCancel);
  return status;
};

// --- the sender --------------------------------------------------------------------------------

struct Sent {
  KEVENT done;
};

NTSTATUS NTAPI SenderRoutine(PDEVICE_OBJECT, PIRP, PVOID context) {
  KeSetEvent(&static_cast<Sent*>(context)->done, IO_NO_INCREMENT, FALSE);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

// From a lab thread (code outside any driver): an IRP of `stack_size` locations (0: the upper
// device's StackSize) with a completion routine, sent to the top; an IRP the lower driver kept is
// completed once IoCallDriver has returned.
void send(CCHAR stack_size) {
  PIRP irp = IoAllocateIrp(stack_size != 0 ? stack_size : g.upper->StackSize, FALSE);
  g.sent = irp;
  IoGetNextIrpStackLocation(irp)->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
  Sent sent;
  KeInitializeEvent(&sent.done, NotificationEvent, FALSE);
  IoSetCompletionRoutine(irp, SenderRoutine, &sent, TRUE, TRUE, TRUE);
  (void)IoCallDriver(g.upper, irp);
  if (g.cancel_lock_held) {
    g.cancel_lock_held = false;
    IoReleaseCancelSpinLock(g.cancel_irql);
  }
  if (PIRP kept = g.kept) {
    g.kept = nullptr;
    IoSetCancelRoutine(kept, nullptr);
    complete_success(kept);
  }
  KeWaitForSingleObject(&sent.done, Executive, KernelMode, FALSE, nullptr);
  IoFreeIrp(irp);
}

struct Outcome {
  RunStatus status = RunStatus::Idle;
  std::vector<Finding> findings;
  std::uint64_t irp = 0;
  std::string summaries() const {
    std::string text;
    for (const Finding& finding : findings) text += finding.summary() + "\n";
    return text;
  }
};

Outcome run_stack(Dispatch lower, Dispatch upper, VerifierOptions verifier, CCHAR stack_size = 0) {
  g = Stack{};
  g.lower_dispatch = lower;
  g.upper_dispatch = upper;
  Lab lab({.processors = 1, .seed = 1, .verifier = std::move(verifier)});
  EXPECT_TRUE(lab.load_driver(LowerEntry, "iov_lower").loaded());
  EXPECT_TRUE(lab.load_driver(UpperEntry, "iov_upper").loaded());
  lab.spawn("sender", [stack_size] { send(stack_size); });
  Outcome outcome;
  outcome.status = lab.run_until_idle();
  outcome.findings = lab.findings();
  outcome.irp = reinterpret_cast<std::uintptr_t>(g.sent);
  return outcome;
}

// --- the cases ---------------------------------------------------------------------------------

// A finding expected: bug check and parameter 1 (0xC4, 0xC9), or a rule by name.
struct Expected {
  std::uint32_t code;
  std::uint64_t subcode = 0;
  const char* rule = "";
  const char* driver = "";
};

enum class Routine { Any, Lower, Upper };  // whose dispatch routine parameter 2 names

struct Case {
  const char* name;
  Dispatch lower;
  Dispatch upper;
  std::vector<Expected> expected;  // in order
  RunStatus status;                // how the verified run ends
  Routine p2 = Routine::Any;
  bool p3_is_irp = false;          // parameter 3 is the IRP the sender sent
  CCHAR stack_size = 0;
};

constexpr std::uint32_t kC4 = DRIVER_VERIFIER_DETECTED_VIOLATION;
constexpr std::uint32_t kC9 = DRIVER_VERIFIER_IOMANAGER_VIOLATION;
constexpr std::uint32_t kRule = WDMLAB_DDI_RULE_VIOLATION;

const Case kCases[] = {
    {"CompletesWithStatusPending", kCompleteWithStatusPending, Skip, {{kC9, 0x06, "", "iov_lower"}},
     RunStatus::Stopped, Routine::Any, true},
    {"CompletesWithACancelRoutineSet", kCompleteWithCancelRoutine, Skip, {{kC9, 0x07, "", "iov_lower"}},
     RunStatus::Stopped, Routine::Any, true},
    {"CompletesAboveDispatchLevel", kCompleteAtHighIrql, Skip, {{kC9, 0x0E, "", "iov_lower"}}, RunStatus::Stopped},
    {"ReturnsAtAnotherIrql", kReturnAtDispatchLevel, Skip, {{kC9, 0x05, "IrqlReturn", "iov_lower"}},
     RunStatus::Stopped},
    {"PendingReturnedWithoutMarking", kPendingNotMarked, Skip,
     {{kC9, 0x23D, "MarkIrpPending2", "iov_lower"}, {kRule, 0, "PendedCompletedRequest", "iov_lower"}},
     RunStatus::Idle, Routine::Lower, true},
    {"MarkedPendingButCompletedSynchronously", kMarkedNotPending, Skip,
     {{kC9, 0x23E, "MarkIrpPending", "iov_lower"}}, RunStatus::Idle, Routine::Lower, true},
    {"ReturnsAnotherStatusThanItCompletedWith", kOtherStatus, Skip, {{kC9, 0x224, "", "iov_lower"}},
     RunStatus::Stopped, Routine::Lower, true},
    {"ReturnsAnUninitialisedStatus", kUninitialisedStatus, Skip, {{kC9, 0x225, "", "iov_lower"}}, RunStatus::Idle,
     Routine::Lower, true},
    {"LeavesACriticalRegionEntered", kLeaveCriticalRegionEntered, Skip, {{kC4, 0xC5, "", "iov_lower"}},
     RunStatus::Stopped, Routine::Lower},
    {"ForwardsWithACancelRoutineSet", Complete, kForwardWithCancelRoutine, {{kC9, 0x203, "", "iov_upper"}},
     RunStatus::Stopped, Routine::Any, true},
    {"CopiesTheStackLocationByHand", Complete, kCopyEverythingByHand, {{kC9, 0x207, "", "iov_upper"}},
     RunStatus::Stopped, Routine::Any, true},
    {"CopiesWithoutClearingControl", Complete, kCopyWithoutClearingControl, {{kC9, 0x206, "", "iov_upper"}},
     RunStatus::Stopped, Routine::Any, true},
    {"SendsWithTooFewStackLocations", Complete, Skip, {{kC9, 0x208, "", ""}}, RunStatus::Stopped, Routine::Any, true,
     1},
    {"CompletesWhileALowerDriverHoldsIt", Keep, kCompleteWhileBelow, {{kC9, 0x209, "", "iov_upper"}},
     RunStatus::Stopped, Routine::Any, true},
    {"CompletionRoutineDoesNotPropagatePending", Keep, kRoutineWithoutMark, {{kC9, 0x228, "", "iov_upper"}},
     RunStatus::Idle, Routine::Any, true},
    {"CompletionRoutineEntersACriticalRegion", Complete, kRoutineEntersCriticalRegion,
     {{kC4, 0xFB, "", "iov_upper"}}, RunStatus::Stopped},
    {"CompletionRoutineSetsACancelRoutine", Complete, kRoutineSetsCancelRoutine, {{kC9, 0x23C, "", "iov_upper"}},
     RunStatus::Stopped, Routine::Any, true},
    {"CompletesAnIrpItNeverSent", Complete, kCompleteOwnIrpNeverSent, {{kC9, 0x239, "", "iov_upper"}},
     RunStatus::Idle},
    {"ReturnsSuccessForWhatTheLowerDriverPended", Keep, kReturnSuccessForPendingLower,
     {{kRule, 0, "LowerDriverReturn", "iov_upper"}}, RunStatus::Idle},
    {"SkipsAndReturnsSuccessForWhatTheLowerDriverPended", Keep, kSkipAndReturnSuccess,
     {{kC9, 0x23E, "MarkIrpPending", "iov_upper"}}, RunStatus::Idle, Routine::Upper, true},
    {"SucceedsWithoutCompletingOrForwarding", kSucceedWithoutCompleting, Skip,
     {{kRule, 0, "IrpProcessingComplete", "iov_lower"}}, RunStatus::Idle},
    {"KeepsARemoveLockAfterCompleting", kKeepRemoveLock, Skip,
     {{kRule, 0, "RemoveLockReleaseInternalDeviceControl", "iov_lower"}}, RunStatus::Idle},
    {"SendsItsOwnIrpWithoutACompletionRoutine", Complete, kSendOwnIrpWithoutRoutine,
     {{kRule, 0, "IoAllocateForward", "iov_upper"}, {KMODE_EXCEPTION_NOT_HANDLED, 0, "", ""}}, RunStatus::Stopped},
    {"CallsIoStartNextPacketInsideStartIo", kStartPacket, Skip, {{kRule, 0, "StartIoRecursion", "iov_lower"}},
     RunStatus::Idle},
    {"GivesACancelRoutineAfterMakingStartIoCancelable", kStartCancelablePacket, Skip,
     {{kRule, 0, "StartIoCancel", "iov_lower"}}, RunStatus::Idle},
    {"SetsACompletionRoutineExAndDoesNotSend", Complete, kSetRoutineExAndComplete,
     {{kRule, 0, "CompletionRoutineRegistered", "iov_upper"}}, RunStatus::Idle},
    {"SetsACancelRoutineWithoutCheckingCancel", kSetCancelRoutineOnACancelledIrp, Skip,
     {{kRule, 0, "IrpCancelField", "iov_lower"}}, RunStatus::Idle},
    {"DoesNotWaitForABuiltDeviceControl", Keep, kSendBuiltIoctlWithoutWaiting,
     {{kRule, 0, "IoBuildDeviceControlWait", "iov_upper"}}, RunStatus::Idle},
    {"SetsACancelRoutineWhileALowerDriverHoldsIt", Keep, kSetCancelRoutineWhileBelow,
     {{kC9, 0x229, "", "iov_upper"}}, RunStatus::Stopped, Routine::Upper, true},
    {"FreesABuiltDeviceControlIrp", Complete, kFreeBuiltIoctl,
     {{kRule, 0, "IoBuildDeviceControlNoFree", "iov_upper"}, {kC9, 0x02, "", "iov_upper"}}, RunStatus::Stopped},
};

class IoVerification : public ::testing::TestWithParam<Case> {};

// Under the standard flags each case gives exactly its findings, in order, with Microsoft's
// severity: fatal stops the run, non-fatal ones and warnings are recorded and the run goes on.
TEST_P(IoVerification, FindsWhatWindowsReports) {
  const Case& row = GetParam();
  const Outcome outcome = run_stack(row.lower, row.upper, VerifierOptions::standard(), row.stack_size);
  EXPECT_EQ(outcome.status, row.status) << outcome.summaries();
  ASSERT_EQ(outcome.findings.size(), row.expected.size()) << outcome.summaries();
  for (std::size_t i = 0; i < row.expected.size(); ++i) {
    const Expected& expected = row.expected[i];
    const Finding& finding = outcome.findings[i];
    EXPECT_EQ(finding.code, expected.code) << finding.summary();
    if (expected.code == kC4 || expected.code == kC9) {
      EXPECT_EQ(finding.parameters[0], expected.subcode);
    }
    if (expected.code == kC4 || expected.code == kC9 || expected.code == kRule) {
      EXPECT_EQ(finding.rule, expected.rule) << finding.summary();
      EXPECT_EQ(finding.driver, expected.driver) << finding.summary();
      const bool fatal = i + 1 == row.expected.size() && row.status == RunStatus::Stopped;
      if (expected.code != kRule) {
        EXPECT_EQ(finding.severity == Severity::Fatal, fatal) << finding.summary();
      }
    }
  }
  const Finding& first = outcome.findings.front();
  if (row.p2 == Routine::Lower) {
    EXPECT_EQ(first.parameters[1], reinterpret_cast<std::uintptr_t>(&LowerDispatch));
  }
  if (row.p2 == Routine::Upper) {
    EXPECT_EQ(first.parameters[1], reinterpret_cast<std::uintptr_t>(&UpperDispatch));
  }
  if (row.p3_is_irp) {
    EXPECT_EQ(first.parameters[2], outcome.irp) << first.summary();
  }
}

// Unverified, the same drivers get no verifier finding: only the kernel's own stops remain.
TEST_P(IoVerification, IsNotReportedForDriversThatAreNotVerified) {
  const Case& row = GetParam();
  const Outcome outcome = run_stack(row.lower, row.upper, VerifierOptions::off(), row.stack_size);
  for (const Finding& finding : outcome.findings) {
    EXPECT_NE(finding.code, kC4) << finding.summary();
    EXPECT_NE(finding.code, kC9) << finding.summary();
    EXPECT_NE(finding.code, kRule) << finding.summary();
  }
}

INSTANTIATE_TEST_SUITE_P(Drivers, IoVerification, ::testing::ValuesIn(kCases), RowName());

// Without I/O verification but with DDI compliance checking, the pending mismatches are reported
// by their rule names (MarkIrpPending, MarkIrpPending2) instead of 0xC9/0x23E, 0x23D.
TEST(IoVerification, DdiComplianceAloneReportsThePendingRulesByName) {
  VerifierOptions ddi_only{.flags = kVerifierDdiCompliance};
  const Outcome marked = run_stack(kMarkedNotPending, Skip, ddi_only);
  ASSERT_EQ(marked.findings.size(), 1u) << marked.summaries();
  EXPECT_EQ(marked.findings[0].code, kRule);
  EXPECT_EQ(marked.findings[0].rule, "MarkIrpPending");
  EXPECT_EQ(marked.findings[0].parameters[1], marked.irp);
  EXPECT_EQ(marked.findings[0].parameters[2], reinterpret_cast<std::uintptr_t>(&LowerDispatch));

  const Outcome not_marked = run_stack(
      [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
        g.kept = irp;
        return STATUS_PENDING;
      },
      Skip, ddi_only);
  ASSERT_EQ(not_marked.findings.size(), 1u) << not_marked.summaries();
  EXPECT_EQ(not_marked.findings[0].rule, "MarkIrpPending2");
}

// CompleteRequestStatusCheck: the upper driver waits for its IRP to come back failed from below,
// then completes it with STATUS_SUCCESS (or, correctly, with the status it came back with).
NTSTATUS NTAPI SignalAndKeep(PDEVICE_OBJECT, PIRP, PVOID context) {
  KeSetEvent(static_cast<PKEVENT>(context), IO_NO_INCREMENT, FALSE);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

NTSTATUS forward_wait_and_complete(PIRP irp, bool claim_success) {
  KEVENT back;
  KeInitializeEvent(&back, NotificationEvent, FALSE);
  IoCopyCurrentIrpStackLocationToNext(irp);
  IoSetCompletionRoutine(irp, SignalAndKeep, &back, TRUE, TRUE, TRUE);
  if (IoCallDriver(g.upper_next, irp) == STATUS_PENDING) {
    KeWaitForSingleObject(&back, Executive, KernelMode, FALSE, nullptr);
  }
  if (claim_success) irp->IoStatus.Status = STATUS_SUCCESS;
  const NTSTATUS status = irp->IoStatus.Status;
  IoCompleteRequest(irp, IO_NO_INCREMENT);
  return status;
}

TEST(IoVerification, CompletingWithSuccessWhatTheLowerDriverFailedBreaksCompleteRequestStatusCheck) {
  const Dispatch fail = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
    irp->IoStatus.Status = STATUS_UNSUCCESSFUL;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_UNSUCCESSFUL;
  };
  const Outcome claimed = run_stack(
      fail, [](PDEVICE_OBJECT, PIRP irp) { return forward_wait_and_complete(irp, true); }, VerifierOptions{});
  ASSERT_EQ(claimed.findings.size(), 1u) << claimed.summaries();
  EXPECT_EQ(claimed.findings[0].code, kRule);
  EXPECT_EQ(claimed.findings[0].rule, "CompleteRequestStatusCheck");
  EXPECT_EQ(claimed.findings[0].driver, "iov_upper");
  EXPECT_EQ(claimed.findings[0].parameters[1], claimed.irp);

  const Outcome passed_on = run_stack(
      fail, [](PDEVICE_OBJECT, PIRP irp) { return forward_wait_and_complete(irp, false); }, VerifierOptions{});
  EXPECT_TRUE(passed_on.findings.empty()) << passed_on.summaries();
}

// CompleteRequest: a completion routine completes the IRP whose completion is calling it. The
// kernel stops with 0x44; DDI compliance checking names the rule.
NTSTATUS NTAPI CompleteAgain(PDEVICE_OBJECT, PIRP irp, PVOID) {
  IoCompleteRequest(irp, IO_NO_INCREMENT);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

TEST(IoVerification, CompletingFromACompletionRoutineBreaksCompleteRequest) {
  const Outcome outcome = run_stack(
      Complete,
      [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
        IoCopyCurrentIrpStackLocationToNext(irp);
        IoSetCompletionRoutine(irp, CompleteAgain, nullptr, TRUE, TRUE, TRUE);
        return IoCallDriver(g.upper_next, irp);
      },
      VerifierOptions{});
  ASSERT_FALSE(outcome.findings.empty());
  const Finding& last = outcome.findings.back();
  EXPECT_EQ(last.code, MULTIPLE_IRP_COMPLETE_REQUESTS) << outcome.summaries();
  EXPECT_EQ(last.rule, "CompleteRequest");
  EXPECT_EQ(last.parameters[0], outcome.irp);
}

// PendedCompletedRequest2: the upper driver completes its IRP right after IoCallDriver returned
// STATUS_PENDING, without waiting for it to come back.
TEST(IoVerification, CompletingWhatIsStillPendingBelowBreaksPendedCompletedRequest2) {
  const Outcome outcome = run_stack(
      Keep,
      [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
        IoCopyCurrentIrpStackLocationToNext(irp);
        if (IoCallDriver(g.upper_next, irp) == STATUS_PENDING) {
          irp->IoStatus.Status = STATUS_SUCCESS;
          IoCompleteRequest(irp, IO_NO_INCREMENT);  // still the lower driver's
        }
        return STATUS_SUCCESS;
      },
      VerifierOptions{.flags = kVerifierDdiCompliance});
  std::vector<const Finding*> rule;
  for (const Finding& finding : outcome.findings) {
    if (finding.rule == "PendedCompletedRequest2") rule.push_back(&finding);
  }
  ASSERT_EQ(rule.size(), 1u) << outcome.summaries();
  EXPECT_EQ(rule[0]->code, kRule);
  EXPECT_EQ(rule[0]->driver, "iov_upper");
  EXPECT_EQ(rule[0]->parameters[1], outcome.irp);
}

// CancelSpinLock: a dispatch routine returns holding the cancel spin lock.
TEST(IoVerification, DispatchReturningWithTheCancelSpinLockHeldBreaksCancelSpinLock) {
  VerifierOptions ddi_only{.flags = kVerifierDdiCompliance};
  const Dispatch keep_cancel_lock = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
    IoAcquireCancelSpinLock(&g.cancel_irql);
    g.cancel_lock_held = true;
    irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
  };
  const Outcome outcome = run_stack(keep_cancel_lock, Skip, ddi_only);
  std::vector<const Finding*> cancel_lock;
  for (const Finding& finding : outcome.findings) {
    if (finding.rule == "CancelSpinLock") cancel_lock.push_back(&finding);
  }
  ASSERT_EQ(cancel_lock.size(), 1u) << outcome.summaries();
  EXPECT_EQ(cancel_lock[0]->code, kRule);
  EXPECT_EQ(cancel_lock[0]->severity, Severity::NonFatal);
  EXPECT_EQ(cancel_lock[0]->driver, "iov_lower");
  EXPECT_EQ(cancel_lock[0]->parameters[2], reinterpret_cast<std::uintptr_t>(&LowerDispatch));

  const Outcome without = run_stack(keep_cancel_lock, Skip, VerifierOptions::off());
  for (const Finding& finding : without.findings) EXPECT_NE(finding.rule, "CancelSpinLock");
}

// Per-driver flags: only the driver verified is charged.
TEST(IoVerification, ChecksOnlyTheDriversVerified) {
  VerifierOptions upper_only{.drivers = {"iov_upper"}};
  const Outcome outcome = run_stack(kMarkedNotPending, Skip, upper_only);
  EXPECT_TRUE(outcome.findings.empty()) << outcome.summaries();
}

// The correct patterns raise nothing: skip, copy with a routine that propagates pending, pend and
// complete later, forward and wait.
TEST(IoVerification, CorrectDriversRaiseNothing) {
  const Dispatch forward_with_routine = [](PDEVICE_OBJECT, PIRP irp) -> NTSTATUS {
    IoCopyCurrentIrpStackLocationToNext(irp);
    IoSetCompletionRoutine(
        irp,
        [](PDEVICE_OBJECT, PIRP routine_irp, PVOID) -> NTSTATUS {
          if (routine_irp->PendingReturned) IoMarkIrpPending(routine_irp);
          return STATUS_SUCCESS;
        },
        nullptr, TRUE, TRUE, TRUE);
    return IoCallDriver(g.upper_next, irp);
  };
  for (Dispatch lower : {Complete, Keep}) {
    for (Dispatch upper : {Skip, forward_with_routine}) {
      const Outcome outcome = run_stack(lower, upper, VerifierOptions::standard());
      EXPECT_EQ(outcome.status, RunStatus::Idle);
      EXPECT_TRUE(outcome.findings.empty()) << outcome.summaries();
    }
  }
}

// Building a device control, sending it and waiting for it when it pends raises nothing.
TEST(IoVerification, WaitingForABuiltDeviceControlRaisesNothing) {
  const Dispatch build_send_and_wait = [](PDEVICE_OBJECT device, PIRP irp) -> NTSTATUS {
    KEVENT event;
    IO_STATUS_BLOCK status_block;
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    PIRP built = IoBuildDeviceIoControlRequest(0x222003, g.upper_next, nullptr, 0, nullptr, 0, TRUE, &event,
                                               &status_block);
    if (IoCallDriver(g.upper_next, built) == STATUS_PENDING) {
      KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr);
    }
    return Skip(device, irp);
  };
  const Outcome outcome = run_stack(Complete, build_send_and_wait, VerifierOptions::standard());
  EXPECT_EQ(outcome.status, RunStatus::Idle);
  EXPECT_TRUE(outcome.findings.empty()) << outcome.summaries();
}

}  // namespace
}  // namespace wdmlab::test
