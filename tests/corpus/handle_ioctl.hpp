// handle_ioctl.hpp - the scenario user_handle_kernel_mode and null_handle share: the application
// passes an event handle (or NULL) to the driver in a buffered IOCTL.
#pragma once

#include <wdm.h>

#include "corpus/corpus_test.hpp"

namespace wdmlab::test {

inline constexpr DWORD kRegister = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);

// The application passes `event` (a new event when `null_handle` is false, else NULL) to `device`.
inline Outcome register_event(const char* image, const char16_t* device_path, bool null_handle,
                              VerifierOptions verifier = {}, const Machine& machine = kGoldenMachine) {
  return play(
      machine, image,
      [=](Lab&, UserProcess& app) {
        auto* handle = app.alloc_array<HANDLE>(1);
        app.run("main", [=] {
          using namespace wdmlab::win32;
          const HANDLE device = open_device(device_path, 0);
          ASSERT_NE(device, INVALID_HANDLE_VALUE);
          *handle = null_handle ? nullptr : CreateEventW(nullptr, TRUE, FALSE, nullptr);
          DWORD bytes = 0;
          DeviceIoControl(device, kRegister, handle, sizeof(HANDLE), nullptr, 0, &bytes, nullptr);
          CloseHandle(device);
        });
      },
      verifier);
}

}  // namespace wdmlab::test
