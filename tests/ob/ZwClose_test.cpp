// ZwClose: closes a handle once (STATUS_SUCCESS), after which the handle is invalid
// (STATUS_INVALID_HANDLE for a second close and for references by it). Kernel handles
// (OBJ_KERNEL_HANDLE) have the sign bit set.
#include <gtest/gtest.h>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

HANDLE new_thread_handle(POBJECT_ATTRIBUTES attributes) {
  HANDLE handle = nullptr;
  EXPECT_EQ(PsCreateSystemThread(
                &handle, THREAD_ALL_ACCESS, attributes, nullptr, nullptr, [](PVOID) {}, nullptr),
            STATUS_SUCCESS);
  return handle;
}

TEST(ZwClose, TheSecondCloseOfAHandleIsInvalidHandle) {
  NTSTATUS first = -1, second = -1, reference = -1;
  runs_clean([&] {
    const HANDLE handle = new_thread_handle(nullptr);
    first = ZwClose(handle);
    second = ZwClose(handle);
    PVOID object = nullptr;
    reference = ObReferenceObjectByHandle(handle, 0, nullptr, KernelMode, &object, nullptr);
  }, 1, 1, VerifierOptions::off());  // verified, the second close is 0x93 (HandleVerification_test.cpp)
  EXPECT_EQ(first, STATUS_SUCCESS);
  EXPECT_EQ(second, STATUS_INVALID_HANDLE);
  EXPECT_EQ(reference, STATUS_INVALID_HANDLE);
}

TEST(ZwClose, OfAHandleThatWasNeverOpenedIsInvalidHandle) {
  std::vector<NTSTATUS> statuses;
  runs_clean([&] {
    const HANDLE handle = new_thread_handle(nullptr);
    const auto value = reinterpret_cast<ULONG_PTR>(handle);
    for (ULONG_PTR bad : {ULONG_PTR{0}, value + 4 * 100}) {
      statuses.push_back(ZwClose(reinterpret_cast<HANDLE>(bad)));
    }
    ZwClose(handle);
  }, 1, 1, VerifierOptions::off());
  EXPECT_EQ(statuses, (std::vector<NTSTATUS>(2, STATUS_INVALID_HANDLE)));
}

TEST(ZwClose, KernelHandlesHaveTheSignBitSet) {
  std::vector<HANDLE> handles;
  runs_clean([&] {
    OBJECT_ATTRIBUTES kernel_handle;
    InitializeObjectAttributes(&kernel_handle, nullptr, OBJ_KERNEL_HANDLE, nullptr, nullptr);
    handles.push_back(new_thread_handle(&kernel_handle));
    handles.push_back(new_thread_handle(&kernel_handle));
    for (HANDLE handle : handles) ZwClose(handle);
  });
  ASSERT_EQ(handles.size(), 2u);
  for (HANDLE handle : handles) {
    EXPECT_LT(reinterpret_cast<LONG_PTR>(handle), 0) << handle;
    EXPECT_LT(static_cast<LONG>(reinterpret_cast<ULONG_PTR>(handle)), 0) << handle;  // of the 32-bit value too
    EXPECT_EQ(reinterpret_cast<ULONG_PTR>(handle) % 4, 0u) << handle;
    EXPECT_NE(handle, NtCurrentThread());
    EXPECT_NE(handle, NtCurrentProcess());
  }
  EXPECT_NE(handles[0], handles[1]);
}

}  // namespace
}  // namespace wdmlab::test
