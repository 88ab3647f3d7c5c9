// ZwDuplicateObject and ObjectManager::duplicate (DuplicateHandle): DUPLICATE_SAME_ACCESS,
// DUPLICATE_SAME_ATTRIBUTES, DUPLICATE_CLOSE_SOURCE (also with no target process), access reduced
// by DesiredAccess, a user-mode caller unable to gain access, and a handle duplicated from one user
// process into another.
#include <gtest/gtest.h>

#include <vector>

#include "ob/sync_objects.hpp"
#include "object_names.hpp"
#include "support/lab_test.hpp"
#include "user_threads.hpp"

namespace wdmlab::test {
namespace {

OBJECT_HANDLE_INFORMATION information_of(HANDLE handle) {
  OBJECT_HANDLE_INFORMATION information{};
  PVOID object = nullptr;
  if (NT_SUCCESS(ObReferenceObjectByHandle(handle, 0, nullptr, KernelMode, &object, &information))) {
    ObDereferenceObject(object);
  }
  return information;
}

PVOID object_of(HANDLE handle) {
  PVOID object = nullptr;
  if (NT_SUCCESS(ObReferenceObjectByHandle(handle, 0, nullptr, KernelMode, &object, nullptr))) {
    ObDereferenceObject(object);
  }
  return object;
}

TEST(ZwDuplicateObject, WithSameAccessGivesASecondHandleToTheSameObject) {
  NTSTATUS status = -1;
  bool same_object = false, different_value = false;
  ACCESS_MASK source_access = 0, duplicate_access = 0;
  std::int64_t handles = -1;
  runs_clean([&] {
    HANDLE source = nullptr, duplicate = nullptr;
    ZwCreateEvent(&source, EVENT_MODIFY_STATE | SYNCHRONIZE, nullptr, NotificationEvent, FALSE);
    status = ZwDuplicateObject(NtCurrentProcess(), source, NtCurrentProcess(), &duplicate, 0, 0, DUPLICATE_SAME_ACCESS);
    same_object = object_of(source) == object_of(duplicate) && object_of(source) != nullptr;
    different_value = source != duplicate;
    source_access = information_of(source).GrantedAccess;
    duplicate_access = information_of(duplicate).GrantedAccess;
    handles = handle_count(object_of(source));
    ZwClose(source);
    ZwClose(duplicate);
  });
  EXPECT_EQ(status, STATUS_SUCCESS);
  EXPECT_TRUE(same_object);
  EXPECT_TRUE(different_value);
  EXPECT_EQ(duplicate_access, source_access);
  EXPECT_EQ(duplicate_access, static_cast<ACCESS_MASK>(EVENT_MODIFY_STATE | SYNCHRONIZE));
  EXPECT_EQ(handles, 2);
}

TEST(ZwDuplicateObject, WithoutSameAccessGrantsDesiredAccessSoItCanReduceIt) {
  ACCESS_MASK reduced = 0, mapped = 0;
  runs_clean([&] {
    HANDLE source = nullptr, narrow = nullptr, generic = nullptr;
    ZwCreateEvent(&source, EVENT_ALL_ACCESS, nullptr, NotificationEvent, FALSE);
    ZwDuplicateObject(NtCurrentProcess(), source, NtCurrentProcess(), &narrow, SYNCHRONIZE, 0, 0);
    ZwDuplicateObject(NtCurrentProcess(), source, NtCurrentProcess(), &generic, GENERIC_READ, 0, 0);
    reduced = information_of(narrow).GrantedAccess;
    mapped = information_of(generic).GrantedAccess;
    for (HANDLE handle : {source, narrow, generic}) ZwClose(handle);
  });
  EXPECT_EQ(reduced, static_cast<ACCESS_MASK>(SYNCHRONIZE));
  EXPECT_EQ(mapped, static_cast<ACCESS_MASK>(STANDARD_RIGHTS_READ | EVENT_QUERY_STATE));
}

TEST(ZwDuplicateObject, WithSameAttributesCopiesTheSourceHandlesAttributes) {
  ULONG copied = 0, given = 0xFFFF;
  runs_clean([&] {
    ObjectName inherit(u"", OBJ_KERNEL_HANDLE | OBJ_INHERIT);
    HANDLE source = nullptr, same = nullptr, plain = nullptr;
    ZwCreateEvent(&source, EVENT_ALL_ACCESS, inherit.get(), NotificationEvent, FALSE);
    ZwDuplicateObject(NtCurrentProcess(), source, NtCurrentProcess(), &same, 0, OBJ_KERNEL_HANDLE,
                      DUPLICATE_SAME_ACCESS | DUPLICATE_SAME_ATTRIBUTES);
    ZwDuplicateObject(NtCurrentProcess(), source, NtCurrentProcess(), &plain, 0, OBJ_KERNEL_HANDLE,
                      DUPLICATE_SAME_ACCESS);
    copied = information_of(same).HandleAttributes;
    given = information_of(plain).HandleAttributes;
    for (HANDLE handle : {source, same, plain}) ZwClose(handle);
  });
  EXPECT_EQ(copied, static_cast<ULONG>(OBJ_INHERIT));
  EXPECT_EQ(given, 0u);
}

TEST(ZwDuplicateObject, WithCloseSourceClosesTheSourceHandle) {
  NTSTATUS duplicated = -1, source_after = -1, null_target = -1, null_target_source_after = -1,
           null_target_without_close = -1;
  std::int64_t handles = -1;
  runs_clean([&] {
    HANDLE source = nullptr, moved = nullptr;
    ZwCreateEvent(&source, EVENT_ALL_ACCESS, nullptr, NotificationEvent, FALSE);
    PVOID event = object_of(source);
    duplicated = ZwDuplicateObject(NtCurrentProcess(), source, NtCurrentProcess(), &moved, 0, 0,
                                   DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE);
    source_after = ZwClose(source);
    handles = handle_count(event);
    null_target_without_close = ZwDuplicateObject(NtCurrentProcess(), moved, nullptr, nullptr, 0, 0, 0);
    null_target = ZwDuplicateObject(NtCurrentProcess(), moved, nullptr, nullptr, 0, 0, DUPLICATE_CLOSE_SOURCE);
    null_target_source_after = ZwClose(moved);
  }, 1, 1, VerifierOptions::off());  // verified, closing the closed source is 0x93
  EXPECT_EQ(duplicated, STATUS_SUCCESS);
  EXPECT_EQ(source_after, STATUS_INVALID_HANDLE);
  EXPECT_EQ(handles, 1);
  EXPECT_EQ(null_target_without_close, STATUS_INVALID_HANDLE);
  EXPECT_EQ(null_target, STATUS_SUCCESS);
  EXPECT_EQ(null_target_source_after, STATUS_INVALID_HANDLE);
}

TEST(ZwDuplicateObject, RefusesUnknownOptionsAndHandles) {
  std::vector<NTSTATUS> statuses;
  runs_clean([&] {
    HANDLE source = nullptr, duplicate = nullptr;
    ZwCreateEvent(&source, EVENT_ALL_ACCESS, nullptr, NotificationEvent, FALSE);
    statuses.push_back(ZwDuplicateObject(NtCurrentProcess(), source, NtCurrentProcess(), &duplicate, 0, 0, 0x10));
    statuses.push_back(ZwDuplicateObject(NtCurrentProcess(), reinterpret_cast<HANDLE>(0x7770), NtCurrentProcess(),
                                         &duplicate, 0, 0, DUPLICATE_SAME_ACCESS));
    statuses.push_back(ZwDuplicateObject(source, source, NtCurrentProcess(), &duplicate, 0, 0,
                                         DUPLICATE_SAME_ACCESS));  // not a process handle
    ZwClose(source);
  });
  EXPECT_EQ(statuses,
            (std::vector<NTSTATUS>{STATUS_INVALID_PARAMETER, STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH}));
}

TEST(ZwDuplicateObject, CopiesAHandleFromOneUserProcessIntoAnother) {
  Lab lab({.processors = 2, .seed = 9});
  _EPROCESS* a = processes().create_process("producer.exe");
  _EPROCESS* b = processes().create_process("consumer.exe");
  keep_alive(a);
  keep_alive(b);
  HANDLE in_a = nullptr, in_b = nullptr;
  NTSTATUS duplicated = -1, used_in_b = -1;
  LONG previous = -1;
  start_user_thread(a, "producer", [&] {
    in_service([&] { ob::create_event(&in_a, EVENT_ALL_ACCESS, nullptr, NotificationEvent, false); });
  });
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Idle);
  lab.spawn("broker", [&] {
    HANDLE process_a = nullptr, process_b = nullptr;
    ObOpenObjectByPointer(a, OBJ_KERNEL_HANDLE, nullptr, PROCESS_DUP_HANDLE, *PsProcessType, KernelMode, &process_a);
    ObOpenObjectByPointer(b, OBJ_KERNEL_HANDLE, nullptr, PROCESS_DUP_HANDLE, *PsProcessType, KernelMode, &process_b);
    duplicated = ZwDuplicateObject(process_a, in_a, process_b, &in_b, EVENT_MODIFY_STATE, 0, 0);
    ZwClose(process_a);
    ZwClose(process_b);
  });
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Idle);
  start_user_thread(b, "consumer", [&] { in_service([&] { used_in_b = ob::set_event(in_b, &previous); }); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(duplicated, STATUS_SUCCESS);
  EXPECT_FALSE(ob::is_kernel_handle(in_b));
  EXPECT_EQ(b->handles->size(), 1u);
  EXPECT_EQ(used_in_b, STATUS_SUCCESS);
  EXPECT_EQ(previous, 0);
  ob::ObjectManager::require().dereference(a);
  ob::ObjectManager::require().dereference(b);
}

TEST(ZwDuplicateObject, AUserModeCallerCannotGainAccessTheSourceHandleLacks) {
  Lab lab({.processors = 1, .seed = 1});
  _EPROCESS* process = processes().create_process("app.exe");
  keep_alive(process);
  NTSTATUS widen = -1, same = -1, narrow = -1, kernel_widen = -1;
  start_user_thread(process, "main", [&] {
    in_service([&] {
      ob::ObjectManager& objects = ob::ObjectManager::require();
      HANDLE source = nullptr, duplicate = nullptr;
      ob::create_event(&source, SYNCHRONIZE | EVENT_QUERY_STATE, nullptr, NotificationEvent, false);
      widen = objects.duplicate(NtCurrentProcess(), source, NtCurrentProcess(), &duplicate, EVENT_ALL_ACCESS, 0, 0,
                                UserMode);
      same = objects.duplicate(NtCurrentProcess(), source, NtCurrentProcess(), &duplicate, 0, 0, DUPLICATE_SAME_ACCESS,
                               UserMode);
      narrow =
          objects.duplicate(NtCurrentProcess(), source, NtCurrentProcess(), &duplicate, SYNCHRONIZE, 0, 0, UserMode);
      kernel_widen =
          ZwDuplicateObject(NtCurrentProcess(), source, NtCurrentProcess(), &duplicate, EVENT_ALL_ACCESS, 0, 0);
    });
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(widen, STATUS_ACCESS_DENIED);
  EXPECT_EQ(same, STATUS_SUCCESS);
  EXPECT_EQ(narrow, STATUS_SUCCESS);
  EXPECT_EQ(kernel_widen, STATUS_SUCCESS);
  EXPECT_EQ(process->handles->size(), 4u);
  ob::ObjectManager::require().dereference(process);
}

}  // namespace
}  // namespace wdmlab::test
