// Handles as user mode sees them: each process has its own handle table (a handle value from
// process A means nothing in process B or in the kernel table); a UserMode reference needs the
// access the handle granted, generic rights mapped through the type's mapping; a kernel handle is
// invalid from UserMode; user mode cannot make kernel handles or permanent objects; and
// ObOpenObjectByPointer.
#include <gtest/gtest.h>

#include <vector>

#include "ob/sync_objects.hpp"
#include "object_names.hpp"
#include "support/lab_test.hpp"
#include "user_threads.hpp"

namespace wdmlab::test {
namespace {

TEST(UserModeHandles, AHandleValueFromOneProcessIsInvalidInAnother) {
  // Without the verifier, which stops the System thread's reference of a handle that is not open
  // in the kernel table (0xC4/0x3C).
  Lab lab({.processors = 2, .seed = 8, .verifier = VerifierOptions::off()});
  _EPROCESS* a = processes().create_process("a.exe");
  _EPROCESS* b = processes().create_process("b.exe");
  keep_alive(a);
  keep_alive(b);
  HANDLE in_a = nullptr;
  NTSTATUS in_own = -1, in_other = -1, in_kernel_table = -1;
  start_user_thread(a, "a", [&] {
    in_service([&] {
      ob::create_event(&in_a, EVENT_ALL_ACCESS, nullptr, NotificationEvent, false);
      in_own = ob::set_event(in_a, nullptr);
    });
  });
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Idle);
  start_user_thread(b, "b", [&] { in_service([&] { in_other = ob::set_event(in_a, nullptr); }); });
  lab.spawn("system", [&] {
    PVOID object = nullptr;
    in_kernel_table = ObReferenceObjectByHandle(in_a, 0, nullptr, KernelMode, &object, nullptr);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(in_own, STATUS_SUCCESS);
  EXPECT_EQ(in_other, STATUS_INVALID_HANDLE);
  EXPECT_EQ(in_kernel_table, STATUS_INVALID_HANDLE);
  EXPECT_EQ(a->handles->size(), 1u);
  EXPECT_EQ(b->handles->size(), 0u);
  EXPECT_FALSE(ob::is_kernel_handle(in_a));
  ob::ObjectManager::require().dereference(a);
  ob::ObjectManager::require().dereference(b);
}

struct AccessRow {
  std::string name;
  ACCESS_MASK granted_by_open;  // the access the handle was opened with
  ACCESS_MASK wanted;           // the access the reference asks for
  NTSTATUS user_mode;
};

class UserModeReferences : public ::testing::TestWithParam<AccessRow> {};

TEST_P(UserModeReferences, NeedTheAccessTheHandleGrantedAndKernelModeDoesNot) {
  const AccessRow row = GetParam();
  // Without the verifier, which stops a KernelMode reference of a user handle (0xC4/0xF6).
  Lab lab({.processors = 1, .seed = 1, .verifier = VerifierOptions::off()});
  _EPROCESS* process = processes().create_process("app.exe");
  NTSTATUS user = -1, kernel = -1;
  start_user_thread(process, "main", [&] {
    in_service([&] {
      HANDLE handle = nullptr;
      ASSERT_EQ(ob::create_event(&handle, row.granted_by_open, nullptr, NotificationEvent, false), STATUS_SUCCESS);
      PVOID object = nullptr;
      user = ObReferenceObjectByHandle(handle, row.wanted, *ExEventObjectType, UserMode, &object, nullptr);
      if (NT_SUCCESS(user)) ObDereferenceObject(object);
      kernel = ObReferenceObjectByHandle(handle, row.wanted, *ExEventObjectType, KernelMode, &object, nullptr);
      if (NT_SUCCESS(kernel)) ObDereferenceObject(object);
      ob::ObjectManager::require().close(handle, UserMode);
    });
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(user, row.user_mode);
  EXPECT_EQ(kernel, STATUS_SUCCESS);
  ob::ObjectManager::require().dereference(process);
}

INSTANTIATE_TEST_SUITE_P(
    Table, UserModeReferences,
    ::testing::Values(AccessRow{"ModifyWithModify", EVENT_MODIFY_STATE, EVENT_MODIFY_STATE, STATUS_SUCCESS},
                      AccessRow{"ModifyWithSynchronizeOnly", SYNCHRONIZE, EVENT_MODIFY_STATE, STATUS_ACCESS_DENIED},
                      AccessRow{"QueryWithModifyOnly", EVENT_MODIFY_STATE, EVENT_QUERY_STATE, STATUS_ACCESS_DENIED},
                      AccessRow{"ModifyWithGenericWrite", GENERIC_WRITE, EVENT_MODIFY_STATE, STATUS_SUCCESS},
                      AccessRow{"GenericReadWithGenericWrite", GENERIC_WRITE, GENERIC_READ, STATUS_ACCESS_DENIED},
                      AccessRow{"GenericWriteWithModify", EVENT_MODIFY_STATE, GENERIC_WRITE,
                                STATUS_ACCESS_DENIED},  // GENERIC_WRITE also maps to READ_CONTROL
                      AccessRow{"AnythingWithAllAccess", EVENT_ALL_ACCESS, GENERIC_ALL, STATUS_SUCCESS},
                      AccessRow{"AnythingWithMaximumAllowed", MAXIMUM_ALLOWED, EVENT_ALL_ACCESS, STATUS_SUCCESS}),
    RowName());

TEST(UserModeHandles, AKernelHandleIsInvalidFromUserModeEvenInItsOwnProcess) {
  Lab lab({.processors = 1, .seed = 1});
  _EPROCESS* process = processes().create_process("app.exe");
  NTSTATUS user_reference = -1, user_set = -1, user_close = -1, kernel_set = -1, kernel_close = -1;
  bool sign_bit = false;
  start_user_thread(process, "main", [&] {
    in_service([&] {
      // A driver running in the application's thread makes a kernel handle...
      ObjectName attributes(u"", OBJ_KERNEL_HANDLE);
      HANDLE handle = nullptr;
      ZwCreateEvent(&handle, EVENT_ALL_ACCESS, attributes.get(), NotificationEvent, FALSE);
      sign_bit = ob::is_kernel_handle(handle);
      // ...which user mode cannot use.
      PVOID object = nullptr;
      user_reference = ObReferenceObjectByHandle(handle, SYNCHRONIZE, nullptr, UserMode, &object, nullptr);
      user_set = ob::set_event(handle, nullptr, UserMode);
      user_close = ob::ObjectManager::require().close(handle, UserMode);
      kernel_set = ZwSetEvent(handle, nullptr);
      kernel_close = ZwClose(handle);
    });
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(sign_bit);
  EXPECT_EQ(user_reference, STATUS_INVALID_HANDLE);
  EXPECT_EQ(user_set, STATUS_INVALID_HANDLE);
  EXPECT_EQ(user_close, STATUS_INVALID_HANDLE);
  EXPECT_EQ(kernel_set, STATUS_SUCCESS);
  EXPECT_EQ(kernel_close, STATUS_SUCCESS);
  EXPECT_EQ(process->handles->size(), 0u);
  ob::ObjectManager::require().dereference(process);
}

TEST(UserModeHandles, UserModeCannotMakeKernelHandlesOrPermanentObjects) {
  Lab lab({.processors = 1, .seed = 1});
  _EPROCESS* process = processes().create_process("app.exe");
  NTSTATUS kernel_flag = -1, permanent = -1;
  bool got_kernel_handle = true;
  start_user_thread(process, "main", [&] {
    in_service([&] {
      ObjectName kernel(u"\\BaseNamedObjects\\Mine", OBJ_KERNEL_HANDLE);
      HANDLE handle = nullptr;
      kernel_flag = ob::create_event(&handle, EVENT_ALL_ACCESS, kernel.get(), NotificationEvent, false);
      got_kernel_handle = ob::is_kernel_handle(handle);
      ob::ObjectManager::require().close(handle, UserMode);
      ObjectName lasting(u"\\BaseNamedObjects\\Lasting", OBJ_PERMANENT);
      permanent = ob::create_event(&handle, EVENT_ALL_ACCESS, lasting.get(), NotificationEvent, false);
    });
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(kernel_flag, STATUS_SUCCESS);
  EXPECT_FALSE(got_kernel_handle);
  EXPECT_EQ(permanent, STATUS_PRIVILEGE_NOT_HELD);
  ob::ObjectManager::require().dereference(process);
}

TEST(ObOpenObjectByPointer, OpensAHandleToAnObjectTheCallerHasAPointerTo) {
  NTSTATUS opened = -1, mismatch = -1, bad_flags = -1;
  ACCESS_MASK granted = 0;
  std::int64_t handles_before = -1, handles_after = -1;
  runs_clean([&] {
    PETHREAD self = PsGetCurrentThread();
    handles_before = handle_count(self);
    HANDLE handle = nullptr;
    opened = ObOpenObjectByPointer(self, OBJ_KERNEL_HANDLE, nullptr, GENERIC_READ, *PsThreadType, KernelMode, &handle);
    handles_after = handle_count(self);
    OBJECT_HANDLE_INFORMATION information{};
    PVOID object = nullptr;
    ObReferenceObjectByHandle(handle, 0, nullptr, KernelMode, &object, &information);
    granted = information.GrantedAccess;
    ObDereferenceObject(object);
    ZwClose(handle);
    HANDLE other = nullptr;
    mismatch = ObOpenObjectByPointer(self, OBJ_KERNEL_HANDLE, nullptr, 0, *PsProcessType, KernelMode, &other);
    bad_flags = ObOpenObjectByPointer(self, 0x80000000, nullptr, 0, nullptr, KernelMode, &other);
  });
  EXPECT_EQ(opened, STATUS_SUCCESS);
  EXPECT_EQ(handles_after, handles_before + 1);
  EXPECT_EQ(granted, static_cast<ACCESS_MASK>(STANDARD_RIGHTS_READ | THREAD_GET_CONTEXT | THREAD_QUERY_INFORMATION));
  EXPECT_EQ(mismatch, STATUS_OBJECT_TYPE_MISMATCH);
  EXPECT_EQ(bad_flags, STATUS_INVALID_PARAMETER);
}

}  // namespace
}  // namespace wdmlab::test
