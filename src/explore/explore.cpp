// The race explorer: strategies as generators of per-schedule policies, the exploration loop,
// deduplication, coverage, replay and shrinking.
#include "wdmlab/explore.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "explore/recorder.hpp"
#include "wdmlab/errors.hpp"
#include "wdmlab/trace.hpp"

namespace wdmlab {

namespace {

using exploration::Follow;
using exploration::kNoContext;
using exploration::Record;
using exploration::Recorder;

constexpr std::uint32_t kScenarioCheckFailed = 0x574C0007;
constexpr std::uint64_t kNoFair = ~0ull;
// PCT's step estimate before any schedule of the exploration has run.
constexpr std::uint64_t kFirstStepEstimate = 100;

// How one schedule is to be chosen.
struct Plan {
  std::string strategy;  // the concrete strategy, e.g. "pct(2, steps=57)"
  std::uint64_t seed = 0;
  std::unique_ptr<SchedulingPolicy> policy;  // null: the guide, then no preemptions
  std::vector<std::uint32_t> prefix;         // a bounded search's guide
  bool keep_options = false;
};

// What one run of the scenario left.
struct Run {
  std::vector<Finding> findings;
  Record record;
  std::uint64_t digest = 0;
  std::string divergence;
  std::vector<TraceEvent> trace;  // LabOptions::trace only
};

// Runs `scenario` once on a fresh lab under `recorder`.
Run run_once(const Scenario& scenario, LabOptions lab, const std::shared_ptr<Recorder>& recorder,
             const EndCheck& check) {
  lab.policy = recorder;
  lab.record_schedule = false;
  Run run;
  {
    Lab machine(std::move(lab));
    try {
      scenario(machine);
      if (!machine.stopped()) machine.run_until_idle();
    } catch (const UsageError&) {
      // load_driver throws when the driver's own code stopped the machine: that is a finding.
      if (!machine.stopped()) throw;
    }
    run.findings = machine.findings();
    run.digest = machine.schedule_digest();
    run.trace = machine.trace();
    if (check && !machine.stopped()) {
      if (std::string wrong = check(machine); !wrong.empty()) {
        Finding finding;
        finding.code = kScenarioCheckFailed;
        finding.name = bug_check_name(kScenarioCheckFailed);
        finding.parameters = {recorder->record().chosen.size(), recorder->record().preemptions.size(), 0, 0};
        finding.description = "The scenario's end-state check failed: " + wrong;
        finding.virtual_time = machine.now();
        finding.decision = machine.decisions();
        run.findings.push_back(std::move(finding));
      }
    }
  }
  run.divergence = recorder->divergence();
  run.record = recorder->take_record();
  return run;
}

Run run_plan(const Scenario& scenario, const ExploreOptions& options, Plan& plan) {
  LabOptions lab = options.lab;
  lab.seed = plan.seed;
  auto recorder = std::make_shared<Recorder>(std::move(plan.policy), plan.seed, options.fair_after, plan.keep_options);
  if (!plan.prefix.empty()) recorder->follow(std::move(plan.prefix), Follow::Prefix);
  return run_once(scenario, std::move(lab), recorder, options.check);
}

// Runs `scenario` once following `schedule` strictly, on `lab` with the schedule's machine.
Run run_schedule(const Scenario& scenario, const Schedule& schedule, LabOptions lab, const EndCheck& check) {
  lab.processors = schedule.processors;
  lab.seed = schedule.seed;
  auto recorder = std::make_shared<Recorder>(nullptr, schedule.seed, kNoFair, false);
  recorder->follow(schedule.choices, Follow::Strict);
  return run_once(scenario, std::move(lab), recorder, check);
}

Schedule schedule_of(const Run& run, const std::string& strategy, std::uint64_t seed, unsigned processors) {
  return Schedule{.build_id = build_id(),
                  .strategy = strategy,
                  .seed = seed,
                  .processors = processors,
                  .choices = run.record.chosen,
                  .preemptions = run.record.preemptions};
}

// --- strategies as generators of plans -----------------------------------------------------------

class Generator {
 public:
  virtual ~Generator() = default;
  // The plan of schedule `index`; false when the strategy has nothing left to run.
  virtual bool next(std::uint64_t index, Plan& plan) = 0;
  // Told every run of a plan it made.
  virtual void done(const Run& run) = 0;
  virtual bool exhausted() const { return false; }
};

// Random and PCT: one seed per schedule.
class SeededGenerator final : public Generator {
 public:
  SeededGenerator(const Strategy& strategy, std::uint64_t first_seed) : strategy_(strategy), first_seed_(first_seed) {}
  bool next(std::uint64_t index, Plan& plan) override {
    plan.seed = first_seed_ + index;
    if (strategy_.kind == Strategy::Kind::Random) {
      plan.strategy = "random";
      plan.policy = make_random_policy(plan.seed);
      return true;
    }
    const std::uint64_t learned = longest_ != 0 ? longest_ : kFirstStepEstimate;
    const std::uint64_t steps = strategy_.steps != 0 ? strategy_.steps : learned;
    plan.strategy = pct(strategy_.depth, steps).name();
    plan.policy = make_pct_policy(plan.seed, strategy_.depth, steps);
    return true;
  }
  void done(const Run& run) override {
    longest_ = std::max<std::uint64_t>(longest_, std::min<std::uint64_t>(run.record.chosen.size(), run.record.fair_from));
  }

