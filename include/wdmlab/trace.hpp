// wdmlab/trace.hpp - what happened in a run, as events on a timeline: the picture of a race.
//
// With LabOptions::trace set, the lab records an event whenever a dispatch routine, StartIo, a DPC,
// a cancel routine or a completion routine starts or ends, a spin lock is acquired or released, an
// IRP is allocated, pended (its dispatch routine returned STATUS_PENDING), cancelled, completed or
// freed, a context starts running on a processor or leaves it, and the scheduler preempts a
// context that could have gone on. Recording costs nothing when it is off (one flag test at each
// place), and never changes the run: a traced run has the schedule of the untraced one. What is
// recorded, the track layout and how to open the picture: docs/trace.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wdmlab/finding.hpp"

namespace wdmlab {

struct TraceEvent {
  enum class Phase : std::uint8_t {
    Begin,    // a span starts on the context's track (dispatch, DPC, cancel, completion, lock hold)
    End,      // the innermost open span of that context ends
    Instant,  // a point: preemption, IRP pended/cancelled, the finding
    AsyncBegin,  // an IRP's lifetime starts (matched by `id`)
    AsyncEnd,    // an IRP's lifetime ends
  };
  Phase phase = Phase::Instant;
  // "dispatch", "start_io", "dpc", "cancel", "completion", "lock", "irp", "preemption", "switch",
  // "finding".
  std::string category;
  // What it is: "IRP_MJ_READ csq_queue!CsqRead", "spin lock 0x7f...", "IRP 0x7f... cancelled",
  // "preempted reader for DPC/1", "runs on CPU1", "leaves its processor". An End may leave it
  // empty: it ends the innermost open span of its category (and id, when it has one).
  std::string name;
  std::uint64_t time = 0;      // virtual time, 100 ns units
  std::uint64_t decision = 0;  // scheduling decisions taken before it
  // The processor it happened on; -1 for none (a "switch" with -1: the context left its
  // processor, blocked or finished).
  int processor = -1;
  std::uint32_t context = 0;   // the context it happened in (0 for none)
  std::string context_name;
  // The IRP, lock or KDPC address, for matching async and span events; for a preemption, the
  // chosen context.
  std::uint64_t id = 0;
};

// The events as Chrome trace-event JSON (the "traceEvents" array format that chrome://tracing and
// ui.perfetto.dev open): one track (tid) per simulated processor, named "CPU n", and one named
// "no processor", in one process named `title`; spans as B/E, IRP lifetimes as async b/e (cat
// "irp", id the IRP's address), preemptions and IRP events as instants on their track and the
// finding (if given) as a global instant whose args hold its code. A context's open spans show on
// the track of the processor it runs on: they end there when another context takes the processor
// or it leaves it, and begin again where it runs next, so spans nest on every track. Timestamps
// are virtual microseconds (time / 10); args carry the context's name and the decision number.
std::string to_chrome_trace(const std::vector<TraceEvent>& events, const std::string& title,
                            const Finding* finding = nullptr);

// A compact text interleaving: one line per event that changes who runs or what happens to an
// IRP, "  [d 120] CPU1 reader      IRP_MJ_READ csq_queue!CsqRead begins", at most `max_lines` lines
// (the last ones, which end at the finding, are kept).
std::string interleaving_text(const std::vector<TraceEvent>& events, std::size_t max_lines = 60);

}  // namespace wdmlab
