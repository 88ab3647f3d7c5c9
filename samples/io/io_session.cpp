// io_session - a short application session against the I/O samples, printed as it happens.
//
// Loads ioctl_methods, filter_sample (attached above it) and startio_rw into one lab with two
// simulated processors, then runs app.exe: it opens the devices the way a Windows program does,
// sends one control code per buffering method, shows what a read-only handle may not do, queues
// overlapped writes and reads through StartIo, asks the filter what it saw, and exits, which
// closes its handles. Each Win32 call is printed with its result, then the drivers' debug output
// and the findings (none are expected). Exit status 0 when the session ran with no findings.
//
//   build/default/bin/io_session [--seed N]
#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "wdmlab/lab.hpp"
#include "wdmlab/win32.hpp"

extern "C" {
#include "filter_sample_public.h"
#include "ioctl_methods_public.h"
#include "startio_rw_public.h"
}

namespace {

using namespace wdmlab::win32;

std::string hex(const void* data, std::size_t bytes) {
  std::string text;
  for (std::size_t i = 0; i < bytes; ++i) text += fmt::format("{:02x}", static_cast<const unsigned char*>(data)[i]);
  return text;
}

std::string_view error_name(DWORD error) {
  switch (error) {
    case ERROR_ACCESS_DENIED: return "ERROR_ACCESS_DENIED";
    case ERROR_INVALID_PARAMETER: return "ERROR_INVALID_PARAMETER";
    case ERROR_INSUFFICIENT_BUFFER: return "ERROR_INSUFFICIENT_BUFFER";
    case ERROR_NOACCESS: return "ERROR_NOACCESS";
    case ERROR_IO_PENDING: return "ERROR_IO_PENDING";
    case ERROR_INVALID_FUNCTION: return "ERROR_INVALID_FUNCTION";
    default: return "";
  }
}

// One line per call: what was called, TRUE/FALSE, bytes and the last error when it failed.
void report(std::string_view call, BOOL result, DWORD bytes) {
  if (result) {
    fmt::print("  {:<58} TRUE   {} byte(s)\n", call, bytes);
  } else {
    const DWORD error = GetLastError();
    fmt::print("  {:<58} FALSE  error {} {}\n", call, error, error_name(error));
  }
}

void session(wdmlab::UserProcess& app) {
  auto* in = static_cast<char*>(app.alloc(64));
  auto* out = static_cast<char*>(app.alloc(64));
  auto* overlapped = app.alloc_array<OVERLAPPED>(4);
  DWORD bytes = 0;

  fmt::print("app.exe: open \\\\.\\IoctlMethods (the filter is on top of it)\n");
  HANDLE device = CreateFileW(u"\\\\.\\IoctlMethods", GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0,
                              nullptr);
  fmt::print("  CreateFileW -> {}\n", device == INVALID_HANDLE_VALUE ? "INVALID_HANDLE_VALUE" : "a handle");

  std::memcpy(in, "wdmlab", 6);
  BOOL ok = DeviceIoControl(device, IOCTL_METHODS_REVERSE, in, 6, out, 64, &bytes, nullptr);
  report("DeviceIoControl(REVERSE \"wdmlab\", METHOD_BUFFERED)", ok, bytes);
  if (ok) fmt::print("    output \"{}\"\n", std::string_view(out, bytes));

  ok = DeviceIoControl(device, IOCTL_METHODS_REVERSE, in, 6, out, 2, &bytes, nullptr);
  report("DeviceIoControl(REVERSE, output of 2 bytes)", ok, bytes);

  auto* pattern = reinterpret_cast<IOCTL_METHODS_FILL_PATTERN*>(in);
  pattern->First = 0x10;
  pattern->Step = 3;
  ok = DeviceIoControl(device, IOCTL_METHODS_FILL, in, sizeof(*pattern), out, 8, &bytes, nullptr);
  report("DeviceIoControl(FILL 0x10 step 3, METHOD_OUT_DIRECT)", ok, bytes);
  if (ok) fmt::print("    output {}\n", hex(out, bytes));

  std::memcpy(in, "neither", 7);
  ok = DeviceIoControl(device, IOCTL_METHODS_UPPERCASE, in, 7, out, 64, &bytes, nullptr);
  report("DeviceIoControl(UPPERCASE \"neither\", METHOD_NEITHER)", ok, bytes);
  if (ok) fmt::print("    output \"{}\"\n", std::string_view(out, bytes));

  ok = DeviceIoControl(device, IOCTL_METHODS_UPPERCASE, app.invalid_address(), 7, out, 64, &bytes, nullptr);
  report("DeviceIoControl(UPPERCASE, input at an invalid address)", ok, bytes);

  fmt::print("app.exe: open it again read-only\n");
  HANDLE reader = CreateFileW(u"\\\\.\\IoctlMethods", GENERIC_READ, 0, nullptr, OPEN_EXISTING, 0, nullptr);
  LONG value = 42;
  std::memcpy(in, &value, sizeof(value));
  ok = DeviceIoControl(reader, IOCTL_METHODS_SET_VALUE, in, sizeof(value), nullptr, 0, &bytes, nullptr);
  report("DeviceIoControl(SET_VALUE 42) on the read-only handle", ok, bytes);
  ok = DeviceIoControl(device, IOCTL_METHODS_SET_VALUE, in, sizeof(value), nullptr, 0, &bytes, nullptr);
  report("DeviceIoControl(SET_VALUE 42) on the read-write handle", ok, bytes);
  ok = DeviceIoControl(reader, IOCTL_METHODS_GET_VALUE, nullptr, 0, out, sizeof(LONG), &bytes, nullptr);
  report("DeviceIoControl(GET_VALUE) on the read-only handle", ok, bytes);
  if (ok) {
    std::memcpy(&value, out, sizeof(value));
    fmt::print("    value {}\n", value);
  }

  fmt::print("app.exe: overlapped writes and reads through StartIo (\\\\.\\StartIoRw)\n");
  HANDLE store = CreateFileW(u"\\\\.\\StartIoRw", GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                             FILE_FLAG_OVERLAPPED, nullptr);
  const char* words[] = {"first ", "second ", "third"};
  for (int i = 0; i < 3; ++i) {
    overlapped[i].hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    char* text = static_cast<char*>(app.alloc(16));
    std::strcpy(text, words[i]);
    ok = WriteFile(store, text, static_cast<DWORD>(std::strlen(text)), nullptr, &overlapped[i]);
    report(fmt::format("WriteFile(\"{}\", OVERLAPPED #{})", words[i], i), ok, 0);
  }
  for (int i = 0; i < 3; ++i) {
    ok = GetOverlappedResult(store, &overlapped[i], &bytes, TRUE);
    report(fmt::format("GetOverlappedResult(#{}, wait)", i), ok, bytes);
    CloseHandle(overlapped[i].hEvent);
  }
  overlapped[3].hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  ok = ReadFile(store, out, 64, nullptr, &overlapped[3]);
  report("ReadFile(64 bytes, OVERLAPPED)", ok, 0);
  const DWORD waited = WaitForSingleObject(overlapped[3].hEvent, INFINITE);
  fmt::print("  {:<58} {}\n", "WaitForSingleObject(its event)", waited == WAIT_OBJECT_0 ? "WAIT_OBJECT_0" : "?");
  ok = GetOverlappedResult(store, &overlapped[3], &bytes, FALSE);
  report("GetOverlappedResult(#3)", ok, bytes);
  if (ok) fmt::print("    data \"{}\"\n", std::string_view(out, bytes));

  fmt::print("app.exe: ask the filter what it saw\n");
  ok = DeviceIoControl(device, IOCTL_FILTER_SAMPLE_GET_STATS, nullptr, 0, out, sizeof(FILTER_SAMPLE_STATS), &bytes,
                       nullptr);
  report("DeviceIoControl(GET_STATS)", ok, bytes);
  if (ok) {
    FILTER_SAMPLE_STATS stats;
    std::memcpy(&stats, out, sizeof(stats));
    fmt::print("    passed down {}, controls sent {}, completed {} (pending {}), last status 0x{:08X}\n",
               stats.PassedDown, stats.ControlsSent, stats.ControlsCompleted, stats.PendingReturned,
               static_cast<std::uint32_t>(stats.LastStatus));
  }
  fmt::print("app.exe: exits without closing its handles\n");
  ExitProcess(0);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t seed = 1;
  if (argc == 3 && std::string_view(argv[1]) == "--seed") {
    seed = std::strtoull(argv[2], nullptr, 10);
  } else if (argc != 1) {
    fmt::print(stderr, "usage: io_session [--seed N]\n");
    return 2;
  }
  wdmlab::Lab lab({.processors = 2, .seed = seed});
  fmt::print("io_session: 2 simulated processors, seed {}\n", seed);
  for (const char* image : {IOCTL_METHODS_IMAGE, FILTER_SAMPLE_IMAGE, STARTIO_RW_IMAGE}) {
    const wdmlab::LoadedDriver& driver = lab.load_driver(std::filesystem::path(image));
    fmt::print("loaded {} (DriverEntry 0x{:08X})\n", driver.name, static_cast<std::uint32_t>(driver.entry_status));
    if (!driver.loaded()) return 1;
  }
  wdmlab::UserProcess& app = lab.create_process("app.exe");
  app.run("main", [&app] { session(app); });
  const wdmlab::RunStatus status = lab.run_until_idle();
  fmt::print("app.exe exited with code {}; the lab is {}\n", app.exited() ? app.exit_code() : 0xFFFFFFFFu,
             status == wdmlab::RunStatus::Idle ? "idle" : "stopped");
  fmt::print("driver output:\n");
  for (const wdmlab::LogRecord& record : lab.log().records()) {
    if (record.driver.empty()) continue;
    fmt::print("  [{:>8.3f} ms] P{} {:<12} {}\n", static_cast<double>(record.virtual_time) / 10'000.0,
               record.processor < 0 ? std::string("-") : std::to_string(record.processor), record.driver, record.text);
  }
  const auto& findings = lab.findings();
  fmt::print("{} finding(s)\n", findings.size());
  for (const wdmlab::Finding& finding : findings) fmt::print("\n{}", finding.to_text());
  return findings.empty() && status == wdmlab::RunStatus::Idle ? 0 : 1;
}
