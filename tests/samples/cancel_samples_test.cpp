// The cancellation samples, csq_queue and cancel_spinlock, driven from app.exe. Both speak one
// protocol (csq_queue_public.h): reads pend until a write delivers to the oldest, the timer
// completes them empty, or they are cancelled (CancelIo, CancelIoEx, CancelSynchronousIo, the
// issuing thread or process ending) or cleaned up (the last handle closed). Every case runs
// against both drivers, and ends by unloading the driver with no findings.
#include <gtest/gtest.h>
#include <wdm.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "samples/cancel_sample.hpp"
#include "samples/sample_app.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr DWORD kReadWrite = GENERIC_READ | GENERIC_WRITE;

class CancelSampleTest : public SampleTestWith<std::tuple<CancelSample, Machine>> {
 protected:
  CancelSampleTest() : SampleTestWith(std::get<1>(GetParam())), sample(std::get<0>(GetParam())) {}

  void SetUp() override { driver = &load(sample.image); }

  // The driver's log line `text`, with its prefix ("csq_queue: " + text).
  std::string line(std::string_view text) const { return std::string(sample.name) + ": " + std::string(text); }
  std::vector<std::string> driver_lines() const { return lines(std::string(sample.name) + ": "); }
  long count(std::string_view text) const {
    const std::vector<std::string> all = driver_lines();
    return std::count(all.begin(), all.end(), line(text));
  }
  // The position of the first log line `text` of the driver; fails the test if there is none.
  std::size_t position(std::string_view text) const {
    const std::vector<std::string> all = driver_lines();
    const auto found = std::find(all.begin(), all.end(), line(text));
    EXPECT_NE(found, all.end()) << "no line \"" << line(text) << "\"";
    return static_cast<std::size_t>(found - all.begin());
  }

  HANDLE open(DWORD flags = FILE_FLAG_OVERLAPPED) const { return open_device(sample.path, kReadWrite, flags); }

  // `count` zeroed OVERLAPPED structures in app.exe.
  OVERLAPPED* overlapped(std::size_t count) { return app.alloc_array<OVERLAPPED>(count); }

  // Unloads the driver (its device and link are gone after) and expects no findings.
  void unload_cleanly() {
    unload_and_expect_gone(*driver, sample.path, line("unloaded"));
    expect_no_findings();
  }

  CancelSample sample;
  LoadedDriver* driver = nullptr;
};

// The NTSTATUS the I/O manager stored in the OVERLAPPED (the low half of Internal on x64).
NTSTATUS status_of(const OVERLAPPED* overlapped) {
  return static_cast<NTSTATUS>(static_cast<DWORD>(overlapped->Internal));
}

// Starts an overlapped read of `length` bytes into `buffer`, with a manual-reset event; the driver
// holds it.
void start_read(HANDLE device, char* buffer, DWORD length, OVERLAPPED* overlapped) {
  overlapped->hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  ASSERT_NE(overlapped->hEvent, nullptr);
  SetLastError(ERROR_SUCCESS);
  EXPECT_FALSE(ReadFile(device, buffer, length, nullptr, overlapped));
  EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
  EXPECT_FALSE(HasOverlappedIoCompleted(overlapped));
}

// Waits for an overlapped read and expects it to have succeeded with `expected` bytes.
void expect_read(HANDLE device, OVERLAPPED* overlapped, DWORD expected) {
  DWORD bytes = 0xFFFFFFFF;
  EXPECT_TRUE(GetOverlappedResult(device, overlapped, &bytes, TRUE));
  EXPECT_EQ(bytes, expected);
  EXPECT_EQ(status_of(overlapped), STATUS_SUCCESS);
  EXPECT_TRUE(CloseHandle(overlapped->hEvent));
}

// Waits for an overlapped read and expects it aborted: ERROR_OPERATION_ABORTED with 0 bytes. The
// wait is on the OVERLAPPED's event, so `device` may be closed by then.
void expect_aborted(HANDLE device, OVERLAPPED* overlapped) {
  DWORD bytes = 0xFFFFFFFF;
  SetLastError(ERROR_SUCCESS);
  EXPECT_FALSE(GetOverlappedResult(device, overlapped, &bytes, TRUE));
  EXPECT_EQ(GetLastError(), ERROR_OPERATION_ABORTED);
  EXPECT_EQ(bytes, 0u);
  EXPECT_EQ(status_of(overlapped), STATUS_CANCELLED);
  EXPECT_TRUE(CloseHandle(overlapped->hEvent));
}

