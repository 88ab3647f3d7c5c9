// ioctl_methods_client.hpp - what the tests that talk to ioctl_methods (alone or below
// filter_sample) share: its path, a control code it does not know, and the line it logs for
// each device control that reaches it.
#pragma once

#include <wdm.h>

#include <string>

#include "ioctl_methods_public.h"
#include "samples/sample_app.hpp"

namespace wdmlab::test {

inline constexpr const char16_t* kIoctlMethodsPath = u"\\\\.\\IoctlMethods";
inline constexpr DWORD kUnknownControl = CTL_CODE(FILE_DEVICE_IOCTL_METHODS, 0x8FF, METHOD_BUFFERED, FILE_ANY_ACCESS);

// What a DeviceIoControl's *lpBytesReturned holds before the call: kernel32 writes it when the
// request succeeds (or ends with a warning), and leaves it alone when it fails.
inline constexpr DWORD kUntouched = 0xDDDDDDDD;

inline std::string reached(DWORD code, DWORD in_length, DWORD out_length) {
  return "ioctl_methods: device control " + hex(code) + " in " + std::to_string(in_length) + " out " +
         std::to_string(out_length);
}

}  // namespace wdmlab::test
