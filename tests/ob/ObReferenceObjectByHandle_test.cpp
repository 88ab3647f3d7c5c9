// ObReferenceObjectByHandle: the documented return values (STATUS_SUCCESS with the object and a
// new reference, STATUS_OBJECT_TYPE_MISMATCH, STATUS_INVALID_HANDLE), kernel handles refused to
// UserMode callers, and the NtCurrentThread()/NtCurrentProcess() pseudo-handles.
#include <gtest/gtest.h>

#include "ob/object.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

// Runs `body` with a kernel handle (OBJ_KERNEL_HANDLE) to a thread that is still running (it
// waits until `body` returns).
template <class Body>
void with_thread_handle(Body body, VerifierOptions verifier = {}) {
  Lab lab({.processors = 2, .seed = 3, .verifier = std::move(verifier)});
  static KEVENT done;
  KeInitializeEvent(&done, NotificationEvent, FALSE);
  lab.spawn("caller", [&] {
    OBJECT_ATTRIBUTES attributes;
    InitializeObjectAttributes(&attributes, nullptr, OBJ_KERNEL_HANDLE, nullptr, nullptr);
    HANDLE handle;
    ASSERT_EQ(PsCreateSystemThread(
                  &handle, THREAD_ALL_ACCESS, &attributes, nullptr, nullptr,
                  [](PVOID) { KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, nullptr); }, nullptr),
              STATUS_SUCCESS);
    body(handle);
    KeSetEvent(&done, IO_NO_INCREMENT, FALSE);
    ZwClose(handle);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  for (const Finding& finding : lab.findings()) ADD_FAILURE() << finding.summary();
}

TEST(ObReferenceObjectByHandle, ReturnsTheObjectWithANewReference) {
  NTSTATUS status = -1;
  std::int64_t before = 0, after = 0;
  bool is_thread = false;
  OBJECT_HANDLE_INFORMATION information{};
  with_thread_handle([&](HANDLE handle) {
    PVOID object = nullptr;
    status = ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsThreadType, KernelMode, &object, &information);
    if (!NT_SUCCESS(status)) return;
    is_thread = ob::header_of(object)->type == *PsThreadType;
    after = ob::header_of(object)->pointer_count;
    ObDereferenceObject(object);
    before = ob::header_of(object)->pointer_count;
  });
  EXPECT_EQ(status, STATUS_SUCCESS);
  EXPECT_TRUE(is_thread);
  EXPECT_EQ(after, before + 1);
  EXPECT_EQ(information.GrantedAccess, static_cast<ACCESS_MASK>(THREAD_ALL_ACCESS));
}

TEST(ObReferenceObjectByHandle, WithTheWrongTypeIsObjectTypeMismatch) {
  NTSTATUS status = -1;
  PVOID object = reinterpret_cast<PVOID>(1);
  with_thread_handle([&](HANDLE handle) {
    status = ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsProcessType, KernelMode, &object, nullptr);
  });
  EXPECT_EQ(status, STATUS_OBJECT_TYPE_MISMATCH);
  EXPECT_EQ(object, nullptr);
}

TEST(ObReferenceObjectByHandle, WithNoTypeAcceptsAnyObject) {
  NTSTATUS status = -1;
  with_thread_handle([&](HANDLE handle) {
    PVOID object = nullptr;
    status = ObReferenceObjectByHandle(handle, 0, nullptr, KernelMode, &object, nullptr);
    if (NT_SUCCESS(status)) ObDereferenceObject(object);
  });
  EXPECT_EQ(status, STATUS_SUCCESS);
}

// The kernel's answer; the verifier stops these references (0xC4/0xF5, 0xC4/0x3C).
TEST(ObReferenceObjectByHandle, WithAHandleThatWasNeverOpenedIsInvalidHandle) {
  std::vector<NTSTATUS> statuses;
  with_thread_handle([&](HANDLE handle) {
    const auto value = reinterpret_cast<ULONG_PTR>(handle);
    for (ULONG_PTR bad : {ULONG_PTR{0}, value + 4 * 100, ULONG_PTR{0x1234}}) {
      PVOID object = nullptr;
      statuses.push_back(
          ObReferenceObjectByHandle(reinterpret_cast<HANDLE>(bad), 0, nullptr, KernelMode, &object, nullptr));
    }
  }, VerifierOptions::off());
  EXPECT_EQ(statuses, (std::vector<NTSTATUS>(3, STATUS_INVALID_HANDLE)));
}

// The kernel's answer; in the System process the verifier stops the UserMode reference (0xC4/0xF7).
TEST(ObReferenceObjectByHandle, AKernelHandleWithUserModeIsInvalidHandle) {
  NTSTATUS user = -1, kernel = -1;
  with_thread_handle([&](HANDLE handle) {
    PVOID object = nullptr;
    user = ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsThreadType, UserMode, &object, nullptr);
    kernel = ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsThreadType, KernelMode, &object, nullptr);
    if (NT_SUCCESS(kernel)) ObDereferenceObject(object);
  }, VerifierOptions::off());
  EXPECT_EQ(user, STATUS_INVALID_HANDLE);
  EXPECT_EQ(kernel, STATUS_SUCCESS);
}

TEST(ObReferenceObjectByHandle, PseudoHandlesNameTheCurrentThreadAndProcess) {
  NTSTATUS thread_status = -1, process_status = -1, mismatch = -1;
  bool is_current_thread = false, is_current_process = false;
  runs_clean([&] {
    PVOID thread = nullptr, process = nullptr, wrong = nullptr;
    thread_status =
        ObReferenceObjectByHandle(NtCurrentThread(), SYNCHRONIZE, *PsThreadType, KernelMode, &thread, nullptr);
    process_status =
        ObReferenceObjectByHandle(NtCurrentProcess(), SYNCHRONIZE, *PsProcessType, KernelMode, &process, nullptr);
    mismatch = ObReferenceObjectByHandle(NtCurrentThread(), SYNCHRONIZE, *PsProcessType, KernelMode, &wrong, nullptr);
    is_current_thread = thread == PsGetCurrentThread();
    is_current_process = process == PsGetCurrentProcess();
    if (thread != nullptr) ObDereferenceObject(thread);
    if (process != nullptr) ObDereferenceObject(process);
  });
  EXPECT_EQ(thread_status, STATUS_SUCCESS);
  EXPECT_EQ(process_status, STATUS_SUCCESS);
  EXPECT_EQ(mismatch, STATUS_OBJECT_TYPE_MISMATCH);
  EXPECT_TRUE(is_current_thread);
  EXPECT_TRUE(is_current_process);
}

}  // namespace
}  // namespace wdmlab::test
