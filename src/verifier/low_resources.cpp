#include "verifier/low_resources.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "base/driver_identity.hpp"
#include "base/log_sink.hpp"
#include "base/stack.hpp"

namespace wdmlab::verifier {

namespace {

constexpr std::uint32_t kBothModes = kVerifierLowResources | kVerifierSystematicLowResources;
// Frames of a call stack that name it: enough to tell call sites apart, few enough to stay cheap.
constexpr std::size_t kStackFrames = 16;

std::uint64_t mix(std::uint64_t hash, std::uint64_t value) {
  hash ^= value + 0x9E3779B97F4A7C15ULL + (hash << 6) + (hash >> 2);
  return hash;
}

// A return address as (module name, offset in the module), hashed: the same in every run of a
// build whatever addresses the loader chose.
std::uint64_t frame_name(Verifier::FaultInjection& state, std::uintptr_t pc) {
  auto [it, inserted] = state.frames.try_emplace(pc, 0);
  if (!inserted) return it->second;
  Dl_info info{};
  std::uint64_t name = pc;
  if (dladdr(reinterpret_cast<void*>(pc), &info) != 0 && info.dli_fname != nullptr) {
    std::string_view file = info.dli_fname;
    file = file.substr(file.find_last_of('/') + 1);
    name = std::hash<std::string_view>{}(file);
    name = mix(name, pc - reinterpret_cast<std::uintptr_t>(info.dli_fbase));
  }
  it->second = name;
  return name;
}

// The call stack from `caller` outward, named independently of load addresses.
std::uint64_t stack_name(Verifier::FaultInjection& state, const void* caller) {
  const std::vector<std::uintptr_t> stack = base::capture_stack(1);
  const auto from = std::find(stack.begin(), stack.end(), reinterpret_cast<std::uintptr_t>(caller));
  std::uint64_t hash = frame_name(state, reinterpret_cast<std::uintptr_t>(caller));
  if (from == stack.end()) return hash;
  const auto last = stack.end() - from > static_cast<std::ptrdiff_t>(kStackFrames) ? from + kStackFrames : stack.end();
  for (auto it = from + 1; it != last; ++it) hash = mix(hash, frame_name(state, *it));
  return hash;
}

bool eligible_tag(const LowResourcesOptions& options, std::uint32_t tag) {
  return tag == 0 || options.tags.empty() ||
         std::find(options.tags.begin(), options.tags.end(), tag) != options.tags.end();
}

std::string tag_text(std::uint32_t tag) {
  if (tag == 0) return "none";
  std::string text;
  for (int i = 0; i < 4; ++i) {
    const char c = static_cast<char>((tag >> (8 * i)) & 0xFF);
    text += c >= 0x20 && c < 0x7F ? c : '.';
  }
  return fmt::format("'{}'", text);
}

void log_fault(const char* routine, std::uint32_t tag, const void* caller, bool systematic) {
  Log* log = base::current_log();
  if (log == nullptr) return;
  const StackFrame frame = base::symbolizer().symbolize_one(reinterpret_cast<std::uintptr_t>(caller), false);
  const std::string where = frame.function.empty()
                                ? fmt::format("{}+{:#x}", frame.module, frame.offset)
                                : fmt::format("{}!{}+{:#x}", frame.module, frame.function, frame.offset);
  LogRecord record;
  record.context = "verifier";
  if (sched::Scheduler* scheduler = sched::Scheduler::current()) record.virtual_time = scheduler->now();
  if (const base::DriverIdentity* driver = sched::calling_driver()) record.driver = driver->name;
  record.text = fmt::format("Driver Verifier: {} fault injected: {} (tag {}) failed for {} called from {}",
                            systematic ? "systematic low resources" : "low resources", routine, tag_text(tag),
                            record.driver.empty() ? std::string("the host") : record.driver, where);
  log->append(std::move(record));
}

}  // namespace

bool inject_failure(const char* routine, std::uint32_t tag, const void* caller) {
  Verifier* verifier = Verifier::current();
  if (verifier == nullptr) return false;
  const std::uint32_t in_force = verifier->flags_for(sched::calling_driver());
  if ((in_force & kBothModes) == 0) return false;
  Verifier::FaultInjection& state = verifier->fault_injection();
  bool fail = false;
  bool systematic = false;
  if ((in_force & kVerifierSystematicLowResources) != 0) {
    systematic = fail = state.stacks_seen.insert(stack_name(state, caller)).second;
  }
  if (!fail && (in_force & kVerifierLowResources) != 0) {
    const LowResourcesOptions& options = verifier->options().low_resources;
    if (eligible_tag(options, tag) && ++state.eligible_calls > options.grace_calls) {
      fail = verifier->chance(options.probability);
    }
  }
  if (!fail) return false;
  ++verifier->counters(sched::calling_driver()).faults_injected;
  log_fault(routine, tag, caller, systematic);
  return true;
}

}  // namespace wdmlab::verifier
