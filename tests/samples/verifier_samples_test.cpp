// The correct samples under Driver Verifier: each runs an application session on many seeds with
// the standard option set (0x209BB), and on fewer seeds with every option the lab has (the
// stresses included: low resources simulation, force pending, IRP logging), and must end with no
// finding at all and a clean unload. A correct driver handles a failed allocation or a request
// that pends; the verifier must not call it wrong.
#include <gtest/gtest.h>
#include <wdm.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "wdmlab/explore.hpp"
#include "wdmlab/lab.hpp"
#include "wdmlab/user.hpp"
#include "wdmlab/verifier.hpp"
#include "wdmlab/win32.hpp"

extern "C" {
#include "filter_sample_public.h"
#include "ioctl_methods_public.h"
#include "startio_rw_public.h"
}

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

// Every option the lab has, except KASAN (which needs a driver built with AddressSanitizer).
constexpr std::uint32_t kEveryOption = kVerifierKnownFlags & ~kVerifierKasan;

extern "C" DRIVER_INITIALIZE timer_worker_DriverEntry;
extern "C" DRIVER_INITIALIZE user_probe_DriverEntry;

// A driver image by path, or a driver linked into the test by its entry point.
struct Driver {
  const char* image = nullptr;
  PDRIVER_INITIALIZE entry = nullptr;
  const char* name = nullptr;
};

// One session: drivers loaded in order, an application run, the drivers unloaded in reverse.
struct Session {
  const char* name;
  std::vector<Driver> drivers;
  std::chrono::milliseconds run_for{0};  // virtual time to let pass after loading
  std::function<void(UserProcess&)> application;
  std::vector<std::string> evidence;  // log text that shows the session ran (without failure injection)
};

// The device controls of the session: every transfer method of ioctl_methods, through the filter.
void ioctl_part(UserProcess& app) {
  auto* in = static_cast<char*>(app.alloc(64));
  auto* out = static_cast<char*>(app.alloc(64));
  DWORD bytes = 0;
  HANDLE device = CreateFileW(u"\\\\.\\IoctlMethods", GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0,
                              nullptr);
  if (device != INVALID_HANDLE_VALUE) {
    std::memcpy(in, "wdmlab", 6);
    DeviceIoControl(device, IOCTL_METHODS_REVERSE, in, 6, out, 64, &bytes, nullptr);
    auto* pattern = reinterpret_cast<IOCTL_METHODS_FILL_PATTERN*>(in);
    pattern->First = 1;
    pattern->Step = 2;
    DeviceIoControl(device, IOCTL_METHODS_FILL, in, sizeof(*pattern), out, 8, &bytes, nullptr);
    std::memcpy(in, "neither", 7);
    DeviceIoControl(device, IOCTL_METHODS_UPPERCASE, in, 7, out, 64, &bytes, nullptr);
    DeviceIoControl(device, IOCTL_METHODS_UPPERCASE, app.invalid_address(), 7, out, 64, &bytes, nullptr);
    LONG value = 42;
    std::memcpy(in, &value, sizeof(value));
    DeviceIoControl(device, IOCTL_METHODS_SET_VALUE, in, sizeof(value), nullptr, 0, &bytes, nullptr);
    DeviceIoControl(device, IOCTL_METHODS_GET_VALUE, nullptr, 0, out, sizeof(LONG), &bytes, nullptr);
    DeviceIoControl(device, IOCTL_FILTER_SAMPLE_GET_STATS, nullptr, 0, out, sizeof(FILTER_SAMPLE_STATS), &bytes,
                    nullptr);
    CloseHandle(device);
  }
}

// The storage part: three queued writes and a read cancelled on startio_rw.
void startio_part(UserProcess& app) {
  auto* out = static_cast<char*>(app.alloc(64));
  auto* overlapped = app.alloc_array<OVERLAPPED>(4);
  DWORD bytes = 0;
  HANDLE store =
      CreateFileW(u"\\\\.\\StartIoRw", GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, FILE_FLAG_OVERLAPPED,
                  nullptr);
  if (store == INVALID_HANDLE_VALUE) return;
  const char* words[] = {"first ", "second ", "third"};
  for (int i = 0; i < 3; ++i) {
    overlapped[i].hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    char* text = static_cast<char*>(app.alloc(16));
    std::strcpy(text, words[i]);
    WriteFile(store, text, static_cast<DWORD>(std::strlen(text)), nullptr, &overlapped[i]);
  }
  overlapped[3].hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  ReadFile(store, out, 64, nullptr, &overlapped[3]);
  CancelIoEx(store, &overlapped[3]);
  for (int i = 0; i < 4; ++i) {
    GetOverlappedResult(store, &overlapped[i], &bytes, TRUE);
    CloseHandle(overlapped[i].hEvent);
  }
  CloseHandle(store);
}

void ioctl_and_startio_session(UserProcess& app) {
  ioctl_part(app);
  startio_part(app);
}

// The same two parts at once, from two threads of app.exe.
void concurrent_io_session(UserProcess& app) {
  app.run("controls", [&app] { ioctl_part(app); });
  startio_part(app);
}

