// wdmlab/explore.hpp - the race explorer: run one scenario under many schedules, collect what it
// finds, replay any finding exactly, shrink it to its fewest preemptions.
//
//   wdmlab::ExploreOptions options{.schedules = 10'000, .strategy = wdmlab::pct(2)};
//   options.lab.processors = 2;
//   auto result = wdmlab::explore([](wdmlab::Lab& lab) {
//     lab.load_driver(DriverEntry, "sample");
//     lab.spawn("reader", [] { ... });
//     lab.spawn("canceller", [] { ... });
//   }, options);
//   for (const auto& found : result.findings) std::cout << found.report();
//
// Each schedule is one fresh Lab: the scenario sets it up (loads drivers, starts threads), the
// explorer runs it until it is idle or stopped (then checks its end state if asked), and keeps its
// findings. A strategy is only a scheduling policy (wdmlab/policy.hpp) chosen per schedule, so a
// schedule is fully determined by (build, scenario, strategy, seed, processors); the choices it
// made are kept as a trace, which replays it even where the strategy could not be rebuilt.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wdmlab/finding.hpp"
#include "wdmlab/lab.hpp"

namespace wdmlab {

// How the schedules of an exploration are chosen.
struct Strategy {
  enum class Kind : std::uint8_t {
    Random,     // a uniformly random choice at every scheduling point, one seed per schedule
    Pct,        // PCT with bug depth `depth` (make_pct_policy), one seed per schedule
    Bounded,    // every interleaving with at most `bound` preemptions, depth first
    Portfolio,  // schedule i uses members[i % members.size()]
  };
  Kind kind = Kind::Pct;
  unsigned depth = 2;       // Pct
  std::uint64_t steps = 0;  // Pct: scheduling choices per schedule; 0 = learned from earlier schedules
  unsigned bound = 2;       // Bounded: preemptions
  std::vector<Strategy> members;  // Portfolio

  // "random", "pct(2)", "pct(2, steps=400)", "bounded(2)", "portfolio(pct(2), random)".
  std::string name() const;
  // The inverse of name(); also accepts "pct:2", "bounded:2" and "dfs:2" (as the CLI does).
  // Throws UsageError naming what is wrong.
  static Strategy parse(std::string_view text);
};

Strategy random_strategy();
Strategy pct(unsigned depth, std::uint64_t steps = 0);
Strategy bounded(unsigned preemptions);
Strategy portfolio(std::vector<Strategy> members);

// This worker's part of an exploration spread over `count` workers: schedule i (0-based, over the
// whole exploration) is run by worker i % count. Disjoint, and together complete.
struct Shard {
  unsigned index = 0;
  unsigned count = 1;
  // "i/N" -> {i, N}; throws UsageError unless 0 <= i < N.
  static Shard parse(std::string_view text);
};

// The choices one schedule made: what replays it exactly.
struct Schedule {
  std::string build_id;  // of the program that ran it (GNU build ID, hex); "" if unknown
  std::string strategy;  // the strategy that chose it, as Strategy::name() plus its parameters
  std::uint64_t seed = 0;
  unsigned processors = 1;
  // The context chosen at each scheduling choice (each decision with more than one candidate), by
  // context id, in order.
  std::vector<std::uint32_t> choices;
  // Choices that switched away from a context that could have gone on (the preemptions), by index
  // into `choices`.
  std::vector<std::uint32_t> preemptions;

  // One line: "wdmlab-schedule 1 build=<id> processors=2 seed=7 strategy=pct(2) choices=3x4,5,3x2".
  std::string to_string() const;
  // The inverse of to_string(); throws UsageError naming what is wrong.
  static Schedule parse(std::string_view text);
};

// What an exploration keeps of one distinct finding.
struct ExploredFinding {
  Finding finding;             // as the first schedule that made it reported it
  std::string key;             // what makes it distinct: code, site parameters, rule, driver and test frames
  Schedule schedule;           // the first schedule that made it
  std::uint64_t schedule_index = 0;  // that schedule's index in the exploration (0-based)
  std::uint64_t occurrences = 0;     // schedules that made it
  // The shrunk schedule (ExploreOptions::shrink): the fewest preemptions found that still make a
  // finding with the same key. Equal to `schedule` when nothing could be taken out.
  Schedule shrunk;
  // The bounded search below shrunk's preemption count ran to exhaustion without the finding:
  // no schedule with fewer preemptions makes it.
  bool shrunk_minimal = false;
  // The command that replays `shrunk` (ExploreOptions::replay_command with its schedule).
  std::string replay_command;
  // The race as a picture: Chrome trace-event JSON (chrome://tracing, ui.perfetto.dev) of the
  // shrunk schedule's replay, and its compact text interleaving (ExploreOptions::picture).
  std::string chrome_trace;
  std::string interleaving;

