// user_test_support.hpp - what the simulated user mode's tests share: a lab with the io_test
// driver loaded and one application process.
#pragma once

#include <gtest/gtest.h>

#include "io/io_test_support.hpp"
#include "wdmlab/lab.hpp"
#include "wdmlab/win32.hpp"

namespace wdmlab::test {

struct AppLab {
  Lab lab;
  UserProcess& app;
  LoadedDriver* driver = nullptr;
  explicit AppLab(LabOptions options = {.processors = 2, .seed = 11})
      : lab(std::move(options)), app(lab.create_process("app.exe")) {
    driver = &lab.load_driver(io_test_DriverEntry, "io_test");
    EXPECT_TRUE(driver->loaded());
  }
  // Runs `body` as the application's main thread until the lab is idle.
  RunStatus run(std::function<void()> body) {
    app.run("main", std::move(body));
    return lab.run_until_idle();
  }
  std::vector<std::string> driver_lines() const { return lines_with(lab.log(), "io_test:"); }
};

inline HANDLE open_io_test_device(DWORD access, DWORD flags = 0) {
  return win32::CreateFileW(u"\\\\.\\IoTest", access, 0, nullptr, OPEN_EXISTING, flags, nullptr);
}

}  // namespace wdmlab::test