// WriteFile on a synchronous handle; returns the bytes the driver reports moved.
DWORD write(HANDLE device, const char* buffer, DWORD length) {
  DWORD bytes = 0xFFFFFFFF;
  EXPECT_TRUE(WriteFile(device, buffer, length, &bytes, nullptr));
  return bytes;
}

// Lets the other threads of the process get to where they wait: virtual time passes only when
// nothing can run, so a thread that sleeps runs after every thread that has work to do.
void let_the_others_run() { Sleep(5); }

// Two reads pend; each write goes to the oldest pending read, byte for byte, up to the read's
// length; a write with no read pending reports 0 bytes.
TEST_P(CancelSampleTest, AWriteDeliversItsBytesToTheOldestPendingRead) {
  char* first = user_bytes("", 16, 'x');
  char* second = user_bytes("", 3, 'x');
  char* message = user_bytes("first message");
  char* longer = user_bytes("second");
  char* lost = user_bytes("lost");
  OVERLAPPED* reads = overlapped(2);
  run([&] {
    HANDLE reader = open();
    HANDLE writer = open(FILE_ATTRIBUTE_NORMAL);
    ASSERT_NE(reader, INVALID_HANDLE_VALUE);
    ASSERT_NE(writer, INVALID_HANDLE_VALUE);
    start_read(reader, first, 16, &reads[0]);
    start_read(reader, second, 3, &reads[1]);
    EXPECT_EQ(write(writer, message, 13), 13u);
    expect_read(reader, &reads[0], 13);
    EXPECT_FALSE(HasOverlappedIoCompleted(&reads[1]));
    EXPECT_EQ(write(writer, longer, 6), 6u);  // the read takes 3 of them; the write reports all 6
    expect_read(reader, &reads[1], 3);
    EXPECT_EQ(write(writer, lost, 4), 0u);
    EXPECT_TRUE(CloseHandle(reader));
    EXPECT_TRUE(CloseHandle(writer));
  });
  EXPECT_EQ(bytes_at(first, 16), "first messagexxx");
  EXPECT_EQ(bytes_at(second, 3), "sec");
  EXPECT_EQ(count("write of 13 bytes: 13 delivered"), 1);
  EXPECT_EQ(count("write of 6 bytes: 3 delivered"), 1);
  EXPECT_EQ(count("write of 4 bytes: no read pending"), 1);
  unload_cleanly();
}

// Zero bytes: a read completes at once, and a write ends no read.
TEST_P(CancelSampleTest, ZeroLengthRequestsCompleteAtOnce) {
  char* buffer = user_bytes("", 4, 'x');
  OVERLAPPED* pending = overlapped(1);
  run([&] {
    HANDLE device = open(FILE_ATTRIBUTE_NORMAL);
    HANDLE asynchronous = open();
    ASSERT_NE(device, INVALID_HANDLE_VALUE);
    ASSERT_NE(asynchronous, INVALID_HANDLE_VALUE);
    DWORD bytes = 0xFFFFFFFF;
    EXPECT_TRUE(ReadFile(device, buffer, 0, &bytes, nullptr));
    EXPECT_EQ(bytes, 0u);
    start_read(asynchronous, buffer, 4, pending);
    EXPECT_EQ(write(device, buffer, 0), 0u);
    EXPECT_FALSE(HasOverlappedIoCompleted(pending));
    EXPECT_TRUE(CancelIo(asynchronous));
    expect_aborted(asynchronous, pending);
    EXPECT_TRUE(CloseHandle(asynchronous));
    EXPECT_TRUE(CloseHandle(device));
  });
  EXPECT_EQ(bytes_at(buffer, 4), "xxxx");
  EXPECT_EQ(count("write of 0 bytes: no read pending"), 1);
  unload_cleanly();
}

