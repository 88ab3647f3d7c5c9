// The ioctl_methods sample driven from app.exe: each buffering method's results byte for byte,
// its length checks, faulting user buffers, and the access check the I/O manager makes before the
// driver sees a request.
#include <gtest/gtest.h>
#include <wdm.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "samples/ioctl_methods_client.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;

// What one DeviceIoControl call returned.
struct Outcome {
  BOOL ok;
  DWORD error;  // GetLastError() after a failure; ERROR_SUCCESS after a success
  DWORD bytes;  // *lpBytesReturned
};

Outcome control(HANDLE device, DWORD code, void* in, DWORD in_length, void* out, DWORD out_length) {
  DWORD bytes = kUntouched;
  SetLastError(ERROR_SUCCESS);
  const BOOL ok = DeviceIoControl(device, code, in, in_length, out, out_length, &bytes, nullptr);
  return {ok, ok ? ERROR_SUCCESS : GetLastError(), bytes};
}

void expect_success(const Outcome& outcome, DWORD bytes) {
  EXPECT_TRUE(outcome.ok);
  EXPECT_EQ(outcome.error, ERROR_SUCCESS);
  EXPECT_EQ(outcome.bytes, bytes);
}

void expect_failure(const Outcome& outcome, DWORD error) {
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.error, error);
  EXPECT_EQ(outcome.bytes, kUntouched);
}

ULONG fnv1a(const unsigned char* data, std::size_t length) {
  ULONG hash = IOCTL_METHODS_HASH_OFFSET_BASIS;
  for (std::size_t i = 0; i < length; ++i) hash = (hash ^ data[i]) * IOCTL_METHODS_HASH_PRIME;
  return hash;
}

class IoctlMethodsTest : public SampleTest {
 protected:
  void SetUp() override { driver = &load(IOCTL_METHODS_IMAGE); }
  std::vector<std::string> controls() const { return lines("ioctl_methods: device control"); }

  // Runs `body` in app.exe with a handle to \\.\IoctlMethods opened for reading and writing.
  void use_device(std::function<void(HANDLE)> body) {
    run_with_device(kIoctlMethodsPath, GENERIC_READ | GENERIC_WRITE, FILE_ATTRIBUTE_NORMAL, std::move(body));
  }

  LoadedDriver* driver = nullptr;
};

TEST_P(IoctlMethodsTest, OpenAndCloseReachTheDriver) {
  run([] {
    HANDLE device = open_device(kIoctlMethodsPath, GENERIC_READ | GENERIC_WRITE);
    ASSERT_NE(device, INVALID_HANDLE_VALUE) << GetLastError();
    EXPECT_TRUE(CloseHandle(device));
  });
  EXPECT_EQ(lines("ioctl_methods: "), (std::vector<std::string>{"ioctl_methods: loaded", "ioctl_methods: create",
                                                                "ioctl_methods: cleanup", "ioctl_methods: close"}));
  expect_no_findings();
}

// --- length checks ------------------------------------------------------------------------------

