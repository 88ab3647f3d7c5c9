// The startio_rw sample driven from app.exe: overlapped requests outstanding together are started
// one at a time in arrival order and completed from the timer DPC; zero-length, too-large and
// faulting requests; concurrent writers never interleave inside a request.
#include <gtest/gtest.h>
#include <wdm.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "samples/sample_app.hpp"
#include "startio_rw_public.h"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

constexpr const char16_t* kStartIoRwPath = u"\\\\.\\StartIoRw";
constexpr DWORD kReadWrite = GENERIC_READ | GENERIC_WRITE;

std::string started(const char* operation, DWORD length) {
  return std::string("startio_rw: start ") + operation + " of " + std::to_string(length) + " bytes";
}

std::string done(const char* operation, DWORD length, DWORD moved, NTSTATUS status, DWORD stored) {
  return std::string("startio_rw: done ") + operation + " of " + std::to_string(length) +
         " bytes: " + std::to_string(moved) + " moved, status " + hex(static_cast<DWORD>(status)) + ", " +
         std::to_string(stored) + " stored";
}

class StartIoRwTest : public SampleTest {
 protected:
  void SetUp() override { driver = &load(STARTIO_RW_IMAGE); }

  // The driver's log from StartIo and the DPC: "start ..." and "done ..." lines, in order.
  std::vector<std::string> device_lines() const {
    std::vector<std::string> device;
    for (const std::string& line : lines("startio_rw: ")) {
      if (line.rfind("startio_rw: start", 0) == 0 || line.rfind("startio_rw: done", 0) == 0) device.push_back(line);
    }
    return device;
  }

  // StartIo never starts a request while another is in progress: starts and completions alternate.
  void expect_one_request_at_a_time() const {
    const std::vector<std::string> device = device_lines();
    for (std::size_t i = 0; i < device.size(); ++i) {
      EXPECT_EQ(device[i].rfind(i % 2 == 0 ? "startio_rw: start" : "startio_rw: done", 0), 0u) << device[i];
    }
  }

  // Runs `body` in app.exe with a synchronous handle to \\.\StartIoRw.
  void use_device(std::function<void(HANDLE)> body) {
    run_with_device(kStartIoRwPath, kReadWrite, FILE_ATTRIBUTE_NORMAL, std::move(body));
  }

  LoadedDriver* driver = nullptr;
};

// Six overlapped requests are issued without waiting; the dispatch routine marks each pending and
// queues it with IoStartPacket. They start, run and complete in arrival order, one at a time.
TEST_P(StartIoRwTest, OutstandingRequestsRunOneAtATimeInArrivalOrder) {
  struct Request {
    bool write;
    DWORD length;
    char* buffer;
    DWORD expected;  // bytes transferred
  };
  std::vector<Request> requests = {
      {true, 3, user_bytes("abc"), 3},         {true, 5, user_bytes("defgh"), 5},
      {true, 1, user_bytes("i"), 1},           {false, 4, user_bytes("", 4, 'x'), 4},
      {false, 10, user_bytes("", 10, 'x'), 5}, {false, 4, user_bytes("", 4, 'x'), 0},
  };
  auto* overlapped = app.alloc_array<OVERLAPPED>(requests.size());
  run_with_device(kStartIoRwPath, kReadWrite, FILE_FLAG_OVERLAPPED, [&](HANDLE device) {
    for (std::size_t i = 0; i < requests.size(); ++i) {
      overlapped[i].hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
      ASSERT_NE(overlapped[i].hEvent, nullptr);
      SetLastError(ERROR_SUCCESS);
      const Request& request = requests[i];
      const BOOL ok = request.write ? WriteFile(device, request.buffer, request.length, nullptr, &overlapped[i])
                                    : ReadFile(device, request.buffer, request.length, nullptr, &overlapped[i]);
      EXPECT_FALSE(ok) << i;
      EXPECT_EQ(GetLastError(), ERROR_IO_PENDING) << i;
    }
    for (std::size_t i = 0; i < requests.size(); ++i) {
      DWORD bytes = 0xFFFFFFFF;
      EXPECT_TRUE(GetOverlappedResult(device, &overlapped[i], &bytes, TRUE)) << i;
      EXPECT_EQ(bytes, requests[i].expected) << i;
      EXPECT_EQ(overlapped[i].Internal, static_cast<ULONG_PTR>(STATUS_SUCCESS)) << i;
      EXPECT_EQ(overlapped[i].InternalHigh, requests[i].expected) << i;
      EXPECT_EQ(WaitForSingleObject(overlapped[i].hEvent, 0), WAIT_OBJECT_0) << i;
      CloseHandle(overlapped[i].hEvent);
    }
  });
  EXPECT_EQ(bytes_at(requests[3].buffer, 4), "abcd");
  EXPECT_EQ(bytes_at(requests[4].buffer, 10), "efghixxxxx");
  EXPECT_EQ(bytes_at(requests[5].buffer, 4), "xxxx");
  EXPECT_EQ(device_lines(),
            (std::vector<std::string>{
                started("write", 3), done("write", 3, 3, STATUS_SUCCESS, 3), started("write", 5),
                done("write", 5, 5, STATUS_SUCCESS, 8), started("write", 1), done("write", 1, 1, STATUS_SUCCESS, 9),
                started("read", 4), done("read", 4, 4, STATUS_SUCCESS, 5), started("read", 10),
                done("read", 10, 5, STATUS_SUCCESS, 0), started("read", 4), done("read", 4, 0, STATUS_SUCCESS, 0)}));
  // Every request had arrived (and was queued behind the first) before the first one finished.
  const std::vector<std::string> all = lines("startio_rw: ");
  const auto first_done = std::find_if(all.begin(), all.end(),
                                       [](const std::string& line) { return line.rfind("startio_rw: done", 0) == 0; });
  EXPECT_EQ(std::count_if(all.begin(), first_done,
                          [](const std::string& line) { return line.find(" arrives") != std::string::npos; }),
            6);
  expect_no_findings();
}

