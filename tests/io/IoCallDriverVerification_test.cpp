// IoCallDriver under Driver Verifier: a KernelMode IRP with a user-mode buffer (Security Checks,
// 0xC4/0xE2), Force Pending I/O (0x200: STATUS_PENDING for an IRP completed synchronously below,
// with what a real pending return gives the caller), and IRP logging (0x400: each device's last
// irp_log_depth IRPs, and the history a finding about a logged IRP carries).
#include <gtest/gtest.h>

#include "base/address_space.hpp"
#include "io/io_stack_support.hpp"
#include "wdmlab/irp_log.hpp"

namespace wdmlab::test {
namespace {

LabOptions with_flags(std::uint32_t flags, unsigned force_pending = 10000) {
  LabOptions options{.processors = 2, .seed = 7};
  options.verifier.flags = kVerifierStandardFlags | flags;
  options.verifier.force_pending_probability = force_pending;
  return options;
}

TEST(ForcePendingIo, AnIrpCompletedBelowIsReturnedPendingAndItsCompletionRoutineSeesPendingReturned) {
  StackLab stack(with_flags(kVerifierForcePendingIo));
  IoStackReset();
  const IOSTACK_RESULT result = stack.send_to_top();
  EXPECT_EQ(result.CallStatus, STATUS_PENDING);
  EXPECT_TRUE(result.PendingReturned);
  EXPECT_EQ(result.IoStatus.Status, STATUS_SUCCESS);
  // Forced where the IRP was completed below: the lowest filter's call. The calls above it got
  // STATUS_PENDING from below already.
  EXPECT_EQ(stack.lab.verifier_counters("io_stack").forced_pending, 1u);
  EXPECT_EQ(stack.lab.verifier_counters("").forced_pending, 0u);
}

TEST(ForcePendingIo, TheSendersOwnCallToTheBottomIsForced) {
  StackLab stack(with_flags(kVerifierForcePendingIo));
  IoStackReset();
  IOSTACK_RESULT result{};
  EXPECT_EQ(stack.run([&] { IoStackSend(IoStackDevices[0], &result); }), RunStatus::Idle);
  stack.expect_clean();
  EXPECT_EQ(result.CallStatus, STATUS_PENDING);
  EXPECT_TRUE(result.PendingReturned);
  EXPECT_EQ(stack.lab.verifier_counters("").forced_pending, 1u);
}

TEST(ForcePendingIo, ACompletionRoutineAboveRunsBeforeIoCallDriverReturns) {
  StackLab stack(with_flags(kVerifierForcePendingIo));
  IoStackReset();
  IoStackLevels[1].Action = IoStackCopy;
  IoStackLevels[1].InvokeOnSuccess = IoStackLevels[1].InvokeOnError = IoStackLevels[1].InvokeOnCancel = TRUE;
  IoStackLevels[1].RoutineResult = STATUS_CONTINUE_COMPLETION;
  const IOSTACK_RESULT result = stack.send_to_top();
  EXPECT_EQ(result.CallStatus, STATUS_PENDING);
  EXPECT_TRUE(result.PendingReturned);
  EXPECT_EQ(result.IoStatus.Status, STATUS_SUCCESS);
}

TEST(ForcePendingIo, AFilterThatWaitsOnItsEventWhenPendingIsUnaffected) {
  StackLab stack(with_flags(kVerifierForcePendingIo));
  IoStackReset();
  IoStackLevels[1].Action = IoStackForwardAndWait;
  IoStackLevels[1].Status = STATUS_DEVICE_BUSY;
  IoStackLevels[1].Information = 3;
  const IOSTACK_RESULT result = stack.send_to_top();
  EXPECT_EQ(result.IoStatus.Status, STATUS_DEVICE_BUSY);
  EXPECT_EQ(result.IoStatus.Information, 3u);
  // Level 1 saw STATUS_PENDING (forced) and waited for the event its completion routine signals;
  // it then completed the IRP at once, and level 2's call was forced in turn.
  EXPECT_EQ(stack.lab.verifier_counters("io_stack").forced_pending, 2u);
  const std::vector<std::string> lines = stack.lines();
  EXPECT_NE(std::find(lines.begin(), lines.end(), "io_stack: L1 completes again status=80000011"), lines.end())
      << ::testing::PrintToString(lines);
}

TEST(ForcePendingIo, OffOrAtZeroProbabilityTheSynchronousStatusComesBack) {
  for (LabOptions options : {with_flags(kVerifierForcePendingIo, 0), with_flags(0)}) {
    StackLab stack(std::move(options));
    IoStackReset();
    const IOSTACK_RESULT result = stack.send_to_top();
    EXPECT_EQ(result.CallStatus, STATUS_SUCCESS);
    EXPECT_FALSE(result.PendingReturned);
    EXPECT_EQ(stack.lab.verifier_counters("").forced_pending, 0u);
  }
}

TEST(ForcePendingIo, AnIrpReallyPendingBelowIsLeftAlone) {
  StackLab stack(with_flags(kVerifierForcePendingIo));
  IoStackReset();
  IoStackLevels[0].Action = IoStackPendDpc;
  const IOSTACK_RESULT result = stack.send_to_top();
  EXPECT_EQ(result.CallStatus, STATUS_PENDING);
  EXPECT_TRUE(result.PendingReturned);
  EXPECT_EQ(result.IoStatus.Status, STATUS_SUCCESS);
  EXPECT_EQ(stack.lab.verifier_counters("").forced_pending, 0u);
}

// Sends a KernelMode IRP whose UserBuffer is user memory to the bottom device.
void send_with_user_buffer(PIRP* sent, void** buffer) {
  PIRP irp = IoAllocateIrp(IoStackDevices[0]->StackSize, FALSE);
  *sent = irp;
  *buffer = base::AddressSpace::current()->map_user(16);
  irp->RequestorMode = KernelMode;
  irp->UserBuffer = *buffer;
  PIO_STACK_LOCATION next = IoGetNextIrpStackLocation(irp);
  next->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
  next->Parameters.DeviceIoControl.IoControlCode = IOCTL_IOSTACK_PING;
  IoCallDriver(IoStackDevices[0], irp);
}

TEST(KernelIrpUserBuffer, IsE2NamingTheIrpAndTheAddress) {
  StackLab stack;
  IoStackReset();
  PIRP irp = nullptr;
  void* buffer = nullptr;
  const Finding finding = stack.stop_of([&] { send_with_user_buffer(&irp, &buffer); });
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
  EXPECT_EQ(finding.parameters, (std::array<std::uint64_t, 4>{0xE2, reinterpret_cast<std::uintptr_t>(irp),
                                                              reinterpret_cast<std::uintptr_t>(buffer), 0}));
}

TEST(KernelIrpUserBuffer, WithoutSecurityChecksTheIrpGoesDown) {
  StackLab stack(
      {.processors = 2, .seed = 7, .verifier = {.flags = kVerifierStandardFlags & ~kVerifierSecurityChecks}});
  IoStackReset();
  PIRP irp = nullptr;
  void* buffer = nullptr;
  // Nobody frees the IRP (the bottom completes it to no completion routine): the lab stops on
  // the completion that finds no thread, after the IRP went down.
  const Finding finding = stack.stop_of([&] { send_with_user_buffer(&irp, &buffer); });
  EXPECT_NE(finding.parameters[0], 0xE2u);
  EXPECT_FALSE(stack.lines().empty());
}

TEST(IrpLogging, KeepsTheLastIrpsOfEachDevice) {
  StackLab stack(with_flags(kVerifierIrpLogging));
  IoStackReset();
  EXPECT_EQ(stack.run([] {
    IOSTACK_RESULT result;
    for (int i = 0; i < 25; ++i) IoStackSend(IoStackDevices[0], &result);
  }),
            RunStatus::Idle);
  stack.expect_clean();
  const std::vector<IrpLogRecord> records = irp_log(IoStackDevices[0]);
  ASSERT_EQ(records.size(), 20u);
  for (const IrpLogRecord& record : records) {
    EXPECT_EQ(record.major, IRP_MJ_INTERNAL_DEVICE_CONTROL);
    EXPECT_EQ(record.requestor_mode, KernelMode);
    EXPECT_TRUE(record.completed);
    EXPECT_EQ(record.status, STATUS_SUCCESS);
    EXPECT_LE(record.dispatched_at, record.completed_at);
  }
  EXPECT_TRUE(irp_log(IoStackDevices[2]).empty());  // nothing was sent there
}

TEST(IrpLogging, IsOffUnlessAsked) {
  StackLab stack;
  IoStackReset();
  stack.send_to_top();
  EXPECT_TRUE(irp_log(IoStackDevices[0]).empty());
}

TEST(IrpLogging, AFindingAboutALoggedIrpCarriesItsHistory) {
  StackLab stack(with_flags(kVerifierIrpLogging));
  IoStackReset();
  PIRP irp = nullptr;
  const Finding finding = stack.stop_of([&] {
    irp = IoAllocateIrp(IoStackDevices[0]->StackSize, FALSE);
    PIO_STACK_LOCATION next = IoGetNextIrpStackLocation(irp);
    next->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
    next->Parameters.DeviceIoControl.IoControlCode = IOCTL_IOSTACK_PING;
    IoSetCompletionRoutine(
        irp, [](PDEVICE_OBJECT, PIRP, PVOID) -> NTSTATUS { return STATUS_MORE_PROCESSING_REQUIRED; }, nullptr, TRUE,
        TRUE, TRUE);
    IoCallDriver(IoStackDevices[0], irp);
    IoReuseIrp(irp, STATUS_SUCCESS);
    irp->UserBuffer = base::AddressSpace::current()->map_user(16);
    IoGetNextIrpStackLocation(irp)->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
    IoCallDriver(IoStackDevices[0], irp);  // 0xE2, about an IRP the log has seen
  });
  EXPECT_EQ(finding.parameters[0], 0xE2u);
  ASSERT_EQ(finding.irp_history.size(), 1u);
  EXPECT_NE(finding.irp_history[0].find("major 0x0f"), std::string::npos) << finding.irp_history[0];
  EXPECT_NE(finding.irp_history[0].find("completed"), std::string::npos) << finding.irp_history[0];
}

}  // namespace
}  // namespace wdmlab::test