// Every length check of the table in ioctl_methods_public.h, and an unknown code. Each request
// reaches the driver, which fails it without touching the output.
TEST_P(IoctlMethodsTest, EveryCodeChecksItsLengths) {
  enum Buffer { kNull, kInput, kOutput };
  struct Row {
    DWORD code;
    Buffer in;
    DWORD in_length;
    Buffer out;
    DWORD out_length;
    DWORD error;
  };
  const std::vector<Row> rows = {
      {IOCTL_METHODS_REVERSE, kInput, 4, kOutput, 3, ERROR_INSUFFICIENT_BUFFER},
      {IOCTL_METHODS_REVERSE, kInput, 4, kNull, 0, ERROR_INSUFFICIENT_BUFFER},
      {IOCTL_METHODS_REVERSE, kInput, 0, kOutput, 3, ERROR_INVALID_PARAMETER},
      {IOCTL_METHODS_REVERSE, kNull, 0, kNull, 0, ERROR_INVALID_PARAMETER},
      {IOCTL_METHODS_VERIFY, kInput, sizeof(ULONG) - 1, kOutput, 8, ERROR_INVALID_PARAMETER},
      {IOCTL_METHODS_VERIFY, kNull, 0, kOutput, 8, ERROR_INVALID_PARAMETER},
      {IOCTL_METHODS_VERIFY, kInput, sizeof(ULONG), kNull, 0, ERROR_INVALID_PARAMETER},
      {IOCTL_METHODS_VERIFY, kInput, sizeof(ULONG), kOutput, 0, ERROR_INVALID_PARAMETER},
      {IOCTL_METHODS_FILL, kInput, sizeof(IOCTL_METHODS_FILL_PATTERN) - 1, kOutput, 4, ERROR_INVALID_PARAMETER},
      {IOCTL_METHODS_FILL, kNull, 0, kOutput, 4, ERROR_INVALID_PARAMETER},
      {IOCTL_METHODS_FILL, kInput, sizeof(IOCTL_METHODS_FILL_PATTERN), kNull, 0, ERROR_INVALID_PARAMETER},
      {IOCTL_METHODS_UPPERCASE, kInput, 4, kOutput, 3, ERROR_INSUFFICIENT_BUFFER},
      {IOCTL_METHODS_UPPERCASE, kInput, 0, kOutput, 3, ERROR_INVALID_PARAMETER},
      {IOCTL_METHODS_UPPERCASE, kNull, 4, kOutput, 3, ERROR_INVALID_PARAMETER},
      {IOCTL_METHODS_SET_VALUE, kInput, sizeof(LONG) - 2, kNull, 0, ERROR_INVALID_PARAMETER},
      {IOCTL_METHODS_SET_VALUE, kNull, 0, kNull, 0, ERROR_INVALID_PARAMETER},
      {IOCTL_METHODS_GET_VALUE, kNull, 0, kOutput, sizeof(LONG) - 1, ERROR_INSUFFICIENT_BUFFER},
      {IOCTL_METHODS_GET_VALUE, kNull, 0, kNull, 0, ERROR_INSUFFICIENT_BUFFER},
      {kUnknownControl, kInput, 4, kOutput, 4, ERROR_INVALID_FUNCTION},
      {kUnknownControl, kNull, 0, kNull, 0, ERROR_INVALID_FUNCTION},
  };
  char* input = user_bytes("abcdefgh");
  char* output = user_bytes("", 8, 'x');
  auto buffer = [&](Buffer which) -> void* { return which == kInput ? input : which == kOutput ? output : nullptr; };
  use_device([&](HANDLE device) {
    for (const Row& row : rows) {
      SCOPED_TRACE(hex(row.code) + " in " + std::to_string(row.in_length) + " out " + std::to_string(row.out_length));
      expect_failure(control(device, row.code, buffer(row.in), row.in_length, buffer(row.out), row.out_length),
                     row.error);
    }
  });
  EXPECT_EQ(bytes_at(input, 8), "abcdefgh");
  EXPECT_EQ(bytes_at(output, 8), std::string(8, 'x'));
  std::vector<std::string> expected;
  for (const Row& row : rows) expected.push_back(reached(row.code, row.in_length, row.out_length));
  EXPECT_EQ(controls(), expected);
  expect_no_findings();
}

// --- METHOD_BUFFERED ----------------------------------------------------------------------------

TEST_P(IoctlMethodsTest, BufferedReversesTheInputIntoTheOutput) {
  char* in = user_bytes("wdmlab!");
  char* out = user_bytes("", 16, 'x');
  char* exact = user_bytes("", 7, 'x');
  char* in_place = user_bytes("abc");
  use_device([&](HANDLE device) {
    expect_success(control(device, IOCTL_METHODS_REVERSE, in, 7, out, 16), 7);
    expect_success(control(device, IOCTL_METHODS_REVERSE, in, 7, exact, 7), 7);
    expect_success(control(device, IOCTL_METHODS_REVERSE, in_place, 3, in_place, 3), 3);
  });
  EXPECT_EQ(bytes_at(in, 7), "wdmlab!");
  // Only Information bytes are copied back; the rest of the output is left as it was.
  EXPECT_EQ(bytes_at(out, 16), "!balmdw" + std::string(9, 'x'));
  EXPECT_EQ(bytes_at(exact, 7), "!balmdw");
  EXPECT_EQ(bytes_at(in_place, 3), "cba");
  EXPECT_EQ(controls(),
            (std::vector<std::string>{reached(IOCTL_METHODS_REVERSE, 7, 16), reached(IOCTL_METHODS_REVERSE, 7, 7),
                                      reached(IOCTL_METHODS_REVERSE, 3, 3)}));
  expect_no_findings();
}