// A zero-length read or write is completed by the dispatch routine at once: it never reaches
// StartIo, even on an overlapped handle, and a null buffer is fine.
TEST_P(StartIoRwTest, ZeroLengthRequestsCompleteAtOnce) {
  char* buffer = user_bytes("", 4, 'x');
  auto* overlapped = app.alloc_array<OVERLAPPED>(1);
  use_device([&](HANDLE device) {
    DWORD bytes = 0xFFFFFFFF;
    EXPECT_TRUE(WriteFile(device, buffer, 0, &bytes, nullptr));
    EXPECT_EQ(bytes, 0u);
    bytes = 0xFFFFFFFF;
    EXPECT_TRUE(ReadFile(device, buffer, 0, &bytes, nullptr));
    EXPECT_EQ(bytes, 0u);
    bytes = 0xFFFFFFFF;
    EXPECT_TRUE(WriteFile(device, nullptr, 0, &bytes, nullptr));
    EXPECT_EQ(bytes, 0u);

    HANDLE asynchronous = open_device(kStartIoRwPath, kReadWrite, FILE_FLAG_OVERLAPPED);
    ASSERT_NE(asynchronous, INVALID_HANDLE_VALUE);
    overlapped->hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    EXPECT_TRUE(ReadFile(asynchronous, buffer, 0, nullptr, overlapped));
    EXPECT_EQ(WaitForSingleObject(overlapped->hEvent, 0), WAIT_OBJECT_0);
    bytes = 0xFFFFFFFF;
    EXPECT_TRUE(GetOverlappedResult(asynchronous, overlapped, &bytes, FALSE));
    EXPECT_EQ(bytes, 0u);
    CloseHandle(overlapped->hEvent);
    CloseHandle(asynchronous);
  });
  EXPECT_EQ(bytes_at(buffer, 4), "xxxx");
  EXPECT_EQ(lines("startio_rw: ").size(), 5u);  // loaded, and four arrivals
  EXPECT_TRUE(device_lines().empty());
  expect_no_findings();
}

// A write that does not fit in the free space fails whole with STATUS_DISK_FULL.
TEST_P(StartIoRwTest, WriteLongerThanTheFreeSpaceStoresNothing) {
  char* too_long = user_bytes(std::string(STARTIO_RW_CAPACITY + 1, '!'));
  std::string full;
  for (int i = 0; i < STARTIO_RW_CAPACITY; ++i) full.push_back(static_cast<char>('0' + i % 10));
  char* exact = user_bytes(full);
  char* one = user_bytes("1");
  char* read_back = user_bytes("", 100, 'x');
  use_device([&](HANDLE device) {
    DWORD bytes = 0xFFFFFFFF;
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(WriteFile(device, too_long, STARTIO_RW_CAPACITY + 1, &bytes, nullptr));
    EXPECT_EQ(GetLastError(), ERROR_DISK_FULL);
    EXPECT_EQ(bytes, 0u);
    EXPECT_TRUE(WriteFile(device, exact, STARTIO_RW_CAPACITY, &bytes, nullptr));
    EXPECT_EQ(bytes, static_cast<DWORD>(STARTIO_RW_CAPACITY));
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(WriteFile(device, one, 1, &bytes, nullptr));
    EXPECT_EQ(GetLastError(), ERROR_DISK_FULL);
    EXPECT_EQ(bytes, 0u);
    EXPECT_TRUE(ReadFile(device, read_back, 100, &bytes, nullptr));
    EXPECT_EQ(bytes, static_cast<DWORD>(STARTIO_RW_CAPACITY));
  });
  EXPECT_EQ(bytes_at(read_back, 100), full + std::string(100 - STARTIO_RW_CAPACITY, 'x'));
  constexpr DWORD kCapacity = STARTIO_RW_CAPACITY;
  EXPECT_EQ(device_lines(),
            (std::vector<std::string>{started("write", kCapacity + 1),
                                      done("write", kCapacity + 1, 0, STATUS_DISK_FULL, 0), started("write", kCapacity),
                                      done("write", kCapacity, kCapacity, STATUS_SUCCESS, kCapacity),
                                      started("write", 1), done("write", 1, 0, STATUS_DISK_FULL, kCapacity),
                                      started("read", 100), done("read", 100, kCapacity, STATUS_SUCCESS, 0)}));
  expect_no_findings();
}

