// The event trace (wdmlab/trace.hpp) of csq_queue on two processors: a read pends and is
// cancelled (CancelIoEx), another is completed by the timer's DPC. The trace has the driver's
// routines as spans, the IRPs' lifetimes as matched pairs, its Chrome JSON is well formed on every
// track, and recording it changes nothing about the run.
#include <gtest/gtest.h>
#include <wdm.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "csq_queue_public.h"
#include "samples/sample_app.hpp"
#include "wdmlab/trace.hpp"

namespace wdmlab::test {
namespace {

using namespace wdmlab::win32;
using Phase = TraceEvent::Phase;

struct Outcome {
  std::vector<TraceEvent> events;
  std::uint64_t digest = 0;
  std::vector<Finding> findings;
};

// One run of the scenario on a fresh two-processor lab.
Outcome run_scenario(LabOptions options) {
  options.processors = 2;
  Lab lab(options);
  UserProcess& app = lab.create_process("app.exe");
  EXPECT_TRUE(lab.load_driver(CSQ_QUEUE_IMAGE).loaded());
  char* buffer = static_cast<char*>(app.alloc(8));
  auto* milliseconds = app.alloc_array<ULONG>(1);
  *milliseconds = 1;
  OVERLAPPED* reads = app.alloc_array<OVERLAPPED>(2);
  OVERLAPPED* arm = app.alloc_array<OVERLAPPED>(1);
  app.run("main", [&] {
    HANDLE device = open_device(u"\\\\.\\CsqQueue", GENERIC_READ | GENERIC_WRITE, FILE_FLAG_OVERLAPPED);
    ASSERT_NE(device, INVALID_HANDLE_VALUE);
    for (int i = 0; i < 2; ++i) {
      reads[i].hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
      EXPECT_FALSE(ReadFile(device, buffer + 4 * i, 4, nullptr, &reads[i]));
      EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
    }
    EXPECT_TRUE(CancelIoEx(device, &reads[0]));
    DWORD bytes = 0;
    EXPECT_FALSE(GetOverlappedResult(device, &reads[0], &bytes, TRUE));
    EXPECT_EQ(GetLastError(), ERROR_OPERATION_ABORTED);
    arm->hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    (void)DeviceIoControl(device, IOCTL_CSQ_QUEUE_ARM_TIMER, milliseconds, sizeof(ULONG), nullptr, 0, &bytes, arm);
    EXPECT_TRUE(GetOverlappedResult(device, arm, &bytes, TRUE));
    EXPECT_TRUE(GetOverlappedResult(device, &reads[1], &bytes, TRUE));
    EXPECT_EQ(bytes, 0u);
    EXPECT_TRUE(CloseHandle(device));
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  for (const Finding& finding : lab.findings()) ADD_FAILURE() << finding.to_text();
  return {lab.trace(), lab.schedule_digest(), lab.findings()};
}

// Picks a context other than the one at the scheduling point whenever there is one.
class AlwaysSwitch : public SchedulingPolicy {
 public:
  std::string name() const override { return "always-switch"; }
  std::size_t choose(std::span<const SchedulingOption> options) override {
    for (std::size_t i = 0; i < options.size(); ++i) {
      if (!options[i].current) return i;
    }
    return 0;
  }
};

bool starts_with(const std::string& text, std::string_view prefix) { return text.rfind(prefix, 0) == 0; }

std::vector<const TraceEvent*> matching(const std::vector<TraceEvent>& events, Phase phase, std::string_view category,
                                        std::string_view name_part = {}) {
  std::vector<const TraceEvent*> found;
  for (const TraceEvent& event : events) {
    if (event.phase == phase && event.category == category && event.name.find(name_part) != std::string::npos) {
      found.push_back(&event);
    }
  }
  return found;
}

// The index of the End that closes the span begun at `begin` (same context, same kind and id).
std::ptrdiff_t end_of(const std::vector<TraceEvent>& events, const TraceEvent* begin) {
  int depth = 0;
  for (auto i = static_cast<std::size_t>(begin - events.data()) + 1; i < events.size(); ++i) {
    const TraceEvent& event = events[i];
    if (event.context != begin->context || event.category != begin->category || event.id != begin->id) continue;
    if (event.phase == Phase::Begin) ++depth;
    if (event.phase == Phase::End && depth-- == 0) return static_cast<std::ptrdiff_t>(i);
  }
  return -1;
}

class TraceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { traced = new Outcome(run_scenario({.seed = 5, .trace = true})); }
  static void TearDownTestSuite() {
    delete traced;
    traced = nullptr;
  }
  static Outcome* traced;
};
Outcome* TraceTest::traced = nullptr;

TEST_F(TraceTest, TheReadsDispatchRoutineIsASpanThatReturnsPending) {
  ASSERT_TRUE(traced->findings.empty()) << traced->findings.front().summary();
  const auto& events = traced->events;
  const auto reads = matching(events, Phase::Begin, "dispatch", "IRP_MJ_READ csq_queue!CsqQueueRead");
  ASSERT_EQ(reads.size(), 2u);
  for (const TraceEvent* begin : reads) {
    EXPECT_GE(begin->processor, 0);
    EXPECT_NE(begin->context_name, "");
    const std::ptrdiff_t end = end_of(events, begin);
    ASSERT_GT(end, begin - events.data()) << "the dispatch span never ends";
    EXPECT_GE(events[end].decision, begin->decision);
    EXPECT_EQ(events[end].context, begin->context);
    // STATUS_PENDING: the IRP is marked pended as the routine returns.
    const auto pended = std::find_if(events.begin() + end, events.end(), [&](const TraceEvent& event) {
      return event.category == "irp" && event.id == begin->id && event.name.ends_with("pended");
    });
    EXPECT_NE(pended, events.end());
  }
  EXPECT_EQ(matching(events, Phase::Begin, "dispatch", "IRP_MJ_CREATE csq_queue!CsqQueueCreate").size(), 1u);
  EXPECT_EQ(matching(events, Phase::Begin, "dispatch", "IRP_MJ_DEVICE_CONTROL csq_queue!").size(), 1u);
}

TEST_F(TraceTest, CancellingTheFirstReadRunsTheCancelRoutineUnderTheCancelSpinLock) {
  const auto& events = traced->events;
  const auto reads = matching(events, Phase::Begin, "dispatch", "IRP_MJ_READ");
  ASSERT_EQ(reads.size(), 2u);
  const std::uint64_t first = reads[0]->id;
  const auto cancelled = matching(events, Phase::Instant, "irp", "cancelled");
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0]->id, first);
  const auto cancel = matching(events, Phase::Begin, "cancel");
  ASSERT_EQ(cancel.size(), 1u);
  EXPECT_EQ(cancel[0]->id, first);
  // The queue's cancel routine is the I/O manager's (IoCsqInsertIrpEx set it), named by its library.
  EXPECT_TRUE(starts_with(cancel[0]->name, "cancel wdmlab_io!")) << cancel[0]->name;
  EXPECT_FALSE(cancel[0]->name.ends_with(")")) << cancel[0]->name;
  EXPECT_GT(end_of(events, cancel[0]), cancel[0] - events.data());
  EXPECT_LT(cancelled[0], cancel[0]);
  // IoCancelIrp took the cancel spin lock before it called the routine.
  const auto locks = matching(events, Phase::Begin, "lock", "cancel spin lock");
  ASSERT_FALSE(locks.empty());
  EXPECT_TRUE(std::any_of(locks.begin(), locks.end(), [&](const TraceEvent* lock) {
    return lock < cancel[0] && lock->context == cancel[0]->context && end_of(events, lock) > cancel[0] - events.data();
  }));
}

TEST_F(TraceTest, TheTimersDpcRunsOnAProcessorsDpcContextAndCompletesTheSecondRead) {
  const auto& events = traced->events;
  const auto dpcs = matching(events, Phase::Begin, "dpc", "DPC csq_queue!CsqQueueTimerDpc");
  ASSERT_EQ(dpcs.size(), 1u);
  const TraceEvent& dpc = *dpcs[0];
  ASSERT_GE(dpc.processor, 0);
  EXPECT_EQ(dpc.context_name, "DPC/" + std::to_string(dpc.processor));
  const std::ptrdiff_t end = end_of(events, &dpc);
  ASSERT_GT(end, dpcs[0] - events.data());
  const std::uint64_t second = matching(events, Phase::Begin, "dispatch", "IRP_MJ_READ")[1]->id;
  const auto completed = std::find_if(events.begin(), events.end(), [&](const TraceEvent& event) {
    return event.category == "irp" && event.id == second && event.name.ends_with("completed");
  });
  ASSERT_NE(completed, events.end());
  EXPECT_GT(completed - events.begin(), dpcs[0] - events.data());
  EXPECT_LT(completed - events.begin(), end);
  EXPECT_EQ(completed->context, dpc.context);
}

TEST_F(TraceTest, EveryIrpThatIsAllocatedIsFreedOnceAfterwards) {
  const auto& events = traced->events;
  std::map<std::uint64_t, int> open;
  std::size_t lifetimes = 0;
  for (const TraceEvent& event : events) {
    if (event.phase == Phase::AsyncBegin) {
      EXPECT_EQ(open[event.id]++, 0) << event.name << " allocated twice";
      ++lifetimes;
    } else if (event.phase == Phase::AsyncEnd) {
      EXPECT_EQ(open[event.id]--, 1) << event.name << " freed without being allocated";
    }
  }
  for (const auto& [id, count] : open) EXPECT_EQ(count, 0) << "IRP " << id << " never freed";
  // create, 2 reads, the control request, cleanup, close.
  EXPECT_GE(lifetimes, 6u);
}

// What chrome://tracing and Perfetto need: metadata naming the process and each processor's
// track, and on every track spans that nest (an E closes the innermost open B there).
void expect_well_formed(const std::string& text, const std::string& title) {
  const nlohmann::json document = nlohmann::json::parse(text);
  ASSERT_TRUE(document.contains("traceEvents"));
  const nlohmann::json& events = document["traceEvents"];
  ASSERT_TRUE(events.is_array());
  std::set<std::string> thread_names;
  bool process_named = false;
  std::map<int, std::vector<std::string>> open;
  std::map<std::string, int> async;
  std::size_t spans = 0;
  for (const nlohmann::json& event : events) {
    const std::string phase = event.at("ph");
    if (phase == "M") {
      if (event.at("name") == "process_name") process_named = event.at("args").at("name") == title;
      if (event.at("name") == "thread_name") thread_names.insert(event.at("args").at("name").get<std::string>());
      continue;
    }
    ASSERT_TRUE(event.at("ts").is_number());
    const int tid = event.at("tid");
    if (phase == "B") {
      open[tid].push_back(event.at("name"));
      ++spans;
      EXPECT_TRUE(event.at("args").contains("decision"));
      EXPECT_TRUE(event.at("args").contains("context"));
    } else if (phase == "E") {
      ASSERT_FALSE(open[tid].empty()) << "an E with no open B on track " << tid;
      EXPECT_EQ(open[tid].back(), event.at("name").get<std::string>());
      open[tid].pop_back();
    } else if (phase == "b") {
      EXPECT_EQ(event.at("cat"), "irp");
      ++async[event.at("id").get<std::string>()];
    } else if (phase == "e") {
      --async[event.at("id").get<std::string>()];
    } else {
      ASSERT_EQ(phase, "i");
      EXPECT_TRUE(event.at("s") == "t" || event.at("s") == "g");
    }
  }
  EXPECT_TRUE(process_named);
  EXPECT_TRUE(thread_names.contains("CPU 0"));
  EXPECT_TRUE(thread_names.contains("CPU 1"));
  EXPECT_GT(spans, 0u);
  for (const auto& [tid, names] : open) EXPECT_TRUE(names.empty()) << names.size() << " spans left open on " << tid;
  for (const auto& [id, balance] : async) EXPECT_EQ(balance, 0) << "IRP " << id;
}

TEST_F(TraceTest, TheChromeTraceIsWellFormedOnEveryTrack) {
  expect_well_formed(to_chrome_trace(traced->events, "csq_queue cancel and timer"), "csq_queue cancel and timer");
}

TEST_F(TraceTest, TheFindingIsAGlobalInstantWithItsCode) {
  Finding finding;
  finding.code = 0xC9;
  finding.name = "DRIVER_VERIFIER_IOMANAGER_VIOLATION";
  finding.virtual_time = traced->events.back().time;
  const nlohmann::json document = nlohmann::json::parse(to_chrome_trace(traced->events, "run", &finding));
  const auto& events = document["traceEvents"];
  const auto instant = std::find_if(events.begin(), events.end(), [](const nlohmann::json& event) {
    return event.at("ph") == "i" && event.at("cat") == "finding";
  });
  ASSERT_NE(instant, events.end());
  EXPECT_EQ(instant->at("s"), "g");
  EXPECT_EQ(instant->at("name"), finding.summary());
  EXPECT_EQ(instant->at("args").at("code"), "0x000000c9");
}

TEST_F(TraceTest, TheInterleavingKeepsTheLastLines) {
  const std::string all = interleaving_text(traced->events, traced->events.size());
  EXPECT_NE(all.find("IRP_MJ_READ csq_queue!CsqQueueRead begins"), std::string::npos) << all;
  EXPECT_NE(all.find("IRP_MJ_READ csq_queue!CsqQueueRead ends"), std::string::npos);
  EXPECT_NE(all.find("DPC csq_queue!CsqQueueTimerDpc begins"), std::string::npos);
  const std::string last = interleaving_text(traced->events, 5);
  EXPECT_EQ(std::count(last.begin(), last.end(), '\n'), 5);
  EXPECT_TRUE(all.ends_with(last));
}

TraceEvent event(Phase phase, const char* category, std::string name, std::uint64_t decision, int processor,
                 std::uint32_t context, std::uint64_t id = 0) {
  return {.phase = phase, .category = category, .name = std::move(name), .time = decision, .decision = decision,
          .processor = processor, .context = context, .context_name = "context " + std::to_string(context), .id = id};
}

// The B/E events of the Chrome trace as "tid:ph:name" lines, in order.
std::vector<std::string> spans_of(const std::string& text) {
  std::vector<std::string> spans;
  const nlohmann::json document = nlohmann::json::parse(text);
  for (const nlohmann::json& record : document["traceEvents"]) {
    const std::string phase = record.at("ph");
    if (phase == "B" || phase == "E") {
      spans.push_back(std::to_string(record.at("tid").get<int>()) + ":" + phase + ":" +
                      record.at("name").get<std::string>());
    }
  }
  return spans;
}

// A span open in a context that another context displaces on its processor ends there, and
// begins again on the processor where its context runs next; a lock released out of order ends
// the inner span and begins it again around the release.
TEST(Trace, SpansMoveWithTheirContextAndNestOnEveryTrack) {
  const std::vector<TraceEvent> events = {
      event(Phase::Instant, "switch", "runs on CPU0", 1, 0, 1),
      event(Phase::Begin, "dispatch", "read", 2, 0, 1, 0x10),
      event(Phase::Begin, "lock", "lock A", 3, 0, 1, 0xA),
      event(Phase::Begin, "lock", "lock B", 4, 0, 1, 0xB),
      event(Phase::End, "lock", "", 5, 0, 1, 0xA),
      event(Phase::Instant, "switch", "runs on CPU0", 6, 0, 2),
      event(Phase::Begin, "dpc", "dpc", 7, 0, 2, 0x20),
      event(Phase::End, "dpc", "", 8, 0, 2, 0x20),
      event(Phase::Instant, "switch", "runs on CPU1", 9, 1, 1),
      event(Phase::End, "lock", "", 10, 1, 1, 0xB),
  };
  const std::vector<std::string> expected = {
      "1:B:read", "1:B:lock A", "1:B:lock B",
      "1:E:lock B", "1:E:lock A", "1:B:lock B",   // lock A released inside lock B's hold
      "1:E:lock B", "1:E:read",                  // context 2 takes CPU0
      "1:B:dpc", "1:E:dpc",
      "2:B:read", "2:B:lock B",                  // context 1 goes on on CPU1
      "2:E:lock B",
      "2:E:read",                                // still open when the trace ends
  };
  EXPECT_EQ(spans_of(to_chrome_trace(events, "moves")), expected);
  expect_well_formed(to_chrome_trace(events, "moves"), "moves");
  const std::string text = interleaving_text(events);
  EXPECT_NE(text.find("lock A ends"), std::string::npos) << text;
  EXPECT_NE(text.find("lock B ends"), std::string::npos) << text;
}

TEST(Trace, OffRecordsNothingAndOnLeavesTheScheduleAsItWas) {
  for (std::uint64_t seed : {1, 2, 3}) {
    const Outcome untraced = run_scenario({.seed = seed});
    const Outcome traced = run_scenario({.seed = seed, .trace = true});
    EXPECT_TRUE(untraced.events.empty());
    EXPECT_FALSE(traced.events.empty());
    EXPECT_EQ(traced.digest, untraced.digest) << "seed " << seed;
  }
}

TEST(Trace, APolicyThatPreemptsShowsAsPreemptionsAndSpansStayNested) {
  const Outcome traced = run_scenario({.policy = std::make_shared<AlwaysSwitch>(), .trace = true});
  const auto preemptions = matching(traced.events, Phase::Instant, "preemption", "preempted ");
  ASSERT_FALSE(preemptions.empty());
  for (const TraceEvent* preemption : preemptions) {
    EXPECT_NE(preemption->context, 0u);
    EXPECT_NE(preemption->id, preemption->context);  // the chosen context is another one
  }
  const std::string text = to_chrome_trace(traced.events, "always switch");
  expect_well_formed(text, "always switch");
  EXPECT_NE(text.find("\"preemption\""), std::string::npos);
  const Outcome untraced = run_scenario({.policy = std::make_shared<AlwaysSwitch>()});
  EXPECT_EQ(traced.digest, untraced.digest);
}

}  // namespace
}  // namespace wdmlab::test