// The I/O manager copies the input and probes the output before it builds the request, so a bad
// user buffer never reaches the driver.
TEST_P(IoctlMethodsTest, BufferedRequestWithAnInvalidBufferNeverReachesTheDriver) {
  char* in = user_bytes("abcdefgh");
  char* out = user_bytes("", 8);
  void* invalid = app.invalid_address();
  use_device([&](HANDLE device) {
    expect_failure(control(device, IOCTL_METHODS_REVERSE, invalid, 8, out, 8), ERROR_NOACCESS);
    expect_failure(control(device, IOCTL_METHODS_REVERSE, in, 8, invalid, 8), ERROR_NOACCESS);
  });
  EXPECT_EQ(bytes_at(out, 8), std::string(8, '\0'));
  EXPECT_TRUE(controls().empty());
  expect_no_findings();
}

// --- METHOD_IN_DIRECT ---------------------------------------------------------------------------

TEST_P(IoctlMethodsTest, InDirectHashesTheLockedBuffer) {
  constexpr DWORD kLength = 5000;  // crosses a page boundary
  auto* data = static_cast<unsigned char*>(app.alloc(kLength));
  for (DWORD i = 0; i < kLength; ++i) data[i] = static_cast<unsigned char>(i * 7 % 251);
  const std::string original = bytes_at(data, kLength);
  const ULONG hash = fnv1a(data, kLength);
  ULONG* right = user_value<ULONG>(hash);
  ULONG* wrong = user_value<ULONG>(hash ^ 1);
  use_device([&](HANDLE device) {
    expect_success(control(device, IOCTL_METHODS_VERIFY, right, sizeof(ULONG), data, kLength), kLength);
    expect_failure(control(device, IOCTL_METHODS_VERIFY, wrong, sizeof(ULONG), data, kLength), ERROR_CRC);
    expect_success(
        control(device, IOCTL_METHODS_VERIFY, user_value<ULONG>(fnv1a(data + 1, 1)), sizeof(ULONG), data + 1, 1), 1);
  });
  EXPECT_EQ(bytes_at(data, kLength), original);
  EXPECT_EQ(lines("ioctl_methods: hash"),
            std::vector<std::string>{"ioctl_methods: hash " + hex(hash) + " of 5000 bytes, expected " + hex(hash ^ 1)});
  EXPECT_EQ(controls().size(), 3u);
  expect_no_findings();
}

// The I/O manager captures the input and probes and locks the data buffer (MmProbeAndLockPages)
// before the driver sees anything.
TEST_P(IoctlMethodsTest, InDirectRequestWithAnInvalidBufferNeverReachesTheDriver) {
  char* data = user_bytes("some data");
  ULONG* hash = user_value<ULONG>(0);
  void* invalid = app.invalid_address();
  use_device([&](HANDLE device) {
    expect_failure(control(device, IOCTL_METHODS_VERIFY, hash, sizeof(ULONG), invalid, 9), ERROR_NOACCESS);
    expect_failure(control(device, IOCTL_METHODS_VERIFY, invalid, sizeof(ULONG), data, 9), ERROR_NOACCESS);
  });
  EXPECT_TRUE(controls().empty());
  expect_no_findings();
}

// --- METHOD_OUT_DIRECT --------------------------------------------------------------------------

TEST_P(IoctlMethodsTest, OutDirectFillsTheLockedBuffer) {
  constexpr DWORD kLength = 5000;  // crosses a page boundary
  auto* pattern = user_value(IOCTL_METHODS_FILL_PATTERN{0x10, 3});
  char* out = user_bytes("", kLength + 1, 'x');
  char* one = user_bytes("", 2, 'x');
  use_device([&](HANDLE device) {
    expect_success(control(device, IOCTL_METHODS_FILL, pattern, sizeof(*pattern), out, kLength), kLength);
    expect_success(control(device, IOCTL_METHODS_FILL, pattern, sizeof(*pattern), one, 1), 1);
  });
  std::string expected;
  for (DWORD i = 0; i < kLength; ++i) expected.push_back(static_cast<char>((0x10 + 3 * i) & 0xFF));
  EXPECT_EQ(bytes_at(out, kLength + 1), expected + "x");
  EXPECT_EQ(bytes_at(one, 2), "\x10x");
  EXPECT_EQ(controls(),
            (std::vector<std::string>{reached(IOCTL_METHODS_FILL, 2, kLength), reached(IOCTL_METHODS_FILL, 2, 1)}));
  expect_no_findings();
}

