// The cancellation samples under races: for each driver and for 2 and 4 processors, a thousand
// seeds, each a fresh lab running one application whose threads read, write, arm the timer,
// cancel and close on one handle at seed-dependent moments; at the end the canceller cancels what
// is left, or closes the handle with reads pending. Every run must end with no findings,
// every read completed exactly once (with a write's bytes, empty by the timer, or aborted), the
// bytes received equal to the bytes the writes report delivered, and the driver unloading.
#include <gtest/gtest.h>
#include <wdm.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "samples/cancel_sample.hpp"
#include "samples/sample_app.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr std::uint64_t kSeeds = 1000;
constexpr std::size_t kReads = 4;
constexpr DWORD kReadLength = 16;
constexpr std::size_t kWrites = 3;
constexpr DWORD kWriteLength = 8;  // shorter than a read: a delivered write arrives whole

// What one run does when, drawn from its seed. Times are milliseconds of virtual time.
struct StressPlan {
  DWORD read_gap;      // between the reader's reads
  DWORD writer_start;  // before the first write
  DWORD write_gap;     // between writes
  DWORD timer;         // 0: the timer is not armed; otherwise armed for this long at the start
  DWORD cancel_at;     // how long after 1 ms (and arming the timer) the canceller calls CancelIoEx
  int cancel_target;   // the read whose OVERLAPPED it names, or -1 for every request on the handle
  bool close_pending;  // the end: close with reads pending (cleanup ends them), or cancel all, then close
};

std::uint64_t mix(std::uint64_t value) {  // splitmix64's finaliser
  value += 0x9E3779B97F4A7C15ull;
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ull;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBull;
  return value ^ (value >> 31);
}

StressPlan plan_for(std::uint64_t seed) {
  std::uint64_t bits = mix(seed);
  const auto take = [&bits](std::uint64_t range) {
    const auto value = static_cast<DWORD>(bits % range);
    bits /= range;
    return value;
  };
  StressPlan plan{};
  plan.read_gap = take(2);
  plan.writer_start = 1 + take(3);
  plan.write_gap = take(2);
  plan.timer = take(4) == 0 ? 1 + take(3) : 0;
  plan.cancel_at = take(4);
  plan.cancel_target = static_cast<int>(take(kReads + 1)) - 1;
  plan.close_pending = take(2) == 0;
  return plan;
}

// What the application saw; filled in by its threads.
struct StressResults {
  HANDLE device = INVALID_HANDLE_VALUE;
  bool reads_issued = false;
  bool writes_done = false;
  bool reads_done = false;
  std::array<BOOL, kReads> read_started{};  // ReadFile's return value
  std::array<DWORD, kReads> read_start_error{};
  std::array<BOOL, kReads> read_ok{};
  std::array<DWORD, kReads> read_error{};
  std::array<DWORD, kReads> read_bytes{};
  std::array<BOOL, kWrites> write_ok{};
  std::array<DWORD, kWrites> write_bytes{};
  BOOL timer_ok = TRUE;
  BOOL cancel_ok = FALSE;
  DWORD cancel_error = ERROR_SUCCESS;
};

// The number between `prefix` and `suffix`, if `line` is prefix, number, suffix.
bool count_after(std::string_view line, std::string_view prefix, std::string_view suffix, long* count) {
  if (line.rfind(prefix, 0) != 0 || line.size() < prefix.size() + suffix.size() ||
      line.substr(line.size() - suffix.size()) != suffix) {
    return false;
  }
  *count = std::stol(std::string(line.substr(prefix.size(), line.size() - prefix.size() - suffix.size())));
  return true;
}

// How many reads the driver says it completed, from its log: by a write, by the timer, by the
// cancel routine, by cleanup, or refused after cleanup.
long reads_completed_by_the_driver(const Lab& lab, const CancelSample& sample) {
  const std::string prefix = std::string(sample.name) + ": ";
  long completed = 0;
  for (const std::string& line : lines_with(lab.log(), prefix)) {
    long count = 0;
    if (line == prefix + "read cancelled" || line.find(" delivered") != std::string::npos ||
        line.rfind(prefix + "read refused", 0) == 0) {
      ++completed;
    } else if (count_after(line, prefix + "timer expired: ", " reads completed", &count) ||
               count_after(line, prefix + "cleanup: ", " reads cancelled", &count)) {
      completed += count;
    }
  }
  return completed;
}

