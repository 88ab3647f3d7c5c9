// Event objects by handle: ZwCreateEvent (unnamed and named, anywhere in the namespace), ZwOpenEvent,
// ZwSetEvent/ZwResetEvent/ZwClearEvent with the previous state, ZwWaitForSingleObject on them,
// OBJ_OPENIF and collisions, a temporary event's name going with its last handle, OBJ_PERMANENT and
// ZwMakeTemporaryObject, ObQueryNameString, and the documented error statuses.
#include <gtest/gtest.h>

#include <vector>

#include "object_names.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(ZwCreateEvent, CreatesAnEventObjectWhoseBodyIsAKevent) {
  NTSTATUS status = -1, reference = -1;
  bool is_event = false;
  LONG initial = -1, after_set = -1, previous = -1;
  runs_clean([&] {
    HANDLE handle = nullptr;
    status = ZwCreateEvent(&handle, EVENT_ALL_ACCESS, nullptr, NotificationEvent, FALSE);
    PVOID object = nullptr;
    reference = ObReferenceObjectByHandle(handle, EVENT_MODIFY_STATE, *ExEventObjectType, KernelMode, &object, nullptr);
    if (!NT_SUCCESS(reference)) return;
    is_event = ob::header_of(object)->type == *ExEventObjectType;
    initial = KeReadStateEvent(static_cast<PKEVENT>(object));
    ZwSetEvent(handle, &previous);
    after_set = KeReadStateEvent(static_cast<PKEVENT>(object));
    ObDereferenceObject(object);
    ZwClose(handle);
  });
  EXPECT_EQ(status, STATUS_SUCCESS);
  EXPECT_EQ(reference, STATUS_SUCCESS);
  EXPECT_TRUE(is_event);
  EXPECT_EQ(initial, 0);
  EXPECT_EQ(previous, 0);
  EXPECT_EQ(after_set, 1);
}