TEST_P(IoctlMethodsTest, OutDirectRequestWithAnInvalidBufferNeverReachesTheDriver) {
  auto* pattern = user_value(IOCTL_METHODS_FILL_PATTERN{0x10, 3});
  char* out = user_bytes("", 4, 'x');
  void* invalid = app.invalid_address();
  use_device([&](HANDLE device) {
    expect_failure(control(device, IOCTL_METHODS_FILL, pattern, sizeof(*pattern), invalid, 4), ERROR_NOACCESS);
    expect_failure(control(device, IOCTL_METHODS_FILL, invalid, sizeof(*pattern), out, 4), ERROR_NOACCESS);
  });
  EXPECT_EQ(bytes_at(out, 4), "xxxx");
  EXPECT_TRUE(controls().empty());
  expect_no_findings();
}

// --- METHOD_NEITHER -----------------------------------------------------------------------------

TEST_P(IoctlMethodsTest, NeitherUppercasesThroughTheCallersPointers) {
  const std::string text = "Hello, wdmlab 123!";
  const auto length = static_cast<DWORD>(text.size());
  char* in = user_bytes(text);
  char* out = user_bytes("", 32, 'x');
  char* in_place = user_bytes("mixed Case");
  use_device([&](HANDLE device) {
    expect_success(control(device, IOCTL_METHODS_UPPERCASE, in, length, out, 32), length);
    expect_success(control(device, IOCTL_METHODS_UPPERCASE, in_place, 10, in_place, 10), 10);
  });
  EXPECT_EQ(bytes_at(in, length), text);
  EXPECT_EQ(bytes_at(out, 32), "HELLO, WDMLAB 123!" + std::string(32 - length, 'x'));
  EXPECT_EQ(bytes_at(in_place, 10), "MIXED CASE");
  expect_no_findings();
}

// With METHOD_NEITHER nothing checks the pointers before the driver sees them: it probes them and
// touches them inside __try/__except, and returns the exception code instead of crashing. Its probe
// (ProbeForRead/ProbeForWrite, for a user-mode requestor) is also what keeps it from reading or
// writing kernel memory on the caller's behalf: memory of the test itself is a kernel address to
// the simulated machine.
TEST_P(IoctlMethodsTest, NeitherDriverRejectsPointersTheCallerCannotUse) {
  char* in = user_bytes("abcd");
  char* out = user_bytes("", 4, 'x');
  char kernel[4] = {'k', 'e', 'r', 'n'};
  void* unmapped = app.invalid_address();
  use_device([&](HANDLE device) {
    for (void* bad : {unmapped, static_cast<void*>(kernel)}) {
      expect_failure(control(device, IOCTL_METHODS_UPPERCASE, bad, 4, out, 4), ERROR_NOACCESS);
      expect_failure(control(device, IOCTL_METHODS_UPPERCASE, in, 4, bad, 4), ERROR_NOACCESS);
    }
    expect_failure(control(device, IOCTL_METHODS_UPPERCASE, in, 4, nullptr, 4), ERROR_NOACCESS);
  });
  EXPECT_EQ(bytes_at(kernel, 4), "kern");
  EXPECT_EQ(bytes_at(out, 4), "xxxx");
  EXPECT_EQ(controls().size(), 5u);
  expect_no_findings();
}

// --- read-only buffers ---------------------------------------------------------------------------