// CancelIo cancels the calling thread's requests on the handle: the cancel routine completes
// each with STATUS_CANCELLED. With nothing left, CancelIo still succeeds.
TEST_P(CancelSampleTest, CancelIoAbortsTheCallingThreadsPendingReads) {
  char* buffer = user_bytes("", 8, 'x');
  OVERLAPPED* reads = overlapped(2);
  run([&] {
    HANDLE device = open();
    ASSERT_NE(device, INVALID_HANDLE_VALUE);
    start_read(device, buffer, 4, &reads[0]);
    start_read(device, buffer + 4, 4, &reads[1]);
    EXPECT_TRUE(CancelIo(device));
    expect_aborted(device, &reads[0]);
    expect_aborted(device, &reads[1]);
    EXPECT_TRUE(CancelIo(device));
    EXPECT_TRUE(CloseHandle(device));
  });
  EXPECT_EQ(bytes_at(buffer, 8), "xxxxxxxx");
  EXPECT_EQ(count("read cancelled"), 2);
  EXPECT_EQ(count("cleanup: 0 reads cancelled"), 1);
  unload_cleanly();
}

// CancelIoEx with an OVERLAPPED cancels that request only; the other stays queued and is the one
// the next write reaches. A request that has completed is not found.
TEST_P(CancelSampleTest, CancelIoExWithAnOverlappedAbortsThatReadOnly) {
  char* buffer = user_bytes("", 8, 'x');
  char* message = user_bytes("!");
  OVERLAPPED* reads = overlapped(2);
  run([&] {
    HANDLE device = open();
    HANDLE writer = open(FILE_ATTRIBUTE_NORMAL);
    ASSERT_NE(device, INVALID_HANDLE_VALUE);
    ASSERT_NE(writer, INVALID_HANDLE_VALUE);
    start_read(device, buffer, 4, &reads[0]);
    start_read(device, buffer + 4, 4, &reads[1]);
    EXPECT_TRUE(CancelIoEx(device, &reads[0]));
    expect_aborted(device, &reads[0]);
    EXPECT_FALSE(HasOverlappedIoCompleted(&reads[1]));
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(CancelIoEx(device, &reads[0]));
    EXPECT_EQ(GetLastError(), ERROR_NOT_FOUND);
    EXPECT_EQ(write(writer, message, 1), 1u);
    expect_read(device, &reads[1], 1);
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(CancelIoEx(device, &reads[1]));
    EXPECT_EQ(GetLastError(), ERROR_NOT_FOUND);
    EXPECT_TRUE(CloseHandle(writer));
    EXPECT_TRUE(CloseHandle(device));
  });
  EXPECT_EQ(bytes_at(buffer, 8), "xxxx!xxx");
  EXPECT_EQ(count("read cancelled"), 1);
  EXPECT_EQ(count("write of 1 bytes: 1 delivered"), 1);
  unload_cleanly();
}

// CancelIoEx without an OVERLAPPED cancels what every thread of the process issued on the handle.
TEST_P(CancelSampleTest, CancelIoExWithoutAnOverlappedAbortsEveryThreadsReads) {
  char* buffer = user_bytes("", 8, 'x');
  OVERLAPPED* reads = overlapped(2);
  HANDLE device = nullptr;
  int finished = 0;
  app.run("canceller", [&] {
    device = open();
    ASSERT_NE(device, INVALID_HANDLE_VALUE);
    let_the_others_run();
    EXPECT_TRUE(CancelIoEx(device, nullptr));
    while (finished < 2) Sleep(1);
    EXPECT_TRUE(CloseHandle(device));
  });
  for (int i = 0; i < 2; ++i) {
    app.run("reader " + std::to_string(i), [&, i] {
      Sleep(1);
      start_read(device, buffer + 4 * i, 4, &reads[i]);
      expect_aborted(device, &reads[i]);
      ++finished;
    });
  }
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(finished, 2);
  EXPECT_EQ(count("read cancelled"), 2);
  EXPECT_EQ(count("cleanup: 0 reads cancelled"), 1);
  unload_cleanly();
}

