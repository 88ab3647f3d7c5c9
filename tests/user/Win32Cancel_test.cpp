// Who cancels a request from user mode: CancelIo (the caller's requests on a handle), CancelIoEx
// (any thread's, all or one OVERLAPPED), CancelSynchronousIo (another thread's synchronous
// request), and the end of a thread (TerminateThread, or its body returning): its requests are
// cancelled and waited for. Against io_test's IOCTL_IOTEST_PEND_CANCELABLE, whose cancel routine
// completes the IRP with STATUS_CANCELLED and logs "io_test: cancel".
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "user/user_test_support.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

// Starts a cancelable request on an overlapped handle; it stays pending.
void pend_cancelable(HANDLE device, OVERLAPPED* overlapped) {
  EXPECT_FALSE(DeviceIoControl(device, IOCTL_IOTEST_PEND_CANCELABLE, nullptr, 0, nullptr, 0, nullptr, overlapped));
  EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
}

// The request behind `overlapped` ended with ERROR_OPERATION_ABORTED.
void expect_aborted(HANDLE device, OVERLAPPED* overlapped) {
  DWORD bytes = 99;
  EXPECT_FALSE(GetOverlappedResult(device, overlapped, &bytes, TRUE));
  EXPECT_EQ(GetLastError(), ERROR_OPERATION_ABORTED);
  EXPECT_EQ(bytes, 0u);
}

TEST(CancelIo, CancelsTheCallersRequestOnTheHandle) {
  AppLab t;
  auto* overlapped = t.app.alloc_array<OVERLAPPED>(1);
  BOOL cancelled = FALSE;
  t.run([&] {
    HANDLE device = open_io_test_device(GENERIC_READ, FILE_FLAG_OVERLAPPED);
    pend_cancelable(device, overlapped);
    cancelled = CancelIo(device);
    expect_aborted(device, overlapped);
    CloseHandle(device);
  });
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(t.driver_lines(), (std::vector<std::string>{"io_test: create '(null)'", "io_test: pend cancelable",
                                                        "io_test: cancel", "io_test: cleanup", "io_test: close"}));
  EXPECT_TRUE(t.lab.findings().empty());
}

