// What the I/O manager does around a driver's life: devices made ready after DriverEntry, and an
// unload that waits for the files open on the driver's devices.
#include "user/user_test_support.hpp"

extern "C" DRIVER_INITIALIZE keeps_initializing_DriverEntry;
extern "C" DRIVER_INITIALIZE flagless_filter_DriverEntry;

namespace wdmlab::test {
namespace {

using namespace win32;

TEST(DriverEntry, DevicesCreatedInItAreReadyWhenItReturnsAndLaterOnesWaitForTheDriver) {
  Lab lab({.processors = 1, .seed = 4});
  ASSERT_TRUE(lab.load_driver(keeps_initializing_DriverEntry, "keeps_initializing").loaded());
  UserProcess& app = lab.create_process();
  HANDLE first = INVALID_HANDLE_VALUE, late = nullptr;
  DWORD late_error = 0;
  BOOL created = FALSE;
  app.run("main", [&] {
    first = CreateFileW(u"\\\\.\\KeepsInitializing", GENERIC_READ, 0, nullptr, OPEN_EXISTING, 0, nullptr);
    DWORD bytes = 0;
    created = DeviceIoControl(first, CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS), nullptr,
                              0, nullptr, 0, &bytes, nullptr);
    late = CreateFileW(u"\\\\.\\KeepsInitializingLate", GENERIC_READ, 0, nullptr, OPEN_EXISTING, 0, nullptr);
    late_error = GetLastError();
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty()) << lab.findings().front().to_text();
  EXPECT_NE(first, INVALID_HANDLE_VALUE);
  EXPECT_TRUE(created);
  EXPECT_EQ(late, INVALID_HANDLE_VALUE);
  EXPECT_EQ(late_error, RtlNtStatusToDosError(STATUS_NO_SUCH_DEVICE));
}

TEST(UnloadDriver, WaitsForTheLastOpenFileAndRefusesNewOpensMeanwhile) {
  AppLab t({.processors = 2, .seed = 8});
  DWORD reopen_error = 0;
  std::vector<std::string> before_close;
  t.app.run("main", [&] {
    HANDLE device = open_io_test_device(GENERIC_READ);
    Sleep(50);  // the unload is requested meanwhile
    HANDLE again = open_io_test_device(GENERIC_READ);
    reopen_error = again == INVALID_HANDLE_VALUE ? GetLastError() : 0;
    before_close = t.driver_lines();
    CloseHandle(device);
  });
  EXPECT_EQ(t.lab.run_for(std::chrono::milliseconds(10)), RunStatus::TimeElapsed);
  t.lab.unload_driver(*t.driver);
  EXPECT_EQ(lines_with(t.lab.log(), "the unload of 'io_test' is pending").size(), 1u);
  EXPECT_EQ(reopen_error, RtlNtStatusToDosError(STATUS_NO_SUCH_DEVICE));
  EXPECT_EQ(before_close, (std::vector<std::string>{"io_test: create '(null)'"}));
  EXPECT_EQ(t.driver_lines(), (std::vector<std::string>{"io_test: create '(null)'", "io_test: cleanup",
                                                        "io_test: close", "io_test: unload"}));
  EXPECT_TRUE(t.lab.findings().empty());
}

TEST(UnloadDriver, RunsDriverUnloadAtOnceWhenNothingIsOpen) {
  AppLab t;
  t.lab.unload_driver(*t.driver);
  EXPECT_TRUE(lines_with(t.lab.log(), "the unload of").empty());
  EXPECT_EQ(t.driver_lines(), (std::vector<std::string>{"io_test: unload"}));
  EXPECT_FALSE(t.driver->loaded());
}

TEST(DeviceStack, TheTopDeviceDecidesHowReadBuffersArePassed) {
  AppLab t;
  ASSERT_TRUE(t.lab.load_driver(flagless_filter_DriverEntry, "flagless_filter").loaded());
  auto* buffer = t.app.alloc(8);
  BOOL read = FALSE;
  t.run([&] {
    HANDLE device = open_io_test_device(GENERIC_READ);
    DWORD bytes = 0;
    read = ReadFile(device, buffer, 4, &bytes, nullptr);
    CloseHandle(device);
  });
  EXPECT_TRUE(read);
  // io_test's device is DO_BUFFERED_IO, but the filter on top has neither flag: neither I/O.
  EXPECT_EQ(lines_with(t.lab.log(), "flagless:"),
            (std::vector<std::string>{"flagless: read system buffer 0, mdl 0, user buffer 1"}));
  EXPECT_TRUE(t.lab.findings().empty());
}

}  // namespace
}  // namespace wdmlab::test