// The I/O manager probes and locks a direct-I/O buffer before it builds the request: an unmapped
// user address, or memory of the test itself (a kernel address to the simulated machine), never
// reaches the driver.
TEST_P(StartIoRwTest, InvalidBuffersNeverReachTheDriver) {
  void* invalid = app.invalid_address();
  char kernel[8] = {};
  use_device([&](HANDLE device) {
    expect_read_and_write_fail(device, invalid, 8, ERROR_NOACCESS);
    expect_read_and_write_fail(device, kernel, 8, ERROR_NOACCESS);
  });
  EXPECT_EQ(lines("startio_rw: "), std::vector<std::string>{"startio_rw: loaded"});
  expect_no_findings();
}

// Two threads write at once, each on its own synchronous handle: the device queue serializes the
// requests, so the store holds whole writes, each thread's in the order it made them.
TEST_P(StartIoRwTest, ConcurrentWritersNeverInterleaveInsideARequest) {
  constexpr DWORD kChunk = 8;
  constexpr int kWritesPerThread = 3;
  std::map<char, char*> chunks;
  for (char tag : std::string("abcABC")) chunks[tag] = user_bytes(std::string(kChunk, tag));
  UserProcess& reader = lab.create_process("reader.exe");
  auto* read_back = static_cast<char*>(reader.alloc(2 * kWritesPerThread * kChunk + 1));
  std::memset(read_back, 'x', 2 * kWritesPerThread * kChunk + 1);
  for (std::string tags : {"abc", "ABC"}) {
    app.run(std::string("writer ") + tags, [&, tags] {
      HANDLE device = open_device(kStartIoRwPath, kReadWrite);
      ASSERT_NE(device, INVALID_HANDLE_VALUE);
      for (char tag : tags) {
        DWORD bytes = 0;
        EXPECT_TRUE(WriteFile(device, chunks[tag], kChunk, &bytes, nullptr));
        EXPECT_EQ(bytes, kChunk);
      }
      CloseHandle(device);
    });
  }
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Idle);
  run_in(reader, [&] {
    HANDLE device = open_device(kStartIoRwPath, kReadWrite);
    ASSERT_NE(device, INVALID_HANDLE_VALUE);
    DWORD bytes = 0;
    EXPECT_TRUE(ReadFile(device, read_back, 2 * kWritesPerThread * kChunk + 1, &bytes, nullptr));
    EXPECT_EQ(bytes, 2 * kWritesPerThread * kChunk);
    CloseHandle(device);
  });
  std::string order;
  for (int i = 0; i < 2 * kWritesPerThread; ++i) {
    const std::string chunk = bytes_at(read_back + i * kChunk, kChunk);
    EXPECT_EQ(chunk, std::string(kChunk, chunk[0]));
    order.push_back(chunk[0]);
  }
  EXPECT_EQ(read_back[2 * kWritesPerThread * kChunk], 'x');
  std::string lower;
  std::string upper;
  for (char tag : order) (tag >= 'a' ? lower : upper).push_back(tag);
  EXPECT_EQ(lower, "abc") << order;
  EXPECT_EQ(upper, "ABC") << order;
  expect_one_request_at_a_time();
  expect_no_findings();
}

TEST_P(StartIoRwTest, UnloadDeletesTheLinkAndTheDevice) {
  char* data = user_bytes("data");
  use_device([&](HANDLE device) {
    DWORD bytes = 0;
    EXPECT_TRUE(WriteFile(device, data, 4, &bytes, nullptr));
  });
  unload_and_expect_gone(*driver, kStartIoRwPath, "startio_rw: unloaded");
  expect_no_findings();
}

INSTANTIATE_TEST_SUITE_P(Machines, StartIoRwTest, machines(), machine_name);

}  // namespace
}  // namespace wdmlab::test
