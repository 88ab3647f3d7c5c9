#include "wdmlab/log.hpp"

namespace wdmlab {

void Log::append(LogRecord record) { records_.push_back(std::move(record)); }

std::string Log::text() const {
  std::string out;
  for (const auto& record : records_) {
    out += record.text;
    out += '\n';
  }
  return out;
}

bool Log::contains(std::string_view needle) const {
  for (const auto& record : records_) {
    if (record.text.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace wdmlab

#include "base/log_sink.hpp"

namespace wdmlab::base {

namespace {
thread_local Log* t_log = nullptr;
}

Log* current_log() { return t_log; }
void set_current_log(Log* log) { t_log = log; }

}  // namespace wdmlab::base
