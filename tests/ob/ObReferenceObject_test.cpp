// Object lifetime, seen through thread objects: ObReferenceObject and ObDereferenceObject move the
// pointer count by one; a handle holds a reference; the object (and its type's delete procedure)
// goes away only when the last reference, whether a handle, a pointer or the running thread's own,
// is dropped.
#include <gtest/gtest.h>

#include "ob/object.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

std::int64_t pointer_count(PVOID object) { return ob::header_of(object)->pointer_count; }
std::int64_t handle_count(PVOID object) { return ob::header_of(object)->handle_count; }
std::uint64_t live_threads() { return (*PsThreadType)->live_objects; }

TEST(ObReferenceObject, AddsOneReferenceAndObDereferenceObjectRemovesIt) {
  std::int64_t before = 0, referenced = 0, twice = 0, after = 0;
  runs_clean([&] {
    PETHREAD self = PsGetCurrentThread();
    before = pointer_count(self);
    ObReferenceObject(self);
    referenced = pointer_count(self);
    ObReferenceObjectWithTag(self, 'tseT');
    twice = pointer_count(self);
    ObDereferenceObjectWithTag(self, 'tseT');
    ObDereferenceObject(self);
    after = pointer_count(self);
  });
  EXPECT_EQ(referenced, before + 1);
  EXPECT_EQ(twice, before + 2);
  EXPECT_EQ(after, before);
}

TEST(ObReferenceObjectByPointer, AddsAReferenceAndChecksTheType) {
  std::int64_t before = 0, after = 0;
  NTSTATUS right = -1, wrong = -1;
  runs_clean([&] {
    PETHREAD self = PsGetCurrentThread();
    before = pointer_count(self);
    right = ObReferenceObjectByPointer(self, SYNCHRONIZE, *PsThreadType, KernelMode);
    after = pointer_count(self);
    wrong = ObReferenceObjectByPointer(self, SYNCHRONIZE, *PsProcessType, KernelMode);
    if (NT_SUCCESS(right)) ObDereferenceObject(self);
  });
  EXPECT_EQ(right, STATUS_SUCCESS);
  EXPECT_EQ(after, before + 1);
  EXPECT_EQ(wrong, STATUS_OBJECT_TYPE_MISMATCH);
}

TEST(ObReferenceObject, AThreadObjectOutlivesItsThreadUntilTheLastReferenceIsDropped) {
  Lab lab({.processors = 2, .seed = 5});
  const std::uint64_t live_at_start = live_threads();
  std::uint64_t live_after_exit = 0, live_after_dereference = 0;
  std::int64_t handles_with_handle = -1, handles_after_close = -1, pointers_after_exit = -1;
  LONG state_after_exit = -1;
  HANDLE id = nullptr, id_after_exit = reinterpret_cast<HANDLE>(1);
  lab.spawn("creator", [&] {
    HANDLE handle;
    CLIENT_ID client{};
    ASSERT_EQ(PsCreateSystemThread(
                  &handle, THREAD_ALL_ACCESS, nullptr, nullptr, &client, [](PVOID) {}, nullptr),
              STATUS_SUCCESS);
    id = client.UniqueThread;
    PVOID thread = nullptr;
    ASSERT_EQ(ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsThreadType, KernelMode, &thread, nullptr),
              STATUS_SUCCESS);
    handles_with_handle = handle_count(thread);
    ZwClose(handle);
    handles_after_close = handle_count(thread);
    KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, nullptr);
    LARGE_INTEGER settle = relative_ms(1);
    KeDelayExecutionThread(KernelMode, FALSE, &settle);  // the thread's own reference is gone by now
    live_after_exit = live_threads();
    pointers_after_exit = pointer_count(thread);
    state_after_exit = KeReadStateThread(static_cast<PKTHREAD>(thread));
    id_after_exit = PsGetThreadId(static_cast<PETHREAD>(thread));
    ObDereferenceObject(thread);
    live_after_dereference = live_threads();
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(handles_with_handle, 1);
  EXPECT_EQ(handles_after_close, 0);
  EXPECT_EQ(pointers_after_exit, 1);                  // only ours
  EXPECT_EQ(live_after_exit, live_at_start + 1 + 1);  // the creator itself, and the ended thread
  EXPECT_EQ(state_after_exit, 1);
  EXPECT_EQ(id_after_exit, id);
  EXPECT_EQ(live_after_dereference, live_at_start + 1);  // deleted: only the creator is left
}

TEST(ObReferenceObject, ClosingTheLastHandleOfAnEndedThreadDeletesItsObject) {
  Lab lab({.processors = 1, .seed = 1});
  const std::uint64_t live_at_start = live_threads();
  std::uint64_t live_before_close = 0, live_after_close = 0;
  lab.spawn("creator", [&] {
    HANDLE handle;
    ASSERT_EQ(PsCreateSystemThread(
                  &handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr, [](PVOID) {}, nullptr),
              STATUS_SUCCESS);
    LARGE_INTEGER settle = relative_ms(1);
    KeDelayExecutionThread(KernelMode, FALSE, &settle);  // the new thread runs and ends
    live_before_close = live_threads();
    ZwClose(handle);
    live_after_close = live_threads();
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(live_before_close, live_at_start + 2);
  EXPECT_EQ(live_after_close, live_at_start + 1);
}

}  // namespace
}  // namespace wdmlab::test