TEST(CancelIo, SucceedsWithNothingToCancelAndLeavesOtherThreadsRequestsAlone) {
  AppLab t;
  auto* overlapped = t.app.alloc_array<OVERLAPPED>(1);
  auto* device = t.app.alloc_array<HANDLE>(1);
  BOOL own = FALSE, still_pending = FALSE, any_thread = FALSE;
  t.app.run("issuer", [&] {
    *device = open_io_test_device(GENERIC_READ, FILE_FLAG_OVERLAPPED);
    pend_cancelable(*device, overlapped);
    expect_aborted(*device, overlapped);  // waits until the other thread's CancelIoEx
  });
  t.app.run("canceller", [&] {
    Sleep(5);
    own = CancelIo(*device);  // this thread issued nothing on the handle
    Sleep(5);
    still_pending = !HasOverlappedIoCompleted(overlapped);
    any_thread = CancelIoEx(*device, nullptr);
  });
  EXPECT_EQ(t.lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(own);
  EXPECT_TRUE(still_pending);
  EXPECT_TRUE(any_thread);
  EXPECT_TRUE(t.lab.findings().empty());
}

TEST(CancelIoEx, CancelsOnlyTheGivenOverlappedAndFailsWithNotFoundWhenNothingMatches) {
  AppLab t;
  auto* overlapped = t.app.alloc_array<OVERLAPPED>(2);
  DWORD nothing_error = 0, other_error = 0;
  BOOL nothing = TRUE, other = TRUE, mine = FALSE;
  t.run([&] {
    HANDLE device = open_io_test_device(GENERIC_READ, FILE_FLAG_OVERLAPPED);
    nothing = CancelIoEx(device, nullptr);
    nothing_error = GetLastError();
    pend_cancelable(device, &overlapped[0]);
    other = CancelIoEx(device, &overlapped[1]);
    other_error = GetLastError();
    EXPECT_FALSE(HasOverlappedIoCompleted(&overlapped[0]));
    mine = CancelIoEx(device, &overlapped[0]);
    expect_aborted(device, &overlapped[0]);
    CloseHandle(device);
  });
  EXPECT_FALSE(nothing);
  EXPECT_EQ(nothing_error, ERROR_NOT_FOUND);
  EXPECT_FALSE(other);
  EXPECT_EQ(other_error, ERROR_NOT_FOUND);
  EXPECT_TRUE(mine);
  EXPECT_TRUE(t.lab.findings().empty());
}

TEST(CancelSynchronousIo, EndsAnotherThreadsBlockedSynchronousRequest) {
  AppLab t;
  auto* reader_id = t.app.alloc_array<DWORD>(1);
  BOOL result = TRUE, cancelled = FALSE, nothing = TRUE, denied = TRUE;
  DWORD result_error = 0, nothing_error = 0, denied_error = 0;
  t.app.run("reader", [&] {
    *reader_id = GetCurrentThreadId();
    HANDLE device = open_io_test_device(GENERIC_READ);  // synchronous
    result = DeviceIoControl(device, IOCTL_IOTEST_PEND_CANCELABLE, nullptr, 0, nullptr, 0, nullptr, nullptr);
    result_error = GetLastError();
    CloseHandle(device);
  });
  t.app.run("canceller", [&] {
    Sleep(5);
    HANDLE reader = OpenThread(THREAD_TERMINATE, FALSE, *reader_id);
    HANDLE query_only = OpenThread(THREAD_QUERY_INFORMATION, FALSE, *reader_id);
    denied = CancelSynchronousIo(query_only);
    denied_error = GetLastError();
    cancelled = CancelSynchronousIo(reader);
    Sleep(5);
    nothing = CancelSynchronousIo(reader);  // the reader's request is over
    nothing_error = GetLastError();
    CloseHandle(reader);
    CloseHandle(query_only);
  });
  EXPECT_EQ(t.lab.run_until_idle(), RunStatus::Idle);
  EXPECT_FALSE(denied);
  EXPECT_EQ(denied_error, ERROR_ACCESS_DENIED);
  EXPECT_TRUE(cancelled);
  EXPECT_FALSE(result);
  EXPECT_EQ(result_error, ERROR_OPERATION_ABORTED);
  EXPECT_FALSE(nothing);
  EXPECT_EQ(nothing_error, ERROR_NOT_FOUND);
  EXPECT_TRUE(t.lab.findings().empty());
}

TEST(OpenThread, AnUnknownThreadIdIsAnInvalidParameter) {
  AppLab t;
  HANDLE thread = INVALID_HANDLE_VALUE;
  DWORD error = 0;
  t.run([&] {
    thread = OpenThread(THREAD_TERMINATE, FALSE, 0x7FFFFFF0);
    error = GetLastError();
  });
  EXPECT_EQ(thread, nullptr);
  EXPECT_EQ(error, ERROR_INVALID_PARAMETER);
}

TEST(TerminateThread, EndsAThreadInANonAlertableWaitAndCancelsItsRequests) {
  AppLab t;
  auto* overlapped = t.app.alloc_array<OVERLAPPED>(1);
  auto* victim_id = t.app.alloc_array<DWORD>(1);
  bool victim_returned = false;
  DWORD before = 0, after = 0;
  BOOL terminated = FALSE;
  t.app.run("victim", [&] {
    *victim_id = GetCurrentThreadId();
    HANDLE device = open_io_test_device(GENERIC_READ, FILE_FLAG_OVERLAPPED);
    pend_cancelable(device, overlapped);
    HANDLE never = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    WaitForSingleObject(never, INFINITE);
    victim_returned = true;
  });
  t.app.run("killer", [&] {
    Sleep(5);
    HANDLE victim = OpenThread(THREAD_TERMINATE | THREAD_QUERY_INFORMATION | SYNCHRONIZE, FALSE, *victim_id);
    GetExitCodeThread(victim, &before);
    terminated = TerminateThread(victim, 42);
    EXPECT_EQ(WaitForSingleObject(victim, INFINITE), WAIT_OBJECT_0);
    GetExitCodeThread(victim, &after);
    CloseHandle(victim);
  });
  EXPECT_EQ(t.lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(terminated);
  EXPECT_FALSE(victim_returned);
  EXPECT_EQ(before, STILL_ACTIVE);
  EXPECT_EQ(after, 42u);
  EXPECT_EQ(static_cast<NTSTATUS>(overlapped->Internal), STATUS_CANCELLED);
  EXPECT_TRUE(t.lab.findings().empty());
  // The process lives on with the killer; it ends with its last thread.
  EXPECT_TRUE(t.app.exited());
  EXPECT_EQ(lines_with(t.lab.log(), "io_test: cancel").size(), 1u);
}

TEST(ThreadExit, ARequestStillPendingWhenTheBodyReturnsIsCancelledAndWaitedFor) {
  AppLab t;
  auto* overlapped = t.app.alloc_array<OVERLAPPED>(1);
  t.run([&] {
    HANDLE device = open_io_test_device(GENERIC_READ, FILE_FLAG_OVERLAPPED);
    pend_cancelable(device, overlapped);
  });
  EXPECT_TRUE(t.app.exited());
  EXPECT_EQ(static_cast<NTSTATUS>(overlapped->Internal), STATUS_CANCELLED);
  // The cancel comes before the handle is closed: the thread runs down its I/O, then the process
  // (ending with its last thread) closes its handles.
  EXPECT_EQ(t.driver_lines(), (std::vector<std::string>{"io_test: create '(null)'", "io_test: pend cancelable",
                                                        "io_test: cancel", "io_test: cleanup", "io_test: close"}));
  EXPECT_TRUE(t.lab.findings().empty());
}

}  // namespace
}  // namespace wdmlab::test
