// Device stacks: IoAttachDeviceToDeviceStack, IoGetAttachedDevice(Reference),
// IoGetLowerDeviceObject, IoDetachDevice, IoGetDeviceObjectPointer, IoDeleteDevice with a file
// open, and exclusive devices; and the verifier stops for detaching twice and deleting a device
// that is still attached.
#include <gtest/gtest.h>

#include "io/io_stack_support.hpp"
#include "ob/object_names.hpp"

namespace wdmlab::test {
namespace {

using Lines = std::vector<std::string>;

bool on_driver_list(PDRIVER_OBJECT driver, PDEVICE_OBJECT device) {
  for (PDEVICE_OBJECT entry = driver->DeviceObject; entry != nullptr; entry = entry->NextDevice) {
    if (entry == device) return true;
  }
  return false;
}

TEST(IoAttachDeviceToDeviceStack, AttachesToTheTopOfTheStackAndGrowsStackSize) {
  StackLab t;
  PDEVICE_OBJECT extra = nullptr, attached_to = nullptr;
  CCHAR extra_stack = 0;
  PDEVICE_OBJECT top_with_extra = nullptr;
  EXPECT_EQ(t.run([&] {
    ASSERT_EQ(IoCreateDevice(t.driver->object, 0, nullptr, FILE_DEVICE_UNKNOWN, 0, FALSE, &extra), STATUS_SUCCESS);
    attached_to = IoAttachDeviceToDeviceStack(extra, IoStackDevices[0]);  // named the bottom
    extra_stack = extra->StackSize;
    top_with_extra = IoGetAttachedDevice(IoStackDevices[0]);
    IoDetachDevice(attached_to);
    IoDeleteDevice(extra);
  }), RunStatus::Idle);
  t.expect_clean();
  EXPECT_EQ(IoStackDevices[0]->StackSize, 1);
  EXPECT_EQ(IoStackDevices[1]->StackSize, 2);
  EXPECT_EQ(IoStackDevices[2]->StackSize, 3);
  EXPECT_EQ(IoStackDevices[0]->AttachedDevice, IoStackDevices[1]);
  EXPECT_EQ(IoStackDevices[1]->AttachedDevice, IoStackDevices[2]);
  EXPECT_EQ(attached_to, IoStackDevices[2]);  // the top, not the device named
  EXPECT_EQ(extra_stack, 4);
  EXPECT_EQ(top_with_extra, extra);
  EXPECT_EQ(IoStackDevices[2]->AttachedDevice, nullptr);  // detached again
}

TEST(IoGetAttachedDeviceReference, ReturnsTheTopDeviceReferenced) {
  StackLab t;
  PDEVICE_OBJECT top = nullptr;
  std::int64_t before = 0, held = 0, after = 0;
  EXPECT_EQ(t.run([&] {
    before = pointer_count(IoStackDevices[2]);
    top = IoGetAttachedDeviceReference(IoStackDevices[0]);
    held = pointer_count(IoStackDevices[2]);
    ObDereferenceObject(top);
    after = pointer_count(IoStackDevices[2]);
  }), RunStatus::Idle);
  t.expect_clean();
  EXPECT_EQ(top, IoStackDevices[2]);
  EXPECT_EQ(held, before + 1);
  EXPECT_EQ(after, before);
}

TEST(IoGetLowerDeviceObject, ReturnsTheDeviceBelowReferencedAndNullAtTheBottom) {
  StackLab t;
  PDEVICE_OBJECT lower = nullptr, below_bottom = reinterpret_cast<PDEVICE_OBJECT>(1);
  std::int64_t before = 0, held = 0;
  EXPECT_EQ(t.run([&] {
    before = pointer_count(IoStackDevices[1]);
    lower = IoGetLowerDeviceObject(IoStackDevices[2]);
    held = pointer_count(IoStackDevices[1]);
    ObDereferenceObject(lower);
    below_bottom = IoGetLowerDeviceObject(IoStackDevices[0]);
  }), RunStatus::Idle);
  t.expect_clean();
  EXPECT_EQ(lower, IoStackDevices[1]);
  EXPECT_EQ(held, before + 1);
  EXPECT_EQ(below_bottom, nullptr);
}

TEST(IoDetachDevice, DetachesTheDeviceAboveAndTheStackEndsBelowIt) {
  StackLab t;
  PDEVICE_OBJECT top = nullptr, lower_of_detached = reinterpret_cast<PDEVICE_OBJECT>(1);
  EXPECT_EQ(t.run([&] {
    IoDetachDevice(IoStackDevices[1]);
    top = IoGetAttachedDevice(IoStackDevices[0]);
    lower_of_detached = IoGetLowerDeviceObject(IoStackDevices[2]);
  }), RunStatus::Idle);
  t.expect_clean();
  EXPECT_EQ(IoStackDevices[1]->AttachedDevice, nullptr);
  EXPECT_EQ(top, IoStackDevices[1]);
  EXPECT_EQ(lower_of_detached, nullptr);
}

TEST(IoDetachDevice, DetachingTwiceIsVerifierError202) {
  StackLab t;
  const Finding finding = t.stop_of([&] {
    IoDetachDevice(IoStackDevices[1]);
    IoDetachDevice(IoStackDevices[1]);
  });
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_IOMANAGER_VIOLATION);
  EXPECT_EQ(finding.parameters[0], 0x202u);
  EXPECT_EQ(finding.parameters[2], reinterpret_cast<std::uint64_t>(IoStackDevices[1]));
}

// Unverified, the second detach finds nothing attached and does nothing.
TEST(IoDetachDevice, DetachingTwiceWithoutTheVerifierDoesNothing) {
  StackLab t({.processors = 2, .seed = 7, .verifier = VerifierOptions::off()});
  EXPECT_EQ(t.run([&] {
    IoDetachDevice(IoStackDevices[1]);
    IoDetachDevice(IoStackDevices[1]);
  }), RunStatus::Idle);
  t.expect_clean();
  EXPECT_EQ(IoStackDevices[1]->AttachedDevice, nullptr);
}

TEST(IoDeleteDevice, DeletingADeviceStillAttachedIsVerifierError201) {
  StackLab t;
  const Finding finding = t.stop_of([&] { IoDeleteDevice(IoStackDevices[2]); });
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_IOMANAGER_VIOLATION);
  EXPECT_EQ(finding.parameters[0], 0x201u);
  EXPECT_EQ(finding.parameters[2], reinterpret_cast<std::uint64_t>(IoStackDevices[2]));
}