 private:
  Strategy strategy_;
  std::uint64_t first_seed_;
  std::uint64_t longest_ = 0;  // the most choices an earlier schedule made: PCT's learned estimate
};

// Bounded exhaustive search: depth first over the scheduling choices, each schedule a prefix of
// choices followed by no preemptions, with at most `bound` preemptions in all.
class BoundedGenerator final : public Generator {
 public:
  BoundedGenerator(unsigned bound, std::uint64_t seed) : bound_(bound), seed_(seed) {}
  bool next(std::uint64_t, Plan& plan) override {
    if (exhausted_) return false;
    plan.strategy = fmt::format("bounded({})", bound_);
    plan.seed = seed_;
    plan.prefix = prefix_;
    plan.keep_options = true;
    return true;
  }
  void done(const Run& run) override {
    const Record& record = run.record;
    const std::size_t end = std::min<std::size_t>(record.chosen.size(), record.fair_from);
    for (std::size_t k = stack_.size(); k < end; ++k) {
      Point point{record.current[k], {}, record.chosen[k], {}};
      point.options.assign(record.options.begin() + record.offsets[k], record.options.begin() + record.offsets[k + 1]);
      point.tried.assign(point.options.size(), false);
      for (std::size_t j = 0; j < point.options.size(); ++j) point.tried[j] = point.options[j] == point.chosen;
      stack_.push_back(std::move(point));
    }
    backtrack();
  }
  bool exhausted() const override { return exhausted_; }

 private:
  struct Point {
    std::uint32_t current;  // kNoContext: no context could go on
    std::vector<std::uint32_t> options;
    std::uint32_t chosen;
    std::vector<bool> tried;
    bool preempts() const { return current != kNoContext && chosen != current; }
  };

  // The deepest choice with an untried option within the bound becomes the next schedule's last
  // guided choice; none left: the bounded space is exhausted.
  void backtrack() {
    std::vector<unsigned> before(stack_.size() + 1, 0);  // preemptions before each choice
    for (std::size_t k = 0; k < stack_.size(); ++k) before[k + 1] = before[k] + (stack_[k].preempts() ? 1 : 0);
    for (std::size_t k = stack_.size(); k-- > 0;) {
      Point& point = stack_[k];
      for (std::size_t j = 0; j < point.options.size(); ++j) {
        if (point.tried[j]) continue;
        point.tried[j] = true;
        const bool preempts = point.current != kNoContext && point.options[j] != point.current;
        if (before[k] + (preempts ? 1 : 0) > bound_) continue;
        point.chosen = point.options[j];
        stack_.resize(k + 1);
        prefix_.clear();
        for (const Point& p : stack_) prefix_.push_back(p.chosen);
        return;
      }
    }
    stack_.clear();
    exhausted_ = true;
  }

