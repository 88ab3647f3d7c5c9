// explore/recorder.hpp - the policy every schedule of an exploration runs under.
//
// It keeps the choices a schedule made (the context chosen at each scheduling choice, the
// context that could have gone on, the options offered) and decides each choice in one of three
// ways: following a guide (a schedule being replayed, a bounded-search prefix, a shrinking
// attempt), asking the strategy's own policy, or, past `fair_after` choices, uniformly at random
// so a spinning context cannot starve the others.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "wdmlab/policy.hpp"

namespace wdmlab::exploration {

inline constexpr std::uint32_t kNoContext = 0;

// What a schedule chose, choice by choice.
struct Record {
  std::vector<std::uint32_t> chosen;   // context chosen at each choice
  std::vector<std::uint32_t> current;  // the context that could have gone on, kNoContext if none
  std::vector<std::uint32_t> preemptions;  // indices of choices that switched away from `current`
  // The options of choice i are options[offsets[i] .. offsets[i + 1]) (kept when asked for).
  std::vector<std::uint32_t> options;
  std::vector<std::uint32_t> offsets{0};
  std::uint64_t fair_from = ~0ull;  // the first choice made by the fair fallback, if any
};

// How a guide is followed.
enum class Follow : std::uint8_t {
  None,    // no guide
  Strict,  // a replay: a choice the run does not offer, or a choice past the guide's end, is a
           // divergence
  Prefix,  // a bounded-search prefix: the guide's choices, then no preemptions
  Sparse,  // a shrinking attempt: the guide lists only some choices (index, context); the others
           // keep the context that could go on
};

struct GuideStep {
  std::uint32_t index;    // choice index
  std::uint32_t context;  // context to choose there
};

class Recorder final : public SchedulingPolicy {
 public:
  // `inner` decides the choices no guide covers; null: the context that could go on keeps running
  // (no preemption), else the first option.
  Recorder(std::unique_ptr<SchedulingPolicy> inner, std::uint64_t fair_seed, std::uint64_t fair_after,
           bool keep_options);

  // Makes `choices` (Strict or Prefix), then goes on without preemptions.
  void follow(std::vector<std::uint32_t> choices, Follow mode);
  // Makes the listed choices (sorted by index) where offered, and no preemption elsewhere.
  void follow_sparse(std::vector<GuideStep> steps);

  std::string name() const override;
  std::size_t choose(std::span<const SchedulingOption> options) override;
  void on_context_created(std::uint32_t context_id) override;
  void on_context_finished(std::uint32_t context_id) override;

  const Record& record() const { return record_; }
  Record take_record() { return std::move(record_); }
  // Strict replay only: where the run left the guide ("" if it did not).
  const std::string& divergence() const { return divergence_; }

 private:
  std::size_t decide(std::span<const SchedulingOption> options, std::size_t stay);
  void diverge(std::span<const SchedulingOption> options, std::string what);

  std::unique_ptr<SchedulingPolicy> inner_;
  std::mt19937_64 fair_;
  std::uint64_t fair_after_;
  bool keep_options_;
  Follow follow_ = Follow::None;
  std::vector<std::uint32_t> guide_;
  std::vector<GuideStep> sparse_;
  std::size_t sparse_next_ = 0;
  Record record_;
  std::string divergence_;
};

// The option that keeps the context at the scheduling point running, or 0.
std::size_t non_preemptive(std::span<const SchedulingOption> options);

}  // namespace wdmlab::exploration
