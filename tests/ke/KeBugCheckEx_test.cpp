// KeBugCheckEx / KeBugCheck: the run stops with exactly the code and parameters given, named from
// bugcodes.h, and charged to the driver whose code called it.
#include <gtest/gtest.h>

#include "ke/driver_scenario.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(KeBugCheckEx, StopsWithTheCodeAndParametersGiven) {
  bool returned = false;
  Lab lab({.processors = 2, .seed = 1});
  lab.spawn("crasher", [&] {
    KeBugCheckEx(MANUALLY_INITIATED_CRASH, 0x11, 0x2222, 0x333333, 0x4444444444ULL);
    returned = true;
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  EXPECT_TRUE(lab.stopped());
  const Finding finding = stop_finding(lab);
  EXPECT_FALSE(returned);
  EXPECT_EQ(finding.code, MANUALLY_INITIATED_CRASH);
  EXPECT_EQ(finding.name, "MANUALLY_INITIATED_CRASH");
  EXPECT_EQ(finding.parameters, (std::array<std::uint64_t, 4>{0x11, 0x2222, 0x333333, 0x4444444444ULL}));
  EXPECT_EQ(finding.severity, Severity::Fatal);
  EXPECT_EQ(finding.context.name, "crasher");
  EXPECT_TRUE(finding.driver.empty()) << "test code is no driver";
}

TEST(KeBugCheck, StopsWithTheCodeAndZeroParameters) {
  const Finding finding = bug_check_of([] { KeBugCheck(0xDEADu); });
  EXPECT_EQ(finding.code, 0xDEADu);
  EXPECT_EQ(finding.parameters, (std::array<std::uint64_t, 4>{0, 0, 0, 0}));
}

TEST(KeBugCheckEx, CalledByADriverNamesTheDriver) {
  Lab lab({.processors = 2, .seed = 1});
  EXPECT_FALSE(run_in_driver(lab, [] { KtdBugCheck(0xE2, 1, 2, 3, 4); }));
  const Finding finding = stop_finding(lab);
  EXPECT_EQ(finding.code, 0xE2u);
  EXPECT_EQ(finding.parameters, (std::array<std::uint64_t, 4>{1, 2, 3, 4}));
  EXPECT_EQ(finding.driver, kTestDriverName);
  ASSERT_NE(finding.culprit_frame(), nullptr);
  EXPECT_EQ(finding.culprit_frame()->function, "KtdBugCheck");
}

TEST(KeBugCheckEx, InAThreadTheDriverCreatedNamesTheDriver) {
  Lab lab({.processors = 2, .seed = 2});
  // The thread may crash before or after DriverEntry returns; either way the lab stops.
  run_in_driver(lab, [] {
    HANDLE thread;
    PsCreateSystemThread(
        &thread, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr, [](PVOID) { KtdBugCheck(0xE2, 9, 0, 0, 0); }, nullptr);
    ZwClose(thread);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding finding = stop_finding(lab);
  EXPECT_EQ(finding.code, 0xE2u);
  EXPECT_EQ(finding.parameters[0], 9u);
  EXPECT_EQ(finding.driver, kTestDriverName);
}

}  // namespace
}  // namespace wdmlab::test
