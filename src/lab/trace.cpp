// The event trace as a picture: Chrome trace-event JSON and a text interleaving (wdmlab/trace.hpp).
//
// Track layout (docs/trace.md): one track per simulated processor, plus one for events outside
// any processor. A context's open spans are shown on the track of the processor it runs on; when
// another context starts on that processor, or the context leaves it, its spans end there, and
// they begin again wherever it next runs. So each track shows, at any time, the open spans of the
// one context running there, and spans nest on every track.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "wdmlab/trace.hpp"

namespace wdmlab {

namespace {

using Phase = TraceEvent::Phase;
using nlohmann::json;

constexpr int kProcessId = 1;
constexpr int kNoProcessorTrack = 1000;

int track_of(int processor) { return processor >= 0 ? processor + 1 : kNoProcessorTrack; }

double microseconds(std::uint64_t time) { return static_cast<double>(time) / 10.0; }

struct OpenSpan {
  std::string category;
  std::string name;
  std::uint64_t id = 0;
};

// The open spans of one context, innermost last, and the track they are shown on (0: none).
struct ContextSpans {
  std::vector<OpenSpan> stack;
  std::string name;
  int shown_on = 0;
};

class ChromeWriter {
 public:
  explicit ChromeWriter(json& out) : out_(out) {}

  void add(const TraceEvent& event) {
    now_ = event.time;
    decision_ = event.decision;
    ContextSpans& spans = contexts_[event.context];
    if (spans.name.empty()) spans.name = event.context_name;
    if (event.category == "switch" && event.processor < 0) {
      hide(spans);
      return;
    }
    const int track = track_of(event.processor);
    show(spans, track);
    switch (event.phase) {
      case Phase::Begin:
        spans.stack.push_back({event.category, event.name, event.id});
        emit_span("B", spans.stack.back(), spans, track);
        break;
      case Phase::End:
        end(spans, event, track);
        break;
      case Phase::Instant:
        if (event.category != "switch") instant(event, track, "t");
        break;
      case Phase::AsyncBegin:
      case Phase::AsyncEnd: {
        json record = base_record(event.phase == Phase::AsyncBegin ? "b" : "e", event.name, event.category, track,
                                  event.context_name);
        record["id"] = fmt::format("{:#x}", event.id);
        out_.push_back(std::move(record));
        break;
      }
    }
  }

  void finding(const Finding& finding) {
    json record = base_record("i", finding.summary(), "finding", kNoProcessorTrack, finding.context.name);
    record["s"] = "g";
    record["args"]["code"] = fmt::format("{:#010x}", finding.code);
    record["args"]["name"] = finding.name;
    if (finding.virtual_time != 0) record["ts"] = microseconds(std::max(finding.virtual_time, now_));
    out_.push_back(std::move(record));
  }

  // Spans still open when the trace ends (a context abandoned by a fatal finding, or a run that
  // stopped while they were open) end at its last timestamp.
  void close_all() {
    for (auto& [id, spans] : contexts_) hide(spans);
  }

 private:
  json base_record(const char* phase, const std::string& name, const std::string& category, int track,
                   const std::string& context) const {
    json record = {{"ph", phase}, {"name", name},    {"cat", category},
                   {"pid", kProcessId}, {"tid", track}, {"ts", microseconds(now_)}};
    record["args"] = {{"context", context}, {"decision", decision_}};
    return record;
  }

  void emit_span(const char* phase, const OpenSpan& span, const ContextSpans& spans, int track) {
    json record = base_record(phase, span.name, span.category, track, spans.name);
    if (span.id != 0) record["args"]["id"] = fmt::format("{:#x}", span.id);
    out_.push_back(std::move(record));
  }

  void instant(const TraceEvent& event, int track, const char* scope) {
    json record = base_record("i", event.name, event.category, track, event.context_name);
    record["s"] = scope;
    out_.push_back(std::move(record));
  }

  // Ends every open span of `spans` on the track it is shown on.
  void hide(ContextSpans& spans) {
    if (spans.shown_on == 0) return;
    for (auto it = spans.stack.rbegin(); it != spans.stack.rend(); ++it) emit_span("E", *it, spans, spans.shown_on);
    if (occupant_[spans.shown_on] == &spans) occupant_[spans.shown_on] = nullptr;
    spans.shown_on = 0;
  }

  // Moves the context's open spans to `track`, ending those of the context shown there before.
  void show(ContextSpans& spans, int track) {
    if (spans.shown_on == track) return;
    hide(spans);
    if (ContextSpans* other = occupant_[track]; other != nullptr) hide(*other);
    occupant_[track] = &spans;
    spans.shown_on = track;
    for (const OpenSpan& span : spans.stack) emit_span("B", span, spans, track);
  }

