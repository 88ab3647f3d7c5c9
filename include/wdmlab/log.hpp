// wdmlab/log.hpp - the run's debug log: every DbgPrint/DbgPrintEx/KdPrint line and the lab's own
// notes, in the order they happened.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wdmlab {

struct LogRecord {
  std::uint64_t virtual_time = 0;  // 100 ns units since boot
  int processor = -1;
  std::string context;  // name of the context that printed it
  std::string driver;   // driver charged with the context at the time, if any
  std::uint32_t component = 0;  // DbgPrintEx ComponentId (DPFLTR_DEFAULT_ID for DbgPrint)
  std::uint32_t level = 0;      // DbgPrintEx Level
  std::string text;             // as printed, without a trailing newline
};

class Log {
 public:
  void append(LogRecord record);
  const std::vector<LogRecord>& records() const { return records_; }
  // Every record's text, one per line, in order.
  std::string text() const;
  // True if some record's text contains `needle`.
  bool contains(std::string_view needle) const;
  void clear() { records_.clear(); }

 private:
  std::vector<LogRecord> records_;
};

}  // namespace wdmlab