TEST(ZwCreateEvent, ANamedEventIsOpenedByNameAndSharesItsState) {
  NTSTATUS created = -1, opened = -1, wrong_case = -1, insensitive = -1;
  LONG previous = -1;
  bool same = false;
  runs_clean([&] {
    ObjectName name(u"\\BaseNamedObjects\\Ready", OBJ_KERNEL_HANDLE);
    HANDLE creator = nullptr, opener = nullptr, other = nullptr;
    created = ZwCreateEvent(&creator, EVENT_ALL_ACCESS, name.get(), NotificationEvent, FALSE);
    opened = ZwOpenEvent(&opener, EVENT_MODIFY_STATE, name.get());
    ObjectName upper(u"\\BaseNamedObjects\\READY", OBJ_KERNEL_HANDLE);
    wrong_case = ZwOpenEvent(&other, EVENT_MODIFY_STATE, upper.get());
    ObjectName upper_insensitive(u"\\BaseNamedObjects\\READY", OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE);
    insensitive = ZwOpenEvent(&other, EVENT_MODIFY_STATE, upper_insensitive.get());
    ZwSetEvent(opener, nullptr);
    ZwSetEvent(creator, &previous);  // already set through the other handle
    PVOID a = nullptr, b = nullptr;
    ObReferenceObjectByHandle(creator, 0, *ExEventObjectType, KernelMode, &a, nullptr);
    ObReferenceObjectByHandle(opener, 0, *ExEventObjectType, KernelMode, &b, nullptr);
    same = a == b && a != nullptr;
    ObDereferenceObject(a);
    ObDereferenceObject(b);
    for (HANDLE handle : {creator, opener, other}) ZwClose(handle);
  });
  EXPECT_EQ(created, STATUS_SUCCESS);
  EXPECT_EQ(opened, STATUS_SUCCESS);
  EXPECT_EQ(wrong_case, STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(insensitive, STATUS_SUCCESS);
  EXPECT_EQ(previous, 1);
  EXPECT_TRUE(same);
}

TEST(ZwCreateEvent, WithAnExistingNameIsACollisionOrWithObjOpenIfOpensIt) {
  NTSTATUS first = -1, collision = -1, open_if = -1, other_type = -1;
  bool same = false;
  runs_clean([&] {
    ObjectName name(u"\\KernelObjects\\Shared", OBJ_KERNEL_HANDLE);
    ObjectName open_if_name(u"\\KernelObjects\\Shared", OBJ_KERNEL_HANDLE | OBJ_OPENIF);
    ObjectName link_name(u"\\KernelObjects\\Shared", OBJ_KERNEL_HANDLE | OBJ_OPENIF);
    HANDLE a = nullptr, b = nullptr, c = nullptr, d = nullptr;
    first = ZwCreateEvent(&a, EVENT_ALL_ACCESS, name.get(), SynchronizationEvent, FALSE);
    collision = ZwCreateEvent(&b, EVENT_ALL_ACCESS, name.get(), SynchronizationEvent, FALSE);
    open_if = ZwCreateEvent(&c, EVENT_ALL_ACCESS, open_if_name.get(), SynchronizationEvent, TRUE);
    UNICODE_STRING target = counted(u"\\Device\\Nothing");
    other_type = ZwCreateSymbolicLinkObject(&d, SYMBOLIC_LINK_ALL_ACCESS, link_name.get(), &target);
    PVOID x = nullptr, y = nullptr;
    ObReferenceObjectByHandle(a, 0, nullptr, KernelMode, &x, nullptr);
    ObReferenceObjectByHandle(c, 0, nullptr, KernelMode, &y, nullptr);
    same = x == y && x != nullptr && KeReadStateEvent(static_cast<PKEVENT>(x)) == 0;  // not created again
    ObDereferenceObject(x);
    ObDereferenceObject(y);
    ZwClose(a);
    ZwClose(c);
  });
  EXPECT_EQ(first, STATUS_SUCCESS);
  EXPECT_EQ(collision, STATUS_OBJECT_NAME_COLLISION);
  EXPECT_EQ(open_if, STATUS_OBJECT_NAME_EXISTS);
  EXPECT_EQ(other_type, STATUS_OBJECT_TYPE_MISMATCH);
  EXPECT_TRUE(same);
}

TEST(ZwCreateEvent, ATemporaryEventsNameGoesWithItsLastHandle) {
  NTSTATUS with_two = -1, with_one = -1, with_none = -1;
  runs_clean([&] {
    ObjectName name(u"\\BaseNamedObjects\\Fleeting", OBJ_KERNEL_HANDLE);
    HANDLE first = nullptr, second = nullptr, probe = nullptr;
    ZwCreateEvent(&first, EVENT_ALL_ACCESS, name.get(), NotificationEvent, FALSE);
    ZwOpenEvent(&second, SYNCHRONIZE, name.get());
    with_two = ZwOpenEvent(&probe, SYNCHRONIZE, name.get());
    ZwClose(probe);
    ZwClose(first);
    with_one = ZwOpenEvent(&probe, SYNCHRONIZE, name.get());
    ZwClose(probe);
    PVOID object = nullptr;
    ObReferenceObjectByHandle(second, 0, nullptr, KernelMode, &object, nullptr);
    ZwClose(second);  // the object lives on (our reference), its name does not
    with_none = ZwOpenEvent(&probe, SYNCHRONIZE, name.get());
    ObDereferenceObject(object);
  });
  EXPECT_EQ(with_two, STATUS_SUCCESS);
  EXPECT_EQ(with_one, STATUS_SUCCESS);
  EXPECT_EQ(with_none, STATUS_OBJECT_NAME_NOT_FOUND);
}

TEST(ZwMakeTemporaryObject, EndsAPermanentEventsNameWhenItsLastHandleIsClosed) {
  NTSTATUS after_close = -1, made_temporary = -1, still_open = -1, after_last = -1;
  runs_clean([&] {
    ObjectName name(u"\\KernelObjects\\Kept", OBJ_KERNEL_HANDLE | OBJ_PERMANENT);
    HANDLE handle = nullptr, probe = nullptr;
    ZwCreateEvent(&handle, EVENT_ALL_ACCESS, name.get(), NotificationEvent, FALSE);
    ZwClose(handle);
    after_close = ZwOpenEvent(&handle, EVENT_ALL_ACCESS, name.get());
    made_temporary = ZwMakeTemporaryObject(handle);
    still_open = ZwOpenEvent(&probe, SYNCHRONIZE, name.get());
    ZwClose(probe);
    ZwClose(handle);
    after_last = ZwOpenEvent(&probe, SYNCHRONIZE, name.get());
  });
  EXPECT_EQ(after_close, STATUS_SUCCESS);
  EXPECT_EQ(made_temporary, STATUS_SUCCESS);
  EXPECT_EQ(still_open, STATUS_SUCCESS);
  EXPECT_EQ(after_last, STATUS_OBJECT_NAME_NOT_FOUND);
}

TEST(ZwCreateEvent, RefusesBadArgumentsWithTheDocumentedStatus) {
  std::vector<NTSTATUS> statuses;
  runs_clean([&] {
    HANDLE handle = nullptr;
    statuses.push_back(ZwCreateEvent(&handle, EVENT_ALL_ACCESS, nullptr, static_cast<EVENT_TYPE>(7), FALSE));
    ObjectName relative(u"BaseNamedObjects\\X", OBJ_KERNEL_HANDLE);
    statuses.push_back(ZwCreateEvent(&handle, EVENT_ALL_ACCESS, relative.get(), NotificationEvent, FALSE));
    ObjectName no_path(u"\\NoSuchDirectory\\X", OBJ_KERNEL_HANDLE);
    statuses.push_back(ZwCreateEvent(&handle, EVENT_ALL_ACCESS, no_path.get(), NotificationEvent, FALSE));
    ObjectName bad_flags(u"\\BaseNamedObjects\\X", 0x80000000);
    statuses.push_back(ZwCreateEvent(&handle, EVENT_ALL_ACCESS, bad_flags.get(), NotificationEvent, FALSE));
    statuses.push_back(ZwOpenEvent(&handle, EVENT_ALL_ACCESS, nullptr));
    ObjectName missing(u"\\BaseNamedObjects\\Missing", OBJ_KERNEL_HANDLE);
    statuses.push_back(ZwOpenEvent(&handle, EVENT_ALL_ACCESS, missing.get()));
    ObjectName not_an_event(u"\\BaseNamedObjects", OBJ_KERNEL_HANDLE);
    statuses.push_back(ZwOpenEvent(&handle, EVENT_ALL_ACCESS, not_an_event.get()));
  });
  EXPECT_EQ(statuses,
            (std::vector<NTSTATUS>{STATUS_INVALID_PARAMETER_4, STATUS_OBJECT_PATH_SYNTAX_BAD,
                                   STATUS_OBJECT_PATH_NOT_FOUND, STATUS_INVALID_PARAMETER, STATUS_INVALID_PARAMETER,
                                   STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_TYPE_MISMATCH}));
}

TEST(ZwCreateEvent, ARootDirectoryHandleMakesTheNameRelative) {
  NTSTATUS created = -1, opened = -1;
  runs_clean([&] {
    ObjectName directory_name(u"\\BaseNamedObjects", OBJ_KERNEL_HANDLE);
    HANDLE directory = nullptr;
    // The directory is opened by name like any object.
    void* found = nullptr;
    ob::ObjectManager& objects = ob::ObjectManager::require();
    objects.reference_by_name(directory_name.get(), objects.directory_type(), 0, KernelMode, nullptr, &found);
    ObOpenObjectByPointer(found, OBJ_KERNEL_HANDLE, nullptr, DIRECTORY_ALL_ACCESS, nullptr, KernelMode, &directory);
    objects.dereference(found);
    ObjectName relative(u"Relative", OBJ_KERNEL_HANDLE, directory);
    HANDLE event = nullptr, again = nullptr;
    created = ZwCreateEvent(&event, EVENT_ALL_ACCESS, relative.get(), NotificationEvent, FALSE);
    ObjectName absolute(u"\\BaseNamedObjects\\Relative", OBJ_KERNEL_HANDLE);
    opened = ZwOpenEvent(&again, SYNCHRONIZE, absolute.get());
    for (HANDLE handle : {directory, event, again}) ZwClose(handle);
  });
  EXPECT_EQ(created, STATUS_SUCCESS);
  EXPECT_EQ(opened, STATUS_SUCCESS);
}

TEST(ZwResetEvent, AndZwClearEventMakeTheEventNotSignaled) {
  LONG previous_reset = -1, state_after_reset = -1, state_after_clear = -1;
  runs_clean([&] {
    HANDLE handle = nullptr;
    ZwCreateEvent(&handle, EVENT_ALL_ACCESS, nullptr, NotificationEvent, TRUE);
    PVOID event = nullptr;
    ObReferenceObjectByHandle(handle, 0, *ExEventObjectType, KernelMode, &event, nullptr);
    ZwResetEvent(handle, &previous_reset);
    state_after_reset = KeReadStateEvent(static_cast<PKEVENT>(event));
    KeSetEvent(static_cast<PKEVENT>(event), IO_NO_INCREMENT, FALSE);
    ZwClearEvent(handle);
    state_after_clear = KeReadStateEvent(static_cast<PKEVENT>(event));
    ObDereferenceObject(event);
    ZwClose(handle);
  });
  EXPECT_EQ(previous_reset, 1);
  EXPECT_EQ(state_after_reset, 0);
  EXPECT_EQ(state_after_clear, 0);
}

TEST(ZwWaitForSingleObject, WaitsForTheEventBehindAHandle) {
  NTSTATUS polled = -1, waited = -1, not_waitable = -1;
  Lab lab({.processors = 2, .seed = 4});
  static HANDLE shared = nullptr;
  lab.spawn("waiter", [&] {
    ObjectName name(u"\\BaseNamedObjects\\Go", OBJ_KERNEL_HANDLE);
    ZwCreateEvent(&shared, EVENT_ALL_ACCESS, name.get(), NotificationEvent, FALSE);
    LARGE_INTEGER zero{};
    polled = ZwWaitForSingleObject(shared, FALSE, &zero);
    waited = ZwWaitForSingleObject(shared, FALSE, nullptr);
    ObjectName link(u"\\Temp", OBJ_KERNEL_HANDLE);
    UNICODE_STRING target = counted(u"\\Device");
    HANDLE link_handle = nullptr;
    ZwCreateSymbolicLinkObject(&link_handle, SYMBOLIC_LINK_ALL_ACCESS, link.get(), &target);
    not_waitable = ZwWaitForSingleObject(link_handle, FALSE, &zero);
    ZwClose(link_handle);
    ZwClose(shared);
  });
  lab.spawn("setter", [&] {
    LARGE_INTEGER later = relative_ms(5);
    KeDelayExecutionThread(KernelMode, FALSE, &later);
    ZwSetEvent(shared, nullptr);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_EQ(polled, STATUS_TIMEOUT);
  EXPECT_EQ(waited, STATUS_SUCCESS);
  EXPECT_EQ(not_waitable, STATUS_OBJECT_TYPE_MISMATCH);
}

TEST(ObQueryNameString, GivesANamedObjectsFullNameAndNothingForAnUnnamedOne) {
  NTSTATUS named = -1, unnamed = -1, small = -1;
  ULONG named_length = 0, unnamed_length = 0, small_length = 0;
  std::u16string name_text;
  bool unnamed_empty = false;
  runs_clean([&] {
    ObjectName name(u"\\BaseNamedObjects\\Called", OBJ_KERNEL_HANDLE);
    HANDLE handle = nullptr, anonymous = nullptr;
    ZwCreateEvent(&handle, EVENT_ALL_ACCESS, name.get(), NotificationEvent, FALSE);
    ZwCreateEvent(&anonymous, EVENT_ALL_ACCESS, nullptr, NotificationEvent, FALSE);
    PVOID object = nullptr, anonymous_object = nullptr;
    ObReferenceObjectByHandle(handle, 0, nullptr, KernelMode, &object, nullptr);
    ObReferenceObjectByHandle(anonymous, 0, nullptr, KernelMode, &anonymous_object, nullptr);
    alignas(8) unsigned char buffer[256];
    auto* info = reinterpret_cast<POBJECT_NAME_INFORMATION>(buffer);
    small = ObQueryNameString(object, info, sizeof(OBJECT_NAME_INFORMATION) + 4, &small_length);
    named = ObQueryNameString(object, info, sizeof(buffer), &named_length);
    if (NT_SUCCESS(named))
      name_text.assign(reinterpret_cast<const char16_t*>(info->Name.Buffer), info->Name.Length / 2);
    unnamed = ObQueryNameString(anonymous_object, info, sizeof(buffer), &unnamed_length);
    unnamed_empty = info->Name.Buffer == nullptr && info->Name.Length == 0;
    ObDereferenceObject(object);
    ObDereferenceObject(anonymous_object);
    ZwClose(handle);
    ZwClose(anonymous);
  });
  const ULONG expected = sizeof(OBJECT_NAME_INFORMATION) + (24 + 1) * sizeof(WCHAR);
  EXPECT_EQ(small, STATUS_INFO_LENGTH_MISMATCH);
  EXPECT_EQ(small_length, expected);
  EXPECT_EQ(named, STATUS_SUCCESS);
  EXPECT_EQ(named_length, expected);
  EXPECT_EQ(name_text, u"\\BaseNamedObjects\\Called");
  EXPECT_EQ(unnamed, STATUS_SUCCESS);
  EXPECT_EQ(unnamed_length, sizeof(OBJECT_NAME_INFORMATION));
  EXPECT_TRUE(unnamed_empty);
}

TEST(ZwSetEvent, AbovePassiveLevelIsBugCheckA) {
  const Finding finding = unverified_bug_check_of([] {
    HANDLE handle = nullptr;
    ZwCreateEvent(&handle, EVENT_ALL_ACCESS, nullptr, NotificationEvent, FALSE);
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    ZwSetEvent(handle, nullptr);
  });
  EXPECT_EQ(finding.code, IRQL_NOT_LESS_OR_EQUAL);
  EXPECT_EQ(finding.parameters[1], APC_LEVEL);
  EXPECT_EQ(finding.rule, "IrqlZwPassive");
}

}  // namespace
}  // namespace wdmlab::test
