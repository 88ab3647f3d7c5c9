// A C++ driver compiled with the driver flags (gnu++17, -fshort-wchar, -fms-extensions).
#include <gtest/gtest.h>

#include "wdmlab/lab.hpp"

extern "C" {
DRIVER_INITIALIZE cpp_driver_DriverEntry;
extern ULONG cpp_driver_count;
extern KIRQL cpp_driver_irql_inside_lock;
extern NTSTATUS cpp_driver_probe_status;
extern USHORT cpp_driver_name_length;
}

namespace wdmlab {
namespace {

TEST(CppDriver, RunsWithRaiiLocksAndSeh) {
  Lab lab({.processors = 2, .seed = 5});
  LoadedDriver& driver = lab.load_driver(cpp_driver_DriverEntry, "cpp_driver");
  EXPECT_EQ(driver.entry_status, STATUS_SUCCESS);
  EXPECT_EQ(cpp_driver_count, 2u);
  EXPECT_EQ(cpp_driver_irql_inside_lock, DISPATCH_LEVEL);
  EXPECT_EQ(cpp_driver_probe_status, STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(cpp_driver_name_length, 10u * 2u);  // 16-bit WCHARs: L"cpp_driver"
  EXPECT_TRUE(lab.findings().empty());
}

}  // namespace
}  // namespace wdmlab