// With nothing outstanding on the handle, CancelIoEx fails with ERROR_NOT_FOUND, with or without
// an OVERLAPPED; CancelIo succeeds.
TEST_P(CancelSampleTest, CancelIoExWithNothingOutstandingFailsWithNotFound) {
  OVERLAPPED* never_used = overlapped(1);
  run([&] {
    HANDLE device = open();
    ASSERT_NE(device, INVALID_HANDLE_VALUE);
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(CancelIoEx(device, nullptr));
    EXPECT_EQ(GetLastError(), ERROR_NOT_FOUND);
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(CancelIoEx(device, never_used));
    EXPECT_EQ(GetLastError(), ERROR_NOT_FOUND);
    EXPECT_TRUE(CancelIo(device));
    EXPECT_TRUE(CloseHandle(device));
  });
  EXPECT_EQ(count("read cancelled"), 0);
  unload_cleanly();
}

// Closing the last handle with reads pending: the driver's IRP_MJ_CLEANUP completes that open's
// reads (no cancel routine runs), before IRP_MJ_CLOSE. Another open's read stays pending.
TEST_P(CancelSampleTest, ClosingTheHandleCompletesItsReadsInCleanup) {
  char* buffer = user_bytes("", 12, 'x');
  char* message = user_bytes("abcd");
  OVERLAPPED* reads = overlapped(3);
  run([&] {
    HANDLE closed = open();
    HANDLE other = open();
    HANDLE writer = open(FILE_ATTRIBUTE_NORMAL);
    ASSERT_NE(closed, INVALID_HANDLE_VALUE);
    ASSERT_NE(other, INVALID_HANDLE_VALUE);
    ASSERT_NE(writer, INVALID_HANDLE_VALUE);
    start_read(closed, buffer, 4, &reads[0]);
    start_read(other, buffer + 4, 4, &reads[1]);
    start_read(closed, buffer + 8, 4, &reads[2]);
    EXPECT_TRUE(CloseHandle(closed));
    EXPECT_EQ(WaitForSingleObject(reads[0].hEvent, INFINITE), WAIT_OBJECT_0);
    expect_aborted(closed, &reads[0]);
    expect_aborted(closed, &reads[2]);
    EXPECT_FALSE(HasOverlappedIoCompleted(&reads[1]));
    EXPECT_EQ(write(writer, message, 4), 4u);
    expect_read(other, &reads[1], 4);
    EXPECT_TRUE(CloseHandle(other));
    EXPECT_TRUE(CloseHandle(writer));
  });
  EXPECT_EQ(bytes_at(buffer, 12), "xxxxabcdxxxx");
  EXPECT_EQ(count("read cancelled"), 0);
  EXPECT_EQ(count("cleanup: 2 reads cancelled"), 1);
  EXPECT_EQ(count("close"), 3);
  EXPECT_LT(position("cleanup: 2 reads cancelled"), position("close"));
  unload_cleanly();
}

// The timer's DPC completes every read pending when it expires, successfully and empty; a read
// issued later pends again.
TEST_P(CancelSampleTest, TheTimerCompletesPendingReadsWithAnEmptyMessage) {
  char* buffer = user_bytes("", 12, 'x');
  auto* milliseconds = user_value<ULONG>(5);
  OVERLAPPED* reads = overlapped(3);
  run([&] {
    HANDLE device = open();
    ASSERT_NE(device, INVALID_HANDLE_VALUE);
    start_read(device, buffer, 4, &reads[0]);
    start_read(device, buffer + 4, 4, &reads[1]);
    DWORD bytes = 0xFFFFFFFF;
    EXPECT_TRUE(DeviceIoControl(device, sample.arm_timer, milliseconds, sizeof(ULONG), nullptr, 0, &bytes, nullptr));
    EXPECT_EQ(bytes, 0u);
    expect_read(device, &reads[0], 0);
    expect_read(device, &reads[1], 0);
    start_read(device, buffer + 8, 4, &reads[2]);
    Sleep(10);
    EXPECT_FALSE(HasOverlappedIoCompleted(&reads[2]));
    EXPECT_TRUE(CancelIo(device));
    expect_aborted(device, &reads[2]);
    EXPECT_TRUE(CloseHandle(device));
  });
  EXPECT_EQ(bytes_at(buffer, 12), "xxxxxxxxxxxx");
  EXPECT_LT(position("timer armed for 5 ms"), position("timer expired: 2 reads completed"));
  EXPECT_EQ(count("read cancelled"), 1);
  unload_cleanly();
}