// Each method needs write access to the output only where something writes it: the I/O manager
// probes a buffered output and locks an OUT_DIRECT one for writing, but locks an IN_DIRECT one
// for reading; with METHOD_NEITHER it is the driver's ProbeForWrite that refuses.
TEST_P(IoctlMethodsTest, ReadOnlyOutputIsRefusedWhereItWouldBeWritten) {
  char* in = user_bytes("abcd");
  auto* pattern = user_value(IOCTL_METHODS_FILL_PATTERN{0x10, 3});
  char* read_only = nullptr;
  use_device([&](HANDLE device) {
    read_only = static_cast<char*>(VirtualAlloc(nullptr, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE));
    ASSERT_NE(read_only, nullptr);
    std::memcpy(read_only, "data", 4);
    DWORD old_protection = 0;
    ASSERT_TRUE(VirtualProtect(read_only, 4096, PAGE_READONLY, &old_protection));
    ULONG* hash = user_value<ULONG>(fnv1a(reinterpret_cast<const unsigned char*>("data"), 4));

    expect_success(control(device, IOCTL_METHODS_VERIFY, hash, sizeof(ULONG), read_only, 4), 4);
    expect_success(control(device, IOCTL_METHODS_REVERSE, read_only, 4, in, 4), 4);
    expect_failure(control(device, IOCTL_METHODS_REVERSE, in, 4, read_only, 4), ERROR_NOACCESS);
    expect_failure(control(device, IOCTL_METHODS_FILL, pattern, sizeof(*pattern), read_only, 4), ERROR_NOACCESS);
    expect_failure(control(device, IOCTL_METHODS_UPPERCASE, in, 4, read_only, 4), ERROR_NOACCESS);
  });
  EXPECT_EQ(bytes_at(read_only, 4), "data");
  EXPECT_EQ(bytes_at(in, 4), "atad");
  EXPECT_EQ(controls(),
            (std::vector<std::string>{reached(IOCTL_METHODS_VERIFY, 4, 4), reached(IOCTL_METHODS_REVERSE, 4, 4),
                                      reached(IOCTL_METHODS_UPPERCASE, 4, 4)}));
  expect_no_findings();
}

// --- access bits ---------------------------------------------------------------------------------

// SET_VALUE requires FILE_WRITE_ACCESS and GET_VALUE FILE_READ_ACCESS: the I/O manager fails a
// request on a handle without that access before building an IRP, so the driver never sees it.
TEST_P(IoctlMethodsTest, AccessBitsAreCheckedBeforeTheDriverSeesTheRequest) {
  LONG* value = user_value<LONG>(0x12345678);
  LONG* read_back = user_value<LONG>(-1);
  LONG* after = user_value<LONG>(-1);
  run([&] {
    HANDLE reader = open_device(kIoctlMethodsPath, GENERIC_READ);
    HANDLE writer = open_device(kIoctlMethodsPath, GENERIC_WRITE);
    ASSERT_NE(reader, INVALID_HANDLE_VALUE);
    ASSERT_NE(writer, INVALID_HANDLE_VALUE);
    expect_failure(control(reader, IOCTL_METHODS_SET_VALUE, value, sizeof(LONG), nullptr, 0), ERROR_ACCESS_DENIED);
    expect_success(control(reader, IOCTL_METHODS_GET_VALUE, nullptr, 0, read_back, sizeof(LONG)), sizeof(LONG));
    expect_failure(control(writer, IOCTL_METHODS_GET_VALUE, nullptr, 0, after, sizeof(LONG)), ERROR_ACCESS_DENIED);
    expect_success(control(writer, IOCTL_METHODS_SET_VALUE, value, sizeof(LONG), nullptr, 0), 0);
    expect_success(control(reader, IOCTL_METHODS_GET_VALUE, nullptr, 0, after, sizeof(LONG)), sizeof(LONG));
    CloseHandle(reader);
    CloseHandle(writer);
  });
  EXPECT_EQ(*read_back, 0);  // the denied SET_VALUE changed nothing
  EXPECT_EQ(*after, 0x12345678);
  EXPECT_EQ(controls(),
            (std::vector<std::string>{reached(IOCTL_METHODS_GET_VALUE, 0, 4), reached(IOCTL_METHODS_SET_VALUE, 4, 0),
                                      reached(IOCTL_METHODS_GET_VALUE, 0, 4)}));
  expect_no_findings();
}

TEST_P(IoctlMethodsTest, UnloadDeletesTheLinkAndTheDevice) {
  run_with_device(kIoctlMethodsPath, GENERIC_READ, FILE_ATTRIBUTE_NORMAL, [](HANDLE) {});
  unload_and_expect_gone(*driver, kIoctlMethodsPath, "ioctl_methods: unloaded");
  expect_no_findings();
}

INSTANTIATE_TEST_SUITE_P(Machines, IoctlMethodsTest, machines(), machine_name);

}  // namespace
}  // namespace wdmlab::test
