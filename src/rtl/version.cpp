// RtlGetVersion (declared in wdk/rtl.h): the lab is Windows 11 version 23H2 (10.0.22631), a
// workstation without service packs.
#include <cstring>

#include <ntdef.h>
#include <ntstatus.h>
#include <wdk/rtl.h>

#include "sched/scheduler.hpp"

namespace wdmlab::rtl {

inline constexpr ULONG kMajorVersion = 10;
inline constexpr ULONG kMinorVersion = 0;
inline constexpr ULONG kBuildNumber = 22631;
inline constexpr ULONG kPlatformId = 2;       // VER_PLATFORM_WIN32_NT
inline constexpr USHORT kSuiteMask = 0x0100;  // VER_SUITE_SINGLEUSERTS
inline constexpr UCHAR kProductType = 1;      // VER_NT_WORKSTATION

// Fills an RTL_OSVERSIONINFOW, or an RTL_OSVERSIONINFOEXW when dwOSVersionInfoSize says so; any
// other size is STATUS_INVALID_PARAMETER.
NTSTATUS get_version(PRTL_OSVERSIONINFOW info) {
  const ULONG size = info->dwOSVersionInfoSize;
  if (size != sizeof(RTL_OSVERSIONINFOW) && size != sizeof(RTL_OSVERSIONINFOEXW)) return STATUS_INVALID_PARAMETER;
  info->dwMajorVersion = kMajorVersion;
  info->dwMinorVersion = kMinorVersion;
  info->dwBuildNumber = kBuildNumber;
  info->dwPlatformId = kPlatformId;
  std::memset(info->szCSDVersion, 0, sizeof(info->szCSDVersion));
  if (size == sizeof(RTL_OSVERSIONINFOEXW)) {
    auto* extended = reinterpret_cast<PRTL_OSVERSIONINFOEXW>(info);
    extended->wServicePackMajor = 0;
    extended->wServicePackMinor = 0;
    extended->wSuiteMask = kSuiteMask;
    extended->wProductType = kProductType;
    extended->wReserved = 0;
  }
  return STATUS_SUCCESS;
}

}  // namespace wdmlab::rtl

extern "C" NTSTATUS NTAPI RtlGetVersion(PRTL_OSVERSIONINFOW lpVersionInformation) {
  wdmlab::sched::scheduling_point();
  if (lpVersionInformation == nullptr) return STATUS_INVALID_PARAMETER;
  return wdmlab::rtl::get_version(lpVersionInformation);
}