// One run on a fresh lab; returns what went wrong, or an empty string.
std::string run_once(const CancelSample& sample, unsigned processors, std::uint64_t seed) {
  Lab lab({.processors = processors, .seed = seed});
  LoadedDriver& driver = lab.load_driver(sample.image);
  if (!driver.loaded()) return "DriverEntry failed";
  UserProcess& app = lab.create_process("stress.exe");
  const StressPlan plan = plan_for(seed);

  auto* read_buffers = static_cast<char*>(app.alloc(kReads * kReadLength));
  auto* reads = app.alloc_array<OVERLAPPED>(kReads);
  auto* write_buffers = static_cast<char*>(app.alloc(kWrites * kWriteLength));
  auto* writes = app.alloc_array<OVERLAPPED>(kWrites);
  auto* timer = app.alloc_array<ULONG>(1);
  *timer = plan.timer;
  std::vector<std::string> messages;
  for (std::size_t i = 0; i < kWrites; ++i) {
    char message[kWriteLength + 1];
    std::snprintf(message, sizeof(message), "w%zu-%05u", i, static_cast<unsigned>(seed % 100000));
    messages.emplace_back(message, kWriteLength);
    std::memcpy(write_buffers + i * kWriteLength, message, kWriteLength);
  }

  StressResults results;
  app.run("reader", [&] {
    results.device = CreateFileW(sample.path, GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                                 FILE_FLAG_OVERLAPPED, nullptr);
    if (results.device == INVALID_HANDLE_VALUE) {
      results.reads_issued = results.reads_done = true;
      return;
    }
    for (std::size_t i = 0; i < kReads; ++i) {
      reads[i].hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
      results.read_started[i] =
          ReadFile(results.device, read_buffers + i * kReadLength, kReadLength, nullptr, &reads[i]);
      results.read_start_error[i] = GetLastError();
      if (plan.read_gap != 0) Sleep(plan.read_gap);
    }
    results.reads_issued = true;
    for (std::size_t i = 0; i < kReads; ++i) {
      results.read_ok[i] = GetOverlappedResult(results.device, &reads[i], &results.read_bytes[i], TRUE);
      results.read_error[i] = results.read_ok[i] ? ERROR_SUCCESS : GetLastError();
      CloseHandle(reads[i].hEvent);
    }
    results.reads_done = true;
  });
  app.run("writer", [&] {
    Sleep(plan.writer_start);
    for (std::size_t i = 0; i < kWrites; ++i) {
      writes[i].hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
      const BOOL done = WriteFile(results.device, write_buffers + i * kWriteLength, kWriteLength, nullptr, &writes[i]);
      results.write_ok[i] = (done || GetLastError() == ERROR_IO_PENDING) &&
                            GetOverlappedResult(results.device, &writes[i], &results.write_bytes[i], TRUE);
      CloseHandle(writes[i].hEvent);
      if (plan.write_gap != 0) Sleep(plan.write_gap);
    }
    results.writes_done = true;
  });
  app.run("canceller", [&] {
    Sleep(1);
    if (plan.timer != 0) {
      DWORD bytes = 0;
      results.timer_ok =
          DeviceIoControl(results.device, sample.arm_timer, timer, sizeof(ULONG), nullptr, 0, &bytes, nullptr);
    }
    Sleep(plan.cancel_at);
    results.cancel_ok = CancelIoEx(results.device, plan.cancel_target < 0 ? nullptr : &reads[plan.cancel_target]);
    results.cancel_error = results.cancel_ok ? ERROR_SUCCESS : GetLastError();
    while (!results.reads_issued || !results.writes_done) Sleep(1);
    if (!plan.close_pending) {
      (void)CancelIoEx(results.device, nullptr);
      while (!results.reads_done) Sleep(1);
    }
    CloseHandle(results.device);
  });
  const RunStatus status = lab.run_until_idle();

  const std::vector<Finding>& findings = lab.findings();
  if (!findings.empty()) return findings.front().to_text();
  if (status != RunStatus::Idle) return "the application did not finish";
  if (results.device == INVALID_HANDLE_VALUE) return "CreateFileW failed";
  if (!results.timer_ok) return "arming the timer failed";
  if (!results.cancel_ok && results.cancel_error != ERROR_NOT_FOUND) {
    return "CancelIoEx failed with " + std::to_string(results.cancel_error);
  }

  std::vector<std::string> received;
  DWORD bytes_received = 0;
  for (std::size_t i = 0; i < kReads; ++i) {
    const std::string read = "read " + std::to_string(i) + ": ";
    if (results.read_started[i] || results.read_start_error[i] != ERROR_IO_PENDING) {
      return read + "did not pend (error " + std::to_string(results.read_start_error[i]) + ")";
    }
    if (!results.read_ok[i]) {
      if (results.read_error[i] != ERROR_OPERATION_ABORTED || results.read_bytes[i] != 0) {
        return read + "failed with " + std::to_string(results.read_error[i]) + " after " +
               std::to_string(results.read_bytes[i]) + " bytes";
      }
    } else if (results.read_bytes[i] == 0) {
      if (plan.timer == 0) return read + "completed empty with no timer armed";
    } else if (results.read_bytes[i] != kWriteLength) {
      return read + "received " + std::to_string(results.read_bytes[i]) + " bytes";
    } else {
      received.push_back(bytes_at(read_buffers + i * kReadLength, kWriteLength));
    }
    const std::string rest = bytes_at(read_buffers + i * kReadLength + results.read_bytes[i],
                                      kReadLength - std::min(results.read_bytes[i], kReadLength));
    if (rest != std::string(rest.size(), '\0')) return read + "bytes past the ones received were written";
    bytes_received += results.read_bytes[i];
  }
  std::vector<std::string> delivered;
  DWORD bytes_delivered = 0;
  for (std::size_t i = 0; i < kWrites; ++i) {
    const std::string write = "write " + std::to_string(i) + ": ";
    if (!results.write_ok[i]) return write + "failed";
    if (results.write_bytes[i] == kWriteLength) {
      delivered.push_back(messages[i]);
    } else if (results.write_bytes[i] != 0) {
      return write + "reported " + std::to_string(results.write_bytes[i]) + " bytes";
    }
    bytes_delivered += results.write_bytes[i];
  }
  if (bytes_received != bytes_delivered) {
    return "reads received " + std::to_string(bytes_received) + " bytes, writes delivered " +
           std::to_string(bytes_delivered);
  }
  std::sort(received.begin(), received.end());
  std::sort(delivered.begin(), delivered.end());
  if (received != delivered) return "the reads did not receive the delivered writes' bytes";
  if (const long completed = reads_completed_by_the_driver(lab, sample); completed != static_cast<long>(kReads)) {
    return "the driver completed " + std::to_string(completed) + " reads, not " + std::to_string(kReads);
  }

  lab.unload_driver(driver);
  if (!lab.findings().empty()) return lab.findings().front().to_text();
  if (!lab.log().contains(std::string(sample.name) + ": unloaded")) return "DriverUnload did not run";
  return {};
}

struct StressCase {
  CancelSample sample;
  unsigned processors;
};

void PrintTo(const StressCase& stress, std::ostream* out) {
  *out << stress.sample.name << " on " << stress.processors << " processors";
}

class CancelSampleStressTest : public ::testing::TestWithParam<StressCase> {};

TEST_P(CancelSampleStressTest, ReadWriteCancelAndCloseRacesEndCleanlyOnEverySeed) {
  const StressCase& stress = GetParam();
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const std::string failure = run_once(stress.sample, stress.processors, seed);
    ASSERT_TRUE(failure.empty()) << stress.sample.name << ", " << stress.processors << " processors, seed " << seed
                                 << ":\n"
                                 << failure;
  }
}

std::string stress_name(const ::testing::TestParamInfo<StressCase>& info) {
  return std::string(info.param.sample.name) + "_" + std::to_string(info.param.processors) + "cpu";
}

INSTANTIATE_TEST_SUITE_P(Samples, CancelSampleStressTest,
                         ::testing::Values(StressCase{kCsqQueue, 2}, StressCase{kCsqQueue, 4},
                                           StressCase{kCancelSpinLock, 2}, StressCase{kCancelSpinLock, 4}),
                         stress_name);

}  // namespace
}  // namespace wdmlab::test
