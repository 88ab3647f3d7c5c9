// io_test_support.hpp - helpers the I/O manager's tests share: the io_test driver, opening its
// device, and the driver's log lines in order.
#pragma once

#include <wdm.h>

#include <string>
#include <string_view>
#include <vector>

#include "io/drivers/io_test.h"
#include "ob/object_names.hpp"
#include "wdmlab/lab.hpp"

extern "C" DRIVER_INITIALIZE io_test_DriverEntry;

namespace wdmlab::test {

// The text of each log line that starts with `prefix`, in order.
inline std::vector<std::string> lines_with(const Log& log, std::string_view prefix) {
  std::vector<std::string> lines;
  for (const LogRecord& record : log.records()) {
    if (record.text.rfind(prefix, 0) == 0) lines.push_back(record.text);
  }
  return lines;
}

// Opens \??\IoTest from kernel mode (a kernel handle), synchronous unless `asynchronous`.
inline NTSTATUS open_io_test(HANDLE* handle, ACCESS_MASK access, bool asynchronous = false,
                             std::u16string_view name = u"\\??\\IoTest") {
  ObjectName path(std::u16string(name), OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE);
  IO_STATUS_BLOCK status_block{};
  return ZwCreateFile(handle, access | (asynchronous ? 0 : SYNCHRONIZE), path.get(), &status_block, nullptr, 0,
                      FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN, asynchronous ? 0 : FILE_SYNCHRONOUS_IO_NONALERT,
                      nullptr, 0);
}

}  // namespace wdmlab::test
