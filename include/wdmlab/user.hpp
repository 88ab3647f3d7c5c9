// wdmlab/user.hpp - simulated user-mode processes.
//
// A UserProcess is a process of the simulated machine with its own handle table and its own range
// of user-mode addresses. Its threads are fibers under the lab's scheduler like every other thread;
// test code runs in them and calls the Win32 subset (wdmlab/win32.hpp) the way an application
// does:
//
//   wdmlab::Lab lab({.processors = 2, .seed = 1});
//   lab.load_driver(sample_DriverEntry, "sample");
//   wdmlab::UserProcess& app = lab.create_process("app.exe");
//   auto* buffer = static_cast<char*>(app.alloc(64));     // user-mode memory of app.exe
//   app.run("main", [&] {
//     using namespace wdmlab::win32;
//     HANDLE device = CreateFileW(u"\\\\.\\Sample", GENERIC_READ | GENERIC_WRITE, 0, nullptr,
//                                 OPEN_EXISTING, 0, nullptr);
//     DWORD bytes = 0;
//     EXPECT_TRUE(DeviceIoControl(device, IOCTL_SAMPLE, buffer, 16, buffer, 64, &bytes, nullptr));
//     CloseHandle(device);
//   });
//   lab.run_until_idle();
//
// The Lab owns its processes; a UserProcess reference stays valid for the Lab's lifetime.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace wdmlab {

class UserProcess {
 public:
  struct Impl;
  explicit UserProcess(std::unique_ptr<Impl> impl);
  ~UserProcess();
  UserProcess(const UserProcess&) = delete;
  UserProcess& operator=(const UserProcess&) = delete;

  const std::string& image_name() const;
  std::uint32_t id() const;

  // Starts a thread of this process running `body` in user mode. The lab waits for it: run_until_idle
  // lets virtual time pass until it ends, and reports a hang if it never can. When the last thread
  // of the process ends, the process exits (exit code 0) and its handles are closed; a process that
  // has exited cannot run threads (UsageError).
  void run(std::string name, std::function<void()> body);

  // `bytes` of zeroed user-mode memory in this process's range, readable and writable, followed by
  // an inaccessible guard page (so an overrun faults). Usable before or while the process runs; the
  // test can still read it after the process has exited, until the lab is destroyed.
  void* alloc(std::size_t bytes);
  template <class T>
  T* alloc_array(std::size_t count) {
    return static_cast<T*>(alloc(count * sizeof(T)));
  }
  // An address in this process's user range that is not mapped: a driver touching it faults with
  // STATUS_ACCESS_VIOLATION, a system service given it fails with STATUS_ACCESS_VIOLATION.
  void* invalid_address() const;

  // Ends the process from outside (like TerminateProcess): its threads end and its handles are
  // closed, which sends IRP_MJ_CLEANUP and IRP_MJ_CLOSE for its open files. Then run the lab.
  void terminate(std::uint32_t exit_code);
  bool exited() const;
  // The exit code once the process has exited (ExitProcess, terminate, or its last thread ended).
  std::uint32_t exit_code() const;

  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace wdmlab