// The one control code needs a ULONG of input; any other code is not the driver's.
TEST_P(CancelSampleTest, ControlCodesOtherThanArmTimerFail) {
  auto* input = user_value<ULONG>(5);
  run([&] {
    HANDLE device = open(FILE_ATTRIBUTE_NORMAL);
    ASSERT_NE(device, INVALID_HANDLE_VALUE);
    DWORD bytes = 0xFFFFFFFF;
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(DeviceIoControl(device, sample.arm_timer, input, sizeof(ULONG) - 1, nullptr, 0, &bytes, nullptr));
    EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    const DWORD other = sample.arm_timer + (1u << 2);  // the next function code
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(DeviceIoControl(device, other, input, sizeof(ULONG), nullptr, 0, &bytes, nullptr));
    EXPECT_EQ(GetLastError(), ERROR_INVALID_FUNCTION);
    EXPECT_TRUE(CloseHandle(device));
  });
  EXPECT_EQ(count("timer armed for 5 ms"), 0);
  unload_cleanly();
}

// A synchronous ReadFile waits inside the I/O manager for the pending read; another thread of the
// process ends it with CancelSynchronousIo on a handle to the reader's thread.
TEST_P(CancelSampleTest, CancelSynchronousIoEndsABlockedSynchronousRead) {
  char* buffer = user_bytes("", 8, 'x');
  DWORD reader_id = 0;
  bool read_returned = false;
  app.run("reader", [&] {
    HANDLE device = open(FILE_ATTRIBUTE_NORMAL);
    ASSERT_NE(device, INVALID_HANDLE_VALUE);
    reader_id = GetCurrentThreadId();
    DWORD bytes = 0xFFFFFFFF;
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(ReadFile(device, buffer, 8, &bytes, nullptr));
    EXPECT_EQ(GetLastError(), ERROR_OPERATION_ABORTED);
    EXPECT_EQ(bytes, 0u);
    read_returned = true;
    EXPECT_TRUE(CloseHandle(device));
  });
  app.run("canceller", [&] {
    let_the_others_run();
    EXPECT_FALSE(read_returned);
    HANDLE reader = OpenThread(THREAD_TERMINATE | SYNCHRONIZE, FALSE, reader_id);
    ASSERT_NE(reader, nullptr);
    EXPECT_TRUE(CancelSynchronousIo(reader));
    EXPECT_EQ(WaitForSingleObject(reader, INFINITE), WAIT_OBJECT_0);
    EXPECT_TRUE(read_returned);
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(CancelSynchronousIo(reader));
    EXPECT_EQ(GetLastError(), ERROR_NOT_FOUND);
    EXPECT_TRUE(CloseHandle(reader));
  });
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(read_returned);
  EXPECT_EQ(bytes_at(buffer, 8), "xxxxxxxx");
  EXPECT_EQ(count("read cancelled"), 1);
  unload_cleanly();
}

