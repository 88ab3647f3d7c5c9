// sample_app.hpp - what the tests of the I/O samples share: a lab with an application process,
// the machines each test runs on, user-mode buffers filled from the test, and the drivers' log.
//
// The tests reach the drivers only the way an application does: wdmlab::win32 calls from a
// thread of app.exe (SampleTest::run), with every buffer a driver sees allocated in app.exe.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "io/io_test_support.hpp"
#include "wdmlab/lab.hpp"
#include "wdmlab/user.hpp"
#include "wdmlab/win32.hpp"

namespace wdmlab::test {

// Processors and seed of one lab.
struct Machine {
  unsigned processors;
  std::uint64_t seed;
};

inline std::string machine_name(const ::testing::TestParamInfo<Machine>& info) {
  return std::to_string(info.param.processors) + "cpu_seed" + std::to_string(info.param.seed);
}

// One processor, and two with a few seeds: the samples are cheap to run.
inline auto machines() { return ::testing::Values(Machine{1, 1}, Machine{2, 1}, Machine{2, 2}, Machine{2, 3}); }

// CreateFileW for an existing device, not shared. From a thread of a simulated process.
inline HANDLE open_device(const char16_t* path, DWORD access, DWORD flags = FILE_ATTRIBUTE_NORMAL) {
  return win32::CreateFileW(path, access, 0, nullptr, OPEN_EXISTING, flags, nullptr);
}

// `value` as eight hex digits, as the drivers print codes and statuses (%08lx).
inline std::string hex(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof(text), "%08x", value);
  return text;
}

// ReadFile and WriteFile of `length` bytes at `buffer` on a synchronous handle both fail with
// `error`, and report 0 bytes transferred (kernel32 clears the count before it starts).
inline void expect_read_and_write_fail(HANDLE device, void* buffer, DWORD length, DWORD error) {
  for (bool write : {false, true}) {
    DWORD bytes = 0xFFFFFFFF;
    win32::SetLastError(ERROR_SUCCESS);
    const BOOL ok = write ? win32::WriteFile(device, buffer, length, &bytes, nullptr)
                          : win32::ReadFile(device, buffer, length, &bytes, nullptr);
    EXPECT_FALSE(ok) << (write ? "WriteFile" : "ReadFile");
    EXPECT_EQ(win32::GetLastError(), error) << (write ? "WriteFile" : "ReadFile");
    EXPECT_EQ(bytes, 0u) << (write ? "WriteFile" : "ReadFile");
  }
}

// A lab on `machine` with app.exe, for a test parameterised over `Param` (a Machine, or a Machine
// with more: SampleTest below, or a fixture that passes the Machine part of its parameter).
template <class Param>
class SampleTestWith : public ::testing::TestWithParam<Param> {
 protected:
  explicit SampleTestWith(const Machine& machine)
      : lab({.processors = machine.processors, .seed = machine.seed}), app(lab.create_process("app.exe")) {}

  // Loads a driver image and expects DriverEntry to succeed.
  LoadedDriver& load(const char* image) {
    LoadedDriver& driver = lab.load_driver(image);
    EXPECT_TRUE(driver.loaded()) << image << ": DriverEntry returned " << std::hex << driver.entry_status;
    return driver;
  }

  // Runs `body` as a thread of `process` (app.exe by default) until the lab is idle. A process ends
  // with its last thread: after that, run in a new one (Lab::create_process).
  void run(std::function<void()> body) { run_in(app, std::move(body)); }
  void run_in(UserProcess& process, std::function<void()> body) {
    process.run("main", std::move(body));
    ASSERT_EQ(lab.run_until_idle(), RunStatus::Idle);
  }

  // Runs `body` as a thread of app.exe with a handle to `path` opened for `access`, closed after.
  void run_with_device(const char16_t* path, DWORD access, DWORD flags, std::function<void(HANDLE)> body) {
    run([path, access, flags, body = std::move(body)] {
      HANDLE device = open_device(path, access, flags);
      ASSERT_NE(device, INVALID_HANDLE_VALUE) << "CreateFileW failed with " << win32::GetLastError();
      body(device);
      EXPECT_TRUE(win32::CloseHandle(device));
    });
  }

  // Unloads `driver`, whose DriverUnload logs `unloaded`, and expects `path` to be gone: a new
  // process's CreateFileW fails with ERROR_FILE_NOT_FOUND.
  void unload_and_expect_gone(LoadedDriver& driver, const char16_t* path, std::string_view unloaded) {
    lab.unload_driver(driver);
    EXPECT_TRUE(lab.log().contains(unloaded));
    run_in(lab.create_process("later.exe"), [path] {
      win32::SetLastError(ERROR_SUCCESS);
      EXPECT_EQ(open_device(path, GENERIC_READ), INVALID_HANDLE_VALUE);
      EXPECT_EQ(win32::GetLastError(), ERROR_FILE_NOT_FOUND);
    });
  }

  // `capacity` bytes of app.exe's memory, starting with `text` and filled up with `fill`.
  char* user_bytes(std::string_view text, std::size_t capacity, char fill = '\0') {
    auto* bytes = static_cast<char*>(app.alloc(capacity));
    std::memset(bytes, fill, capacity);
    std::memcpy(bytes, text.data(), text.size());
    return bytes;
  }
  char* user_bytes(std::string_view text) { return user_bytes(text, text.size()); }

  template <class T>
  T* user_value(const T& value) {
    T* copy = app.alloc_array<T>(1);
    *copy = value;
    return copy;
  }

  // The log lines that start with `prefix`, in order.
  std::vector<std::string> lines(std::string_view prefix) const { return lines_with(lab.log(), prefix); }

  void expect_no_findings() {
    for (const Finding& finding : lab.findings()) ADD_FAILURE() << finding.summary();
  }

  Lab lab;
  UserProcess& app;
};

class SampleTest : public SampleTestWith<Machine> {
 protected:
  SampleTest() : SampleTestWith(GetParam()) {}
};

// The bytes at `data` as a string, for comparisons that print what differs.
inline std::string bytes_at(const void* data, std::size_t length) {
  return std::string(static_cast<const char*>(data), length);
}

}  // namespace wdmlab::test