  unsigned bound_;
  std::uint64_t seed_;
  std::vector<Point> stack_;
  std::vector<std::uint32_t> prefix_;
  bool exhausted_ = false;
};

// Schedule i goes to the members in turn, skipping the exhausted ones.
class PortfolioGenerator final : public Generator {
 public:
  explicit PortfolioGenerator(std::vector<std::unique_ptr<Generator>> members) : members_(std::move(members)) {}
  bool next(std::uint64_t index, Plan& plan) override {
    for (std::size_t i = 0; i < members_.size(); ++i) {
      const std::size_t member = (index + i) % members_.size();
      if (members_[member]->exhausted()) continue;
      if (members_[member]->next(index, plan)) {
        last_ = member;
        return true;
      }
    }
    return false;
  }
  void done(const Run& run) override { members_[last_]->done(run); }
  bool exhausted() const override {
    return std::all_of(members_.begin(), members_.end(), [](const auto& m) { return m->exhausted(); });
  }

 private:
  std::vector<std::unique_ptr<Generator>> members_;
  std::size_t last_ = 0;
};

bool has_bounded(const Strategy& strategy) {
  if (strategy.kind == Strategy::Kind::Bounded) return true;
  return std::any_of(strategy.members.begin(), strategy.members.end(), has_bounded);
}

std::unique_ptr<Generator> make_generator(const Strategy& strategy, std::uint64_t seed) {
  switch (strategy.kind) {
    case Strategy::Kind::Random:
    case Strategy::Kind::Pct:
      return std::make_unique<SeededGenerator>(strategy, seed);
    case Strategy::Kind::Bounded:
      return std::make_unique<BoundedGenerator>(strategy.bound, seed);
    case Strategy::Kind::Portfolio: {
      if (strategy.members.empty()) throw UsageError("a portfolio needs at least one strategy");
      std::vector<std::unique_ptr<Generator>> members;
      for (const Strategy& member : strategy.members) members.push_back(make_generator(member, seed));
      return std::make_unique<PortfolioGenerator>(std::move(members));
    }
  }
  throw UsageError("unknown strategy");
}

// --- findings ------------------------------------------------------------------------------------

// Codes whose first parameter says which check it is (a subcode), not where.
bool subcoded(std::uint32_t code) {
  return code == 0xC4 || code == 0xC9 || code == 0xE6 || code == 0xC1 || code == 0x1F2 || code == 0x574C0004;
}

// What makes a finding distinct: its code (and subcode), its rule, and the driver's and test's
// frames of the stack that made it (functions and offsets, which do not change between labs).
std::string finding_key(const Finding& finding) {
  std::string key = fmt::format("{:#x}", finding.code);
  if (subcoded(finding.code)) key += fmt::format("/{:#x}", finding.parameters[0]);
  if (!finding.rule.empty()) key += " " + finding.rule;
  for (const StackFrame& frame : finding.context.stack) {
    if (frame.lab) continue;
    key += frame.function.empty() ? fmt::format(" {}!?", frame.module)
                                  : fmt::format(" {}!{}+{:#x}", frame.module, frame.function, frame.offset);
  }
  return key;
}

bool makes(const Run& run, const std::string& key) {
  return std::any_of(run.findings.begin(), run.findings.end(),
                     [&](const Finding& finding) { return finding_key(finding) == key; });
}

std::string replay_command_for(const ExploreOptions& options, const Schedule& schedule) {
  if (options.replay_command.empty()) {
    return fmt::format("wdmlab::replay(scenario, wdmlab::Schedule::parse(\"{}\"))", schedule.to_string());
  }
  const std::string quoted = fmt::format("'{}'", schedule.to_string());
  std::string command = options.replay_command;
  if (const std::size_t at = command.find("@SCHEDULE@"); at != std::string::npos) {
    return command.replace(at, std::string_view("@SCHEDULE@").size(), quoted);
  }
  return command + " " + quoted;
}

// --- shrinking -------------------------------------------------------------------------------------

// The choices of `record` that a shrinking attempt keeps: every preemption except those in
// [drop_begin, drop_end) of the preemption list, and every choice where no context could go on.
std::vector<exploration::GuideStep> steps_without(const Record& record, std::size_t drop_begin, std::size_t drop_end) {
  std::vector<exploration::GuideStep> steps;
  std::size_t preemption = 0;
  for (std::uint32_t k = 0; k < record.chosen.size(); ++k) {
    const bool preempts = record.current[k] != kNoContext && record.chosen[k] != record.current[k];
    if (preempts) {
      const std::size_t index = preemption++;
      if (index >= drop_begin && index < drop_end) continue;
    } else if (record.current[k] != kNoContext) {
      continue;  // the context went on: what a sparse guide does anyway
    }
    steps.push_back({k, record.chosen[k]});
  }
  return steps;
}

struct Shrunk {
  Run run;
  bool minimal = false;
};

class Shrinker {
 public:
  Shrinker(const Scenario& scenario, const ExploreOptions& options, std::uint64_t seed, std::string key)
      : scenario_(scenario), options_(options), seed_(seed), key_(std::move(key)), budget_(options.shrink_budget) {}

