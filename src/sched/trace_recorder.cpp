// The Scheduler's event trace: what the hooks of every subsystem record, and the scheduler's own
// events (a context starting on a processor, a preemption).
#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "base/driver_identity.hpp"
#include "base/stack.hpp"
#include "sched/scheduler.hpp"

namespace wdmlab::sched {

namespace {

TraceEvent event_of(TraceEvent::Phase phase, const char* category, std::string name, Time now,
                    std::uint64_t decisions, const Context* context, int processor, std::uint64_t id) {
  TraceEvent event;
  event.phase = phase;
  event.category = category;
  event.name = std::move(name);
  event.time = now;
  event.decision = decisions;
  event.processor = processor;
  if (context != nullptr) {
    event.context = context->id();
    event.context_name = context->name();
  }
  event.id = id;
  return event;
}

// "Function" from a demangled symbol: without the parameter list and anonymous namespaces.
std::string short_function(std::string symbol) {
  if (!symbol.empty() && symbol.back() == ')') {
    int depth = 0;
    for (std::size_t i = symbol.size(); i-- > 0;) {
      if (symbol[i] == ')') ++depth;
      if (symbol[i] == '(' && --depth == 0) {
        symbol.resize(i);
        break;
      }
    }
  }
  constexpr std::string_view kAnonymous = "(anonymous namespace)::";
  for (std::size_t at; (at = symbol.find(kAnonymous)) != std::string::npos;) symbol.erase(at, kAnonymous.size());
  return symbol;
}

int index_of(const Processor* processor) { return processor != nullptr ? static_cast<int>(processor->index()) : -1; }

}  // namespace

void Scheduler::trace_event(TraceEvent::Phase phase, const char* category, std::string name, std::uint64_t id) {
  trace_.events.push_back(
      event_of(phase, category, std::move(name), now_, decisions_, running_, index_of(current_processor()), id));
}

const std::string& Scheduler::trace_routine_name(const void* routine, const base::DriverIdentity* driver) {
  const auto address = reinterpret_cast<std::uintptr_t>(routine);
  auto [it, inserted] = trace_.routine_names.try_emplace(address);
  if (inserted) {
    const StackFrame frame = base::symbolizer().symbolize_one(address, true);
    // A routine of the lab's own (the cancel routine of a cancel-safe queue) is named by its
    // library; a driver's by the driver.
    const std::string& module = driver != nullptr && !frame.lab ? driver->name : frame.module;
    it->second = frame.function.empty() ? fmt::format("{}!{:#x}", module, address)
                                        : fmt::format("{}!{}", module, short_function(frame.function));
  }
  return it->second;
}

void Scheduler::trace_name_lock(const void* lock, std::string name) {
  trace_.lock_names[reinterpret_cast<std::uintptr_t>(lock)] = std::move(name);
}

const std::string& Scheduler::trace_lock_name(const void* lock) {
  const auto address = reinterpret_cast<std::uintptr_t>(lock);
  auto [it, inserted] = trace_.lock_names.try_emplace(address);
  if (inserted) it->second = fmt::format("spin lock {:#x}", address);
  return it->second;
}

// A context that gave up its processor (blocked or finished) leaves it; the one jumped to starts
// on its processor. Both are "switch" instants; the picture moves open spans with them.
void Scheduler::trace_switch(const Context* from, const Context* to) {
  if (from != nullptr && from->processor_ == nullptr) {
    trace_.events.push_back(event_of(TraceEvent::Phase::Instant, "switch", "leaves its processor",
                                     now_, decisions_, from, -1, 0));
  }
  if (to != nullptr) {
    trace_.events.push_back(event_of(TraceEvent::Phase::Instant, "switch",
                                     fmt::format("runs on CPU{}", index_of(to->processor_)), now_, decisions_, to,
                                     index_of(to->processor_), 0));
  }
}

// The policy chose another context while the one at the scheduling point could have gone on.
void Scheduler::trace_preemption(const Candidate& chosen) {
  Context* current = running_;
  if (current == nullptr || chosen.context == current) return;
  const bool could_go_on = std::any_of(candidates_.begin(), candidates_.end(),
                                       [current](const Candidate& c) { return c.context == current; });
  if (!could_go_on) return;
  trace_.events.push_back(event_of(TraceEvent::Phase::Instant, "preemption",
                                   fmt::format("preempted {} for {}", current->name_, chosen.context->name_), now_,
                                   decisions_, current, index_of(current->processor_), chosen.context->id_));
}

}  // namespace wdmlab::sched
