// A narrow-only DbgPrint (vsnprintf formatting) that keeps the build linking until the runtime
// library's full Windows format engine (%wZ, %ws, %I64x) lands and replaces this file.
#include <wdm.h>
#include <cstdio>
#include "base/log_sink.hpp"
#include "sched/scheduler.hpp"
extern "C" ULONG __cdecl DbgPrint(PCSTR Format, ...) {
  char buffer[512];
  va_list args;
  va_start(args, Format);
  std::vsnprintf(buffer, sizeof buffer, Format, args);
  va_end(args);
  if (auto* log = wdmlab::base::current_log()) {
    wdmlab::LogRecord record;
    record.text = buffer;
    if (!record.text.empty() && record.text.back() == '\n') record.text.pop_back();
    if (auto* s = wdmlab::sched::Scheduler::current(); s && s->running()) record.context = s->running()->name();
    log->append(record);
  }
  return 0;
}