  // The finding's report (Finding::to_text) followed by the schedule, its preemption counts, the
  // interleaving and the command that replays it.
  std::string report() const;
};

// The scenario one schedule runs: sets up a fresh lab. The explorer then runs it until idle.
using Scenario = std::function<void(Lab&)>;
// Checks a schedule's end state, on the host, with the lab still alive after its run: returns what
// is wrong ("the counter is 1, not 2"), or "" if nothing is. Something wrong becomes a finding,
// WDMLAB_SCENARIO_CHECK_FAILED (0x574C0007), like any other.
using EndCheck = std::function<std::string(Lab&)>;

struct ExploreOptions {
  std::uint64_t schedules = 1000;  // at most this many schedules over the whole exploration
  std::chrono::milliseconds time_budget{0};  // stop after this long (0: no limit)
  Strategy strategy = pct(2);
  std::uint64_t seed = 1;  // schedule i uses seed + i
  bool stop_at_first = true;  // stop at the first finding; otherwise collect every distinct one
  Shard shard;
  // The machine every schedule runs on (processors, verifier, budgets). Its seed and policy are
  // replaced per schedule.
  LabOptions lab = default_lab();
  // After this many scheduling choices in one schedule, the choices become fair (uniformly
  // random from the schedule's seed), so code that polls or spins cannot livelock a strategy
  // that would keep choosing the spinner.
  std::uint64_t fair_after = 10'000;
  bool shrink = true;   // shrink each distinct finding's schedule to its fewest preemptions
  bool picture = true;  // replay each distinct finding with tracing for its picture
  EndCheck check;
  // How a user replays a schedule: a command line in which @SCHEDULE@ stands for the schedule's
  // text in single quotes, or to which it is appended (the CLI sets "wdmlab replay <sample>
  // --schedule", the GoogleTest integration an environment variable and the test's filter).
  // Empty: the replay() call is named instead.
  std::string replay_command;
  // Runs the shrinking may take per distinct finding.
  std::uint64_t shrink_budget = 3000;

  // The default machine: LabOptions' defaults on 2 processors.
  static LabOptions default_lab();
};

struct ExploreResult {
  std::string strategy;  // Strategy::name()
  std::uint64_t schedules = 0;  // schedules run by this worker
  std::uint64_t schedules_with_findings = 0;
  // Distinct interleavings among them: schedules whose sequence of scheduling decisions differed
  // (Lab::schedule_digest).
  std::uint64_t distinct_interleavings = 0;
  // (schedules run, distinct interleavings) after 1, 2, 4, 8, ... schedules and at the end: a
  // curve that flattens says more schedules of this strategy explore little that is new.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> coverage;
  // Bounded: the whole bounded space was run (no interleaving within the bound is left).
  bool exhausted = false;
  bool stopped_by_time = false;
  std::chrono::nanoseconds elapsed{0};
  std::uint64_t longest_schedule = 0;  // most scheduling choices in one schedule (PCT's estimate)
  std::vector<ExploredFinding> findings;  // distinct, in the order first found

  // Text summary: strategy, schedules, coverage, and every finding's report.
  std::string report() const;
};

ExploreResult explore(const Scenario& scenario, const ExploreOptions& options);

// Results of several workers (shards) of one exploration as one: schedules and findings summed,
// findings deduplicated by key (the one from the lowest schedule index is kept).
ExploreResult merge(std::vector<ExploreResult> results);

struct ReplayResult {
  std::vector<Finding> findings;
  bool diverged = false;
  // Where and how the run left the schedule: "choice 12 (decision 40): the schedule ran context 5,
  // this run offers 3 (reader), 4 (DPC/1)". Empty if it followed the schedule to its end.
  std::string divergence;
  std::uint64_t choices = 0;  // scheduling choices the run made
};

// Runs `scenario` once under `schedule`'s choices on `lab` (its processors and seed replaced by the
// schedule's). A run that stops offering the scheduled context, or goes on past the schedule's
// end, continues without preemptions and reports where it diverged.
ReplayResult replay(const Scenario& scenario, const Schedule& schedule, LabOptions lab = ExploreOptions::default_lab(),
                    const EndCheck& check = {});

// The GNU build ID of the running program, hex ("" if it has none).
std::string build_id();

}  // namespace wdmlab
