// race_apps.hpp - the applications that drive the corpus's race drivers (samples/buggy/race_*.c):
// each starts the threads of app.exe that race, with nothing to line them up (no Sleep), so the
// schedule alone decides whether the bug shows. The golden tests (tests/corpus/race_*_test.cpp)
// play them on a machine with a seed that shows the bug; the exploration tests
// (tests/corpus/races/race_*_race.cpp) run them under many schedules.
//
// The threads assert nothing: in a schedule that shows the bug the machine stops under them, and
// in a clean one each request ends one of the ways the driver allows.
#pragma once

#include <wdm.h>

#include <cstring>

#include "wdmlab/explore.hpp"
#include "wdmlab/lab.hpp"
#include "wdmlab/user.hpp"
#include "wdmlab/win32.hpp"

namespace wdmlab::test {

inline HANDLE open_shared(const char16_t* path, DWORD flags) {
  return win32::CreateFileW(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                            OPEN_EXISTING, flags, nullptr);
}

// A thread that opens `path` and writes `text` (synchronously), then closes its handle.
inline void start_writer(UserProcess& app, const char16_t* path, const char* text) {
  auto* bytes = static_cast<char*>(app.alloc(16));
  std::strncpy(bytes, text, 15);
  app.run("writer", [path, bytes] {
    HANDLE device = open_shared(path, 0);
    DWORD written = 0;
    win32::WriteFile(device, bytes, static_cast<DWORD>(std::strlen(bytes)), &written, nullptr);
    win32::CloseHandle(device);
  });
}

// "reader" starts an overlapped read of `path` and closes its handle; "writer" writes on a handle
// of its own.
inline void start_read_close_and_write(UserProcess& app, const char16_t* path) {
  auto* buffer = static_cast<char*>(app.alloc(16));
  auto* overlapped = app.alloc_array<OVERLAPPED>(1);
  app.run("reader", [path, buffer, overlapped] {
    HANDLE device = open_shared(path, FILE_FLAG_OVERLAPPED);
    win32::ReadFile(device, buffer, 8, nullptr, overlapped);
    win32::CloseHandle(device);
  });
  start_writer(app, path, "data");
}

// race_cleanup_vs_dpc: the reader's IRP_MJ_CLEANUP completes its read if it still waits; the
// write's DPC hands the data to the waiting read.
inline void start_cleanup_vs_dpc(UserProcess& app) { start_read_close_and_write(app, u"\\\\.\\RaceCleanupVsDpc"); }

// race_csq_hand_rolled: "reader" starts an overlapped read, cancels it (CancelIo), waits for it
// and closes its handle; "writer" writes on a handle of its own (completing the queued read).
inline void start_csq_hand_rolled(UserProcess& app) {
  auto* buffer = static_cast<char*>(app.alloc(16));
  auto* overlapped = app.alloc_array<OVERLAPPED>(1);
  auto* bytes = app.alloc_array<DWORD>(1);
  app.run("reader", [buffer, overlapped, bytes] {
    HANDLE device = open_shared(u"\\\\.\\RaceCsqHandRolled", FILE_FLAG_OVERLAPPED);
    win32::ReadFile(device, buffer, 8, nullptr, overlapped);
    win32::CancelIo(device);
    win32::GetOverlappedResult(device, overlapped, bytes, TRUE);
    win32::CloseHandle(device);
  });
  start_writer(app, u"\\\\.\\RaceCsqHandRolled", "data");
}

// race_marking_queued_irps: the write completes the queued read; the reader's IRP_MJ_CLEANUP
// completes it if it is still queued.
inline void start_marking_queued_irps(UserProcess& app) {
  start_read_close_and_write(app, u"\\\\.\\RaceMarkingQueuedIrps");
}

// race_double_release: "app" starts a transfer and cancels it; "device" reports it complete, on a
// handle of its own. Each request is a synchronous device control.
inline void start_double_release(UserProcess& app) {
  constexpr DWORD kStart = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);
  constexpr DWORD kComplete = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS);
  constexpr DWORD kCancel = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_BUFFERED, FILE_ANY_ACCESS);
  auto* returned = app.alloc_array<DWORD>(2);
  app.run("app", [returned] {
    HANDLE device = open_shared(u"\\\\.\\RaceDoubleRelease", 0);
    win32::DeviceIoControl(device, kStart, nullptr, 0, nullptr, 0, &returned[0], nullptr);
    win32::DeviceIoControl(device, kCancel, nullptr, 0, nullptr, 0, &returned[0], nullptr);
    win32::CloseHandle(device);
  });
  app.run("device", [returned] {
    HANDLE device = open_shared(u"\\\\.\\RaceDoubleRelease", 0);
    win32::DeviceIoControl(device, kComplete, nullptr, 0, nullptr, 0, &returned[1], nullptr);
    win32::CloseHandle(device);
  });
}

// The scenario an exploration runs: loads `image` and starts its application.
inline Scenario race_scenario(const char* image, void (*start)(UserProcess&)) {
  return [image, start](Lab& lab) {
    lab.load_driver(image);
    start(lab.create_process("app.exe"));
  };
}

}  // namespace wdmlab::test
