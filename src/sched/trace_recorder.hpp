// sched/trace_recorder.hpp - the event trace of a run (wdmlab/trace.hpp), kept by the Scheduler.
//
// The scheduler is the one layer every subsystem links, and it knows the time, the decision count,
// the running context and its processor, so it keeps the trace and the subsystems add to it. A
// hook costs one test of a flag when tracing is off:
//
//   if (sched::Scheduler* s = sched::tracing_scheduler()) [[unlikely]] record_something(*s, ...);
//
// with the recording itself out of line and cold. Recording never yields, takes no decision and
// changes no state the run depends on: a traced run has the schedule of the untraced one.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "wdmlab/trace.hpp"

namespace wdmlab::base {
struct DriverIdentity;
}

namespace wdmlab::sched {

struct TraceRecorder {
  bool on = false;
  std::vector<TraceEvent> events;
  // "driver!Function" by routine address, symbolized once each.
  std::unordered_map<std::uintptr_t, std::string> routine_names;
  // Names given to particular locks ("cancel spin lock"); others are "spin lock <address>".
  std::unordered_map<std::uintptr_t, std::string> lock_names;
};

}  // namespace wdmlab::sched
