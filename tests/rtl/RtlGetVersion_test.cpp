// RtlGetVersion.
#include <gtest/gtest.h>

#include "rtl/test_support.hpp"

namespace wdmlab::rtl::test {
namespace {

TEST(RtlGetVersion, ReportsWindows11Build22631) {
  RTL_OSVERSIONINFOW info{};
  info.dwOSVersionInfoSize = sizeof(info);
  info.szCSDVersion[0] = u'X';
  EXPECT_EQ(RtlGetVersion(&info), STATUS_SUCCESS);
  EXPECT_EQ(info.dwMajorVersion, 10u);
  EXPECT_EQ(info.dwMinorVersion, 0u);
  EXPECT_EQ(info.dwBuildNumber, 22631u);
  EXPECT_EQ(info.dwPlatformId, 2u);
  EXPECT_EQ(info.szCSDVersion[0], 0);
}

TEST(RtlGetVersion, FillsTheExtendedStructureWhenItsSizeIsGiven) {
  RTL_OSVERSIONINFOEXW info;
  std::memset(&info, 0xCC, sizeof(info));
  info.dwOSVersionInfoSize = sizeof(info);
  EXPECT_EQ(RtlGetVersion(reinterpret_cast<PRTL_OSVERSIONINFOW>(&info)), STATUS_SUCCESS);
  EXPECT_EQ(info.dwBuildNumber, 22631u);
  EXPECT_EQ(info.wServicePackMajor, 0);
  EXPECT_EQ(info.wServicePackMinor, 0);
  EXPECT_EQ(info.wProductType, 1);  // VER_NT_WORKSTATION
}

TEST(RtlGetVersion, RejectsOtherSizes) {
  RTL_OSVERSIONINFOEXW info{};
  info.dwOSVersionInfoSize = sizeof(RTL_OSVERSIONINFOW) + 4;
  EXPECT_EQ(RtlGetVersion(reinterpret_cast<PRTL_OSVERSIONINFOW>(&info)), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(info.dwMajorVersion, 0u);
}

}  // namespace
}  // namespace wdmlab::rtl::test