  Shrunk shrink(const Run& found) {
    Shrunk best{found, false};
    drop_chunks(best.run);
    prove_or_improve(best);
    return best;
  }

 private:
  // Takes preemptions out in chunks (halving the chunk size, as delta debugging does), keeping any
  // run with fewer preemptions that still makes the finding.
  void drop_chunks(Run& best) {
    std::size_t chunk = best.record.preemptions.size();
    while (chunk >= 1 && budget_ > 0) {
      bool improved = false;
      for (std::size_t begin = 0; begin < best.record.preemptions.size() && budget_ > 0; begin += chunk) {
        Run attempt = run_sparse(steps_without(best.record, begin, begin + chunk));
        if (makes(attempt, key_) && attempt.record.preemptions.size() < best.record.preemptions.size()) {
          best = std::move(attempt);
          improved = true;
          break;
        }
      }
      if (!improved) chunk /= 2;
      chunk = std::min(chunk, best.record.preemptions.size());
    }
  }

  // Bounded searches below the best count, smallest bound first: the first that makes the finding
  // gives the fewest preemptions; each that is exhausted without it proves that many too few.
  void prove_or_improve(Shrunk& best) {
    for (unsigned bound = 0; bound < best.run.record.preemptions.size(); ++bound) {
      BoundedGenerator search(bound, seed_);
      Plan plan;
      bool found = false;
      while (budget_ > 0 && search.next(0, plan)) {
        --budget_;
        Run run = run_plan(scenario_, options_, plan);
        if (makes(run, key_) && run.record.preemptions.size() <= bound) {
          best.run = std::move(run);
          found = true;
          break;
        }
        search.done(run);
        plan = Plan{};
      }
      if (found) {
        best.minimal = true;
        return;
      }
      if (!search.exhausted()) return;  // out of budget: no proof
    }
    best.minimal = true;
  }

  Run run_sparse(std::vector<exploration::GuideStep> steps) {
    --budget_;
    LabOptions lab = options_.lab;
    lab.seed = seed_;
    auto recorder = std::make_shared<Recorder>(nullptr, seed_, kNoFair, false);
    recorder->follow_sparse(std::move(steps));
    return run_once(scenario_, std::move(lab), recorder, options_.check);
  }