TEST(IoGetDeviceObjectPointer, OpensTheNamedDeviceAndReturnsTheTopOfItsStack) {
  StackLab t;
  NTSTATUS status = STATUS_PENDING, missing = STATUS_SUCCESS;
  PFILE_OBJECT file = nullptr;
  PDEVICE_OBJECT device = nullptr;
  PDEVICE_OBJECT file_device = nullptr;
  LONG opens = -1;
  Lines before_dereference;
  EXPECT_EQ(t.run([&] {
    UNICODE_STRING name = counted(u"\\Device\\IoStackLower");
    status = IoGetDeviceObjectPointer(&name, FILE_READ_DATA, &file, &device);
    if (!NT_SUCCESS(status)) return;
    file_device = file->DeviceObject;
    opens = IoStackDevices[0]->ReferenceCount;
    before_dereference = t.lines();
    ObDereferenceObject(file);
    UNICODE_STRING nothing = counted(u"\\Device\\IoStackNothing");
    PFILE_OBJECT other = nullptr;
    PDEVICE_OBJECT other_device = nullptr;
    missing = IoGetDeviceObjectPointer(&nothing, FILE_READ_DATA, &other, &other_device);
  }), RunStatus::Idle);
  t.expect_clean();
  EXPECT_EQ(status, STATUS_SUCCESS);
  EXPECT_EQ(device, IoStackDevices[2]);
  EXPECT_EQ(file_device, IoStackDevices[0]);
  EXPECT_EQ(opens, 1);
  // The open reached the top of the stack; the handle was closed before the routine returned
  // (cleanup), and the file object's last reference sends the close.
  EXPECT_EQ(before_dereference, (Lines{"io_stack: L2 create", "io_stack: L1 create", "io_stack: L0 create",
                                       "io_stack: L2 cleanup", "io_stack: L1 cleanup", "io_stack: L0 cleanup"}));
  EXPECT_EQ(t.lines().size(), 9u);
  EXPECT_EQ(t.lines().back(), "io_stack: L0 close");
  EXPECT_EQ(IoStackDevices[0]->ReferenceCount, 0);
  EXPECT_EQ(missing, STATUS_OBJECT_NAME_NOT_FOUND);
}