std::vector<Session> sessions() {
  return {
      {"timer_worker", {{.entry = timer_worker_DriverEntry, .name = "timer_worker"}}, std::chrono::milliseconds(100),
       nullptr, {"timer_worker: round 1 done", "timer_worker: unloaded"}},
      {"user_probe", {{.entry = user_probe_DriverEntry, .name = "user_probe"}}, std::chrono::milliseconds(0), nullptr,
       {"user_probe: reading user address 0x1000 gave status c0000005"}},
      {"io_samples",
       {{.image = IOCTL_METHODS_IMAGE}, {.image = FILTER_SAMPLE_IMAGE}, {.image = STARTIO_RW_IMAGE}},
       std::chrono::milliseconds(0),
       ioctl_and_startio_session,
       {"ioctl_methods: device control", "startio_rw: done write of 6 bytes", "startio_rw: unloaded"}},
      {"io_samples_concurrent",
       {{.image = IOCTL_METHODS_IMAGE}, {.image = FILTER_SAMPLE_IMAGE}, {.image = STARTIO_RW_IMAGE}},
       std::chrono::milliseconds(0),
       concurrent_io_session,
       {"ioctl_methods: device control", "startio_rw: done write of 6 bytes", "startio_rw: unloaded"}},
  };
}

// Plays the session on `lab`: loads its drivers, lets time pass, runs its application until the
// lab is idle, unloads the drivers. Returns "" or what went wrong besides the lab's findings.
std::string play_session(Lab& lab, const Session& session) {
  std::vector<LoadedDriver*> loaded;
  for (const Driver& image : session.drivers) {
    LoadedDriver& driver = image.image != nullptr ? lab.load_driver(std::filesystem::path(image.image))
                                                  : lab.load_driver(image.entry, image.name);
    if (driver.loaded()) loaded.push_back(&driver);
  }
  if (session.run_for.count() > 0) lab.run_for(session.run_for);
  if (session.application) {
    UserProcess& app = lab.create_process("app.exe");
    app.run("main", [&] { session.application(app); });
    if (lab.run_until_idle() != RunStatus::Idle && lab.findings().empty()) return "the session did not end";
  }
  for (auto it = loaded.rbegin(); it != loaded.rend(); ++it) lab.unload_driver(**it);
  return {};
}

// Runs the session on a fresh lab; returns "" or what went wrong.
std::string run_session(const Session& session, unsigned processors, std::uint64_t seed, std::uint32_t flags) {
  LabOptions options{.processors = processors, .seed = seed};
  options.verifier.flags = flags;
  Lab lab(options);
  std::string failure = play_session(lab, session);
  for (const Finding& finding : lab.findings()) failure += "\n" + finding.to_text();
  const bool injects_failures = (flags & (kVerifierLowResources | kVerifierSystematicLowResources)) != 0;
  for (const std::string& text : session.evidence) {
    if (!injects_failures && !lab.log().contains(text)) failure += "\nthe log lacks \"" + text + "\"";
  }
  return failure;
}

// Every interleaving of the session with at most two preemptions, on two processors under the
// standard set, ends with no finding and with the session's evidence in the log. The number of
// interleavings is asserted (in order: timer_worker, user_probe, io_samples, io_samples_concurrent): a change to a
// sample, the kernel model or the explorer that changes the space shows up here.
TEST(BoundedSampleSearch, EveryInterleavingWithTwoPreemptionsOfEverySessionEndsCleanly) {
  const std::vector<std::uint64_t> interleavings = {20, 1, 1, 6865};
  const std::vector<Session> all = sessions();
  for (std::size_t i = 0; i < all.size(); ++i) {
    const Session& session = all[i];
    ExploreOptions options{.schedules = 1'000'000, .strategy = bounded(2), .stop_at_first = false};
    options.picture = false;
    auto failure = std::make_shared<std::string>();
    options.check = [&session, failure](Lab& lab) {
      std::string wrong = *failure;
      for (const std::string& text : session.evidence) {
        if (!lab.log().contains(text)) wrong += "the log lacks \"" + text + "\"; ";
      }
      return wrong;
    };
    const ExploreResult result = explore([&session, failure](Lab& lab) { *failure = play_session(lab, session); },
                                         options);
    EXPECT_TRUE(result.findings.empty()) << session.name << "\n" << result.report();
    EXPECT_TRUE(result.exhausted) << session.name;
    EXPECT_EQ(result.schedules, result.distinct_interleavings) << session.name;
    EXPECT_EQ(result.schedules, interleavings[i]) << session.name;
  }
}

struct Case {
  std::uint32_t flags;
  unsigned processors;
  std::uint64_t seeds;
};

class VerifiedSampleTest : public ::testing::TestWithParam<Case> {};

TEST_P(VerifiedSampleTest, EveryCorrectSampleEndsWithNoFindingOnEverySeed) {
  const Case& run = GetParam();
  for (const Session& session : sessions()) {
    for (std::uint64_t seed = 1; seed <= run.seeds; ++seed) {
      const std::string failure = run_session(session, run.processors, seed, run.flags);
      ASSERT_TRUE(failure.empty()) << session.name << ", verifier " << describe_verifier_flags(run.flags) << ", "
                                   << run.processors << " processors, seed " << seed << ":" << failure;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Standard, VerifiedSampleTest,
                         ::testing::Values(Case{kVerifierStandardFlags, 2, 1000},
                                           Case{kVerifierStandardFlags, 4, 1000}));
INSTANTIATE_TEST_SUITE_P(EveryOption, VerifiedSampleTest, ::testing::Values(Case{kEveryOption, 2, 200}));

}  // namespace
}  // namespace wdmlab::test