  const Scenario& scenario_;
  const ExploreOptions& options_;
  std::uint64_t seed_;
  std::string key_;
  std::uint64_t budget_;
};

// The finding's picture: its shrunk schedule replayed with the event trace on.
void draw(ExploredFinding& found, const Scenario& scenario, const ExploreOptions& options) {
  LabOptions lab = options.lab;
  lab.trace = true;
  const Run run = run_schedule(scenario, found.shrunk, std::move(lab), options.check);
  // The replay's own finding, whose time and decision are the picture's.
  const auto same = std::find_if(run.findings.begin(), run.findings.end(),
                                 [&](const Finding& finding) { return finding_key(finding) == found.key; });
  const Finding& finding = same != run.findings.end() ? *same : found.finding;
  found.chrome_trace = to_chrome_trace(run.trace, finding.summary(), &finding);
  found.interleaving = interleaving_text(run.trace);
}

void validate(const ExploreOptions& options) {
  if (options.schedules == 0) throw UsageError("an exploration needs at least one schedule");
  if (options.shard.count == 0 || options.shard.index >= options.shard.count) {
    throw UsageError(fmt::format("shard {}/{}: the index must be below the count", options.shard.index,
                                 options.shard.count));
  }
  if (options.shard.count > 1 && has_bounded(options.strategy)) {
    throw UsageError("a bounded search cannot be sharded (each schedule depends on the ones before it); shard "
                     "random or PCT");
  }
}

}  // namespace

LabOptions ExploreOptions::default_lab() {
  LabOptions lab;
  lab.processors = 2;
  return lab;
}

ExploreResult explore(const Scenario& scenario, const ExploreOptions& options) {
  validate(options);
  const auto start = std::chrono::steady_clock::now();
  ExploreResult result;
  result.strategy = options.strategy.name();
  std::unique_ptr<Generator> generator = make_generator(options.strategy, options.seed);
  std::unordered_set<std::uint64_t> digests;
  std::vector<std::shared_ptr<const Run>> first_runs;  // the run that first made each distinct finding
  std::uint64_t next_mark = 1;
  for (std::uint64_t index = 0; index < options.schedules; ++index) {
    if (index % options.shard.count != options.shard.index) continue;
    if (options.time_budget.count() > 0 && std::chrono::steady_clock::now() - start >= options.time_budget) {
      result.stopped_by_time = true;
      break;
    }
    Plan plan;
    if (!generator->next(index, plan)) break;
    const std::string strategy = plan.strategy;
    const std::uint64_t seed = plan.seed;
    Run run = run_plan(scenario, options, plan);
    generator->done(run);
    ++result.schedules;
    digests.insert(run.digest);
    result.longest_schedule = std::max<std::uint64_t>(result.longest_schedule, run.record.chosen.size());
    if (result.schedules == next_mark) {
      result.coverage.emplace_back(result.schedules, digests.size());
      next_mark *= 2;
    }
    if (run.findings.empty()) continue;
    ++result.schedules_with_findings;
    const auto kept = std::make_shared<const Run>(std::move(run));
    for (const Finding& finding : kept->findings) {
      std::string key = finding_key(finding);
      auto same = std::find_if(result.findings.begin(), result.findings.end(),
                               [&](const ExploredFinding& f) { return f.key == key; });
      if (same != result.findings.end()) {
        ++same->occurrences;
        continue;
      }
      ExploredFinding found;
      found.finding = finding;
      found.key = std::move(key);
      found.schedule = schedule_of(*kept, strategy, seed, options.lab.processors);
      found.schedule_index = index;
      found.occurrences = 1;
      result.findings.push_back(std::move(found));
      first_runs.push_back(kept);
    }
    if (options.stop_at_first) break;
  }
  result.exhausted = generator->exhausted();
  if (result.coverage.empty() || result.coverage.back().first != result.schedules) {
    result.coverage.emplace_back(result.schedules, digests.size());
  }
  result.distinct_interleavings = digests.size();
  for (std::size_t i = 0; i < result.findings.size(); ++i) {
    ExploredFinding& found = result.findings[i];
    found.shrunk = found.schedule;
    if (options.shrink) {
      Shrinker shrinker(scenario, options, found.schedule.seed, found.key);
      Shrunk shrunk = shrinker.shrink(*first_runs[i]);
      found.shrunk = schedule_of(shrunk.run, found.schedule.strategy, found.schedule.seed, options.lab.processors);
      found.shrunk_minimal = shrunk.minimal;
    }
    found.replay_command = replay_command_for(options, found.shrunk);
    found.finding.replay = found.replay_command;
    if (options.picture) draw(found, scenario, options);
  }
  result.elapsed = std::chrono::steady_clock::now() - start;
  return result;
}

ReplayResult replay(const Scenario& scenario, const Schedule& schedule, LabOptions lab, const EndCheck& check) {
  Run run = run_schedule(scenario, schedule, std::move(lab), check);
  ReplayResult result;
  result.findings = std::move(run.findings);
  result.divergence = std::move(run.divergence);
  result.diverged = !result.divergence.empty();
  result.choices = run.record.chosen.size();
  return result;
}

ExploreResult merge(std::vector<ExploreResult> results) {
  ExploreResult merged;
  if (results.empty()) return merged;
  merged.strategy = results.front().strategy;
  merged.exhausted = true;
  for (ExploreResult& part : results) {
    merged.schedules += part.schedules;
    merged.schedules_with_findings += part.schedules_with_findings;
    merged.distinct_interleavings += part.distinct_interleavings;  // an upper bound: shards may repeat one
    merged.exhausted = merged.exhausted && part.exhausted;
    merged.stopped_by_time = merged.stopped_by_time || part.stopped_by_time;
    merged.elapsed = std::max(merged.elapsed, part.elapsed);
    merged.longest_schedule = std::max(merged.longest_schedule, part.longest_schedule);
    for (ExploredFinding& found : part.findings) {
      auto same = std::find_if(merged.findings.begin(), merged.findings.end(),
                               [&](const ExploredFinding& f) { return f.key == found.key; });
      if (same == merged.findings.end()) {
        merged.findings.push_back(std::move(found));
      } else {
        const std::uint64_t occurrences = same->occurrences + found.occurrences;
        if (found.schedule_index < same->schedule_index) *same = std::move(found);
        same->occurrences = occurrences;
      }
    }
  }
  std::sort(merged.findings.begin(), merged.findings.end(),
            [](const ExploredFinding& a, const ExploredFinding& b) { return a.schedule_index < b.schedule_index; });
  merged.coverage = {{merged.schedules, merged.distinct_interleavings}};
  return merged;
}

std::string ExploredFinding::report() const {
  std::string text = finding.to_text();
  text += fmt::format("\nEXPLORATION:\n  found by schedule {} ({}, seed {}), made by {} schedule(s)\n", schedule_index,
                      schedule.strategy, schedule.seed, occurrences);
  text += fmt::format("  preemptions: {} as found, {} after shrinking{}\n", schedule.preemptions.size(),
                      shrunk.preemptions.size(), shrunk_minimal ? " (the fewest: no schedule with fewer makes it)" : "");
  text += fmt::format("  schedule: {}\n", shrunk.to_string());
  if (!interleaving.empty()) text += "\nINTERLEAVING:\n" + interleaving;
  return text;
}

std::string ExploreResult::report() const {
  std::string text = fmt::format("strategy {}: {} schedule(s), {} with findings, {} distinct interleaving(s){}{}\n",
                                 strategy, schedules, schedules_with_findings, distinct_interleavings,
                                 exhausted ? ", bounded space exhausted" : "",
                                 stopped_by_time ? ", stopped by the time budget" : "");
  text += "coverage (schedules: distinct interleavings):";
  for (const auto& [run, distinct] : coverage) text += fmt::format(" {}:{}", run, distinct);
  text += fmt::format("\n{} distinct finding(s) in {:.3f} s\n", findings.size(),
                      std::chrono::duration<double>(elapsed).count());
  for (const ExploredFinding& found : findings) text += "\n" + found.report();
  return text;
}

}  // namespace wdmlab