  // Ends the innermost open span of the event's kind (matched by id when it has one); spans opened
  // inside it and still open (a lock released out of order) end and begin again around it.
  void end(ContextSpans& spans, const TraceEvent& event, int track) {
    auto match = std::find_if(spans.stack.rbegin(), spans.stack.rend(), [&](const OpenSpan& span) {
      return span.category == event.category && (event.id == 0 || span.id == event.id);
    });
    if (match == spans.stack.rend()) return;  // began before the trace did
    const auto index = static_cast<std::size_t>(std::distance(match, spans.stack.rend()) - 1);
    for (std::size_t i = spans.stack.size(); i-- > index;) emit_span("E", spans.stack[i], spans, track);
    spans.stack.erase(spans.stack.begin() + static_cast<std::ptrdiff_t>(index));
    for (std::size_t i = index; i < spans.stack.size(); ++i) emit_span("B", spans.stack[i], spans, track);
  }

  json& out_;
  std::uint64_t now_ = 0;
  std::uint64_t decision_ = 0;
  std::map<std::uint32_t, ContextSpans> contexts_;
  std::unordered_map<int, ContextSpans*> occupant_;
};

json thread_name(int track, const std::string& name) {
  return {{"ph", "M"}, {"name", "thread_name"}, {"pid", kProcessId}, {"tid", track}, {"args", {{"name", name}}}};
}

json thread_order(int track, int index) {
  return {{"ph", "M"}, {"name", "thread_sort_index"}, {"pid", kProcessId}, {"tid", track},
          {"args", {{"sort_index", index}}}};
}

}  // namespace

std::string to_chrome_trace(const std::vector<TraceEvent>& events, const std::string& title, const Finding* finding) {
  json trace_events = json::array();
  trace_events.push_back({{"ph", "M"}, {"name", "process_name"}, {"pid", kProcessId}, {"args", {{"name", title}}}});
  int processors = 0;
  for (const TraceEvent& event : events) processors = std::max(processors, event.processor + 1);
  if (finding != nullptr) processors = std::max(processors, finding->context.processor + 1);
  for (int cpu = 0; cpu < processors; ++cpu) {
    trace_events.push_back(thread_name(track_of(cpu), fmt::format("CPU {}", cpu)));
    trace_events.push_back(thread_order(track_of(cpu), cpu));
  }
  trace_events.push_back(thread_name(kNoProcessorTrack, "no processor"));
  trace_events.push_back(thread_order(kNoProcessorTrack, processors));

  ChromeWriter writer(trace_events);
  for (const TraceEvent& event : events) writer.add(event);
  writer.close_all();
  if (finding != nullptr) writer.finding(*finding);
  json document = {{"traceEvents", std::move(trace_events)}, {"displayTimeUnit", "ns"}};
  document["otherData"] = {{"title", title}, {"time", "virtual; 1 us = 10 ticks of 100 ns"}};
  return document.dump();
}

std::string interleaving_text(const std::vector<TraceEvent>& events, std::size_t max_lines) {
  std::vector<std::string> lines;
  // The Begin events of the open spans per context, to say what an End ends.
  std::unordered_map<std::uint32_t, std::vector<const TraceEvent*>> open;
  for (const TraceEvent& event : events) {
    std::string what;
    auto& stack = open[event.context];
    switch (event.phase) {
      case Phase::Begin:
        stack.push_back(&event);
        what = event.name + " begins";
        break;
      case Phase::End: {
        auto match = std::find_if(stack.rbegin(), stack.rend(), [&](const TraceEvent* begin) {
          return begin->category == event.category && (event.id == 0 || begin->id == event.id);
        });
        if (match == stack.rend()) continue;
        what = (*match)->name + " ends";
        stack.erase(std::next(match).base());
        break;
      }
      case Phase::Instant:
        what = event.name;
        break;
      case Phase::AsyncBegin:
        what = event.name + " allocated";
        break;
      case Phase::AsyncEnd:
        what = event.name + " freed";
        break;
    }
    const std::string cpu = event.processor >= 0 ? fmt::format("CPU{}", event.processor) : std::string("-");
    lines.push_back(fmt::format("  [d {:>6}] {:<5} {:<14} {}", event.decision, cpu,
                                event.context_name.empty() ? std::string("-") : event.context_name, what));
  }
  const std::size_t first = lines.size() > max_lines ? lines.size() - max_lines : 0;
  std::string text;
  for (std::size_t i = first; i < lines.size(); ++i) {
    text += lines[i];
    text += '\n';
  }
  return text;
}

}  // namespace wdmlab