TEST(IoDeleteDevice, WithAFileOpenTheDeviceGoesWhenTheFileCloses) {
  StackLab t;
  PDEVICE_OBJECT device = IoStackExclusiveDevice;
  bool listed_while_open = false;
  NTSTATUS reopen = STATUS_SUCCESS;
  Lines when_deleted;
  EXPECT_EQ(t.run([&] {
    HANDLE handle = nullptr;
    ASSERT_EQ(open_io_test(&handle, GENERIC_READ, false, u"\\Device\\IoStackExclusive"), STATUS_SUCCESS);
    IoDeleteDevice(device);
    when_deleted = t.lines();
    listed_while_open = on_driver_list(t.driver->object, device);
    HANDLE again = nullptr;
    reopen = open_io_test(&again, GENERIC_READ, false, u"\\Device\\IoStackExclusive");
    ZwClose(handle);
  }), RunStatus::Idle);
  t.expect_clean();
  EXPECT_EQ(when_deleted, (Lines{"io_stack: L0 create"}));
  EXPECT_TRUE(listed_while_open);
  EXPECT_EQ(reopen, STATUS_OBJECT_NAME_NOT_FOUND);  // the name went with IoDeleteDevice
  // The driver still got cleanup and close for the open file; then the device was deleted.
  EXPECT_EQ(t.lines(), (Lines{"io_stack: L0 create", "io_stack: L0 cleanup", "io_stack: L0 close"}));
  EXPECT_FALSE(on_driver_list(t.driver->object, device));
}

TEST(IoCreateDevice, AnExclusiveDeviceRefusesASecondOpen) {
  StackLab t;
  NTSTATUS first = STATUS_PENDING, second = STATUS_PENDING, after_close = STATUS_PENDING;
  EXPECT_EQ(t.run([&] {
    HANDLE one = nullptr, two = nullptr, three = nullptr;
    first = open_io_test(&one, GENERIC_READ, false, u"\\Device\\IoStackExclusive");
    second = open_io_test(&two, GENERIC_READ, false, u"\\Device\\IoStackExclusive");
    if (NT_SUCCESS(first)) ZwClose(one);
    after_close = open_io_test(&three, GENERIC_READ, false, u"\\Device\\IoStackExclusive");
    if (NT_SUCCESS(after_close)) ZwClose(three);
  }), RunStatus::Idle);
  t.expect_clean();
  EXPECT_TRUE((IoStackExclusiveDevice->Flags & DO_EXCLUSIVE) != 0);
  EXPECT_EQ(first, STATUS_SUCCESS);
  EXPECT_EQ(second, STATUS_ACCESS_DENIED);
  EXPECT_EQ(after_close, STATUS_SUCCESS);
  // The refused open never reached the driver.
  EXPECT_EQ(t.lines(), (Lines{"io_stack: L0 create", "io_stack: L0 cleanup", "io_stack: L0 close",
                              "io_stack: L0 create", "io_stack: L0 cleanup", "io_stack: L0 close"}));
}

}  // namespace
}  // namespace wdmlab::test