// TerminateThread on a thread waiting in user mode with two reads pending: the I/O manager
// cancels them as the thread ends, and their OVERLAPPEDs and events report it.
TEST_P(CancelSampleTest, TerminateThreadCancelsTheThreadsReads) {
  char* buffer = user_bytes("", 8, 'x');
  OVERLAPPED* reads = overlapped(2);
  HANDLE device = nullptr;
  DWORD victim_id = 0;
  app.run("victim", [&] {
    device = open();
    ASSERT_NE(device, INVALID_HANDLE_VALUE);
    start_read(device, buffer, 4, &reads[0]);
    start_read(device, buffer + 4, 4, &reads[1]);
    HANDLE never = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    victim_id = GetCurrentThreadId();
    WaitForSingleObject(never, INFINITE);
    ADD_FAILURE() << "the terminated thread returned from its wait";
  });
  app.run("main", [&] {
    let_the_others_run();
    HANDLE victim = OpenThread(THREAD_TERMINATE | SYNCHRONIZE | THREAD_QUERY_INFORMATION, FALSE, victim_id);
    ASSERT_NE(victim, nullptr);
    EXPECT_TRUE(TerminateThread(victim, 7));
    EXPECT_EQ(WaitForSingleObject(victim, INFINITE), WAIT_OBJECT_0);
    DWORD code = 0;
    EXPECT_TRUE(GetExitCodeThread(victim, &code));
    EXPECT_EQ(code, 7u);
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(WaitForSingleObject(reads[i].hEvent, 0), WAIT_OBJECT_0) << i;
      expect_aborted(device, &reads[i]);
    }
    EXPECT_TRUE(CloseHandle(victim));
    EXPECT_TRUE(CloseHandle(device));
  });
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(count("read cancelled"), 2);
  EXPECT_EQ(count("cleanup: 0 reads cancelled"), 1);
  unload_cleanly();
}

// A thread whose body returns with reads pending ends the same way: its reads are cancelled.
TEST_P(CancelSampleTest, AThreadThatReturnsWithReadsPendingHasThemCancelled) {
  char* buffer = user_bytes("", 8, 'x');
  OVERLAPPED* reads = overlapped(2);
  HANDLE device = nullptr;
  bool issued = false;
  app.run("reader", [&] {
    device = open();
    ASSERT_NE(device, INVALID_HANDLE_VALUE);
    start_read(device, buffer, 4, &reads[0]);
    start_read(device, buffer + 4, 4, &reads[1]);
    issued = true;
  });
  app.run("main", [&] {
    while (!issued) Sleep(1);
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(WaitForSingleObject(reads[i].hEvent, INFINITE), WAIT_OBJECT_0) << i;
      expect_aborted(device, &reads[i]);
    }
    EXPECT_TRUE(CloseHandle(device));
  });
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(count("read cancelled"), 2);
  EXPECT_EQ(count("cleanup: 0 reads cancelled"), 1);
  unload_cleanly();
}

// UserProcess::terminate with reads pending: the process's threads end (their reads cancelled),
// then its handles are closed (cleanup, close).
TEST_P(CancelSampleTest, TerminatingTheProcessCancelsItsReadsAndClosesItsHandles) {
  char* buffer = user_bytes("", 8, 'x');
  OVERLAPPED* reads = overlapped(2);
  app.run("main", [&] {
    HANDLE device = open();
    ASSERT_NE(device, INVALID_HANDLE_VALUE);
    start_read(device, buffer, 4, &reads[0]);
    start_read(device, buffer + 4, 4, &reads[1]);
    // Waits that time out keep the lab's clock running while the test lets time pass.
    HANDLE never = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    while (WaitForSingleObject(never, 1000) == WAIT_TIMEOUT) {
    }
    ADD_FAILURE() << "the terminated process's thread returned from its wait";
  });
  EXPECT_EQ(lab.run_for(std::chrono::milliseconds(10)), RunStatus::TimeElapsed);
  EXPECT_FALSE(app.exited());
  app.terminate(3);
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(app.exited());
  EXPECT_EQ(app.exit_code(), 3u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(status_of(&reads[i]), STATUS_CANCELLED) << i;
    EXPECT_EQ(reads[i].InternalHigh, 0u) << i;
  }
  EXPECT_EQ(count("read cancelled"), 2);
  EXPECT_LT(position("read cancelled"), position("cleanup: 0 reads cancelled"));
  EXPECT_LT(position("cleanup: 0 reads cancelled"), position("close"));
  unload_cleanly();
}

std::string case_name(const ::testing::TestParamInfo<std::tuple<CancelSample, Machine>>& info) {
  const Machine& machine = std::get<1>(info.param);
  return std::string(std::get<0>(info.param).name) + "_" + std::to_string(machine.processors) + "cpu_seed" +
         std::to_string(machine.seed);
}

INSTANTIATE_TEST_SUITE_P(Samples, CancelSampleTest, ::testing::Combine(cancel_samples(), machines()), case_name);

}  // namespace
}  // namespace wdmlab::test
