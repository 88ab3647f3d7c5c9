// Processes, threads, events, waits, handles and memory of the simulated user mode.
#include <cstring>

#include "user/user_test_support.hpp"

namespace wdmlab::test {
namespace {

using namespace win32;

TEST(UserProcess, ItsLastThreadEndingEndsTheProcessAndClosesItsHandles) {
  AppLab t;
  t.run([] { (void)open_io_test_device(GENERIC_READ); });
  EXPECT_TRUE(t.app.exited());
  EXPECT_EQ(t.app.exit_code(), 0u);
  EXPECT_EQ(t.driver_lines(), (std::vector<std::string>{"io_test: create '(null)'", "io_test: cleanup", "io_test: close"}));
  EXPECT_THROW(t.app.run("late", [] {}), UsageError);
}

TEST(UserProcess, ExitProcessEndsTheCallingThreadWithTheExitCode) {
  AppLab t;
  bool after_exit = false;
  t.run([&] {
    (void)open_io_test_device(GENERIC_READ);
    ExitProcess(3);
    after_exit = true;
  });
  EXPECT_FALSE(after_exit);
  EXPECT_TRUE(t.app.exited());
  EXPECT_EQ(t.app.exit_code(), 3u);
  EXPECT_EQ(t.driver_lines(), (std::vector<std::string>{"io_test: create '(null)'", "io_test: cleanup", "io_test: close"}));
  EXPECT_TRUE(t.lab.findings().empty());
}

TEST(UserProcess, TerminateFromOutsideWaitsFiveMinutesForAnIrpNobodyCompletesThenEndsTheProcess) {
  AppLab t;
  auto* overlapped = t.app.alloc_array<OVERLAPPED>(1);
  t.app.run("main", [&] {
    HANDLE device = open_io_test_device(GENERIC_READ, FILE_FLAG_OVERLAPPED);
    DeviceIoControl(device, IOCTL_IOTEST_PEND, nullptr, 0, nullptr, 0, nullptr, overlapped);
    HANDLE never = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    WaitForSingleObject(never, 1000);  // still waiting when the process is terminated
  });
  EXPECT_EQ(t.lab.run_for(std::chrono::milliseconds(10)), RunStatus::TimeElapsed);
  const std::uint64_t terminated_at = t.lab.now();
  t.app.terminate(9);
  // The user-mode wait ends at once; the thread then cancels its IRP (io_test keeps it without a
  // cancel routine) and waits for it, so the process has not ended yet.
  EXPECT_EQ(t.lab.run_for(std::chrono::seconds(1)), RunStatus::TimeElapsed);
  EXPECT_FALSE(t.app.exited());
  EXPECT_TRUE(t.lab.findings().empty());
  // Five minutes later the I/O manager gives up on the IRP, reports it and lets the thread go; the
  // process ends and its handle is closed (cleanup). The IRP still holds the file: no close.
  EXPECT_EQ(t.lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(t.app.exited());
  EXPECT_EQ(t.app.exit_code(), 9u);
  EXPECT_GE(t.lab.now() - terminated_at, std::uint64_t{300} * 10'000'000);
  ASSERT_EQ(t.lab.findings().size(), 1u);
  const Finding& finding = t.lab.findings()[0];
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
  EXPECT_EQ(finding.parameters[0], 0x135u);
  EXPECT_EQ(finding.parameters[2], 300000u);
  EXPECT_EQ(finding.severity, Severity::NonFatal);
  EXPECT_EQ(finding.driver, "io_test");
  EXPECT_EQ(t.driver_lines(), (std::vector<std::string>{"io_test: create '(null)'", "io_test: pend", "io_test: cleanup"}));
}

TEST(UserProcess, IdsComeFromTheProcessAndThreadObjects) {
  AppLab t;
  DWORD process_id = 0, thread_id = 0;
  t.run([&] {
    process_id = GetCurrentProcessId();
    thread_id = GetCurrentThreadId();
  });
  EXPECT_EQ(process_id, t.app.id());
  EXPECT_NE(thread_id, 0u);
  EXPECT_NE(thread_id, process_id);
  EXPECT_EQ(process_id % 4, 0u);
}

TEST(UserProcess, Win32FunctionsOutsideAUserThreadAreAUsageError) {
  Lab lab({.processors = 1});
  EXPECT_THROW(GetLastError(), UsageError);
  bool threw = false;
  lab.spawn("system", [&] {
    try {
      (void)CreateEventW(nullptr, TRUE, FALSE, nullptr);
    } catch (const UsageError& error) {
      threw = std::string(error.what()).find("CreateEventW") != std::string::npos;
    }
  });
  lab.run_until_idle();
  EXPECT_TRUE(threw);
}

TEST(CreateEventW, ANamedEventIsOpenedAgainWithAlreadyExists) {
  AppLab t;
  DWORD first_error = 1, second_error = 0, waited = 0, before_set = 0;
  t.run([&] {
    HANDLE first = CreateEventW(nullptr, TRUE, FALSE, u"Ready");
    first_error = GetLastError();
    HANDLE second = CreateEventW(nullptr, TRUE, FALSE, u"Ready");
    second_error = GetLastError();
    before_set = WaitForSingleObject(second, 0);
    SetEvent(first);
    waited = WaitForSingleObject(second, 0);
    CloseHandle(first);
    CloseHandle(second);
  });
  EXPECT_EQ(first_error, ERROR_SUCCESS);
  EXPECT_EQ(second_error, ERROR_ALREADY_EXISTS);
  EXPECT_EQ(before_set, WAIT_TIMEOUT);
  EXPECT_EQ(waited, WAIT_OBJECT_0);
}

TEST(WaitForSingleObject, TimeoutsRunOnTheVirtualClockAndBadHandlesFail) {
  AppLab t({.processors = 1, .seed = 2});
  DWORD timed_out = 0, bad = 0, bad_error = 0;
  std::uint64_t before = 0, after = 0;
  BOOL closed_twice = TRUE;
  DWORD close_error = 0;
  t.run([&] {
    HANDLE event = CreateEventW(nullptr, FALSE, FALSE, nullptr);
    before = t.lab.now();
    timed_out = WaitForSingleObject(event, 250);
    after = t.lab.now();
    CloseHandle(event);
    closed_twice = CloseHandle(event);
    close_error = GetLastError();
    bad = WaitForSingleObject(event, 0);
    bad_error = GetLastError();
  });
  EXPECT_EQ(timed_out, WAIT_TIMEOUT);
  EXPECT_GE(after - before, 250u * 10'000u);
  EXPECT_FALSE(closed_twice);
  EXPECT_EQ(close_error, ERROR_INVALID_HANDLE);
  EXPECT_EQ(bad, WAIT_FAILED);
  EXPECT_EQ(bad_error, ERROR_INVALID_HANDLE);
}

TEST(VirtualAlloc, CommitsProtectsAndReleasesUserMemoryTheDriverSees) {
  AppLab t;
  BOOL read_into_read_only = TRUE;
  DWORD read_only_error = 0, old_protect = 0;
  BOOL freed = FALSE, freed_twice = TRUE;
  DWORD free_error = 0;
  char first = 0;
  t.run([&] {
    auto* memory = static_cast<char*>(VirtualAlloc(nullptr, 8192, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE));
    HANDLE device = open_io_test_device(GENERIC_READ);
    DWORD bytes = 0;
    ReadFile(device, memory, 8192, &bytes, nullptr);
    first = memory[8191];
    VirtualProtect(memory, 8192, PAGE_READONLY, &old_protect);
    read_into_read_only = ReadFile(device, memory, 16, &bytes, nullptr);
    read_only_error = GetLastError();
    freed = VirtualFree(memory, 0, MEM_RELEASE);
    freed_twice = VirtualFree(memory, 0, MEM_RELEASE);
    free_error = GetLastError();
    CloseHandle(device);
  });
  EXPECT_EQ(first, 'R');
  EXPECT_EQ(old_protect, PAGE_READWRITE);
  EXPECT_FALSE(read_into_read_only);
  EXPECT_EQ(read_only_error, ERROR_NOACCESS);
  EXPECT_TRUE(freed);
  EXPECT_FALSE(freed_twice);
  EXPECT_EQ(free_error, ERROR_INVALID_ADDRESS);
  EXPECT_TRUE(t.lab.findings().empty());
}

}  // namespace
}  // namespace wdmlab::test
