#include "explore/recorder.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace wdmlab::exploration {

namespace {

// The option offering `context`, or options.size().
std::size_t find(std::span<const SchedulingOption> options, std::uint32_t context) {
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (options[i].context_id == context) return i;
  }
  return options.size();
}

std::string describe(std::span<const SchedulingOption> options) {
  std::string text;
  for (const SchedulingOption& option : options) {
    if (!text.empty()) text += ", ";
    text += fmt::format("{}{}", option.context_id, option.dpc ? fmt::format(" (DPC/{})", option.processor) : "");
  }
  return text;
}

}  // namespace

std::size_t non_preemptive(std::span<const SchedulingOption> options) {
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (options[i].current) return i;
  }
  return 0;
}

Recorder::Recorder(std::unique_ptr<SchedulingPolicy> inner, std::uint64_t fair_seed, std::uint64_t fair_after,
                   bool keep_options)
    : inner_(std::move(inner)), fair_(fair_seed ^ 0x6a09e667f3bcc909ULL), fair_after_(fair_after),
      keep_options_(keep_options) {}

void Recorder::follow(std::vector<std::uint32_t> choices, Follow mode) {
  guide_ = std::move(choices);
  follow_ = mode;
}

void Recorder::follow_sparse(std::vector<GuideStep> steps) {
  sparse_ = std::move(steps);
  sparse_next_ = 0;
  follow_ = Follow::Sparse;
}

std::string Recorder::name() const { return inner_ ? inner_->name() : "guided"; }

void Recorder::on_context_created(std::uint32_t context_id) {
  if (inner_) inner_->on_context_created(context_id);
}

void Recorder::on_context_finished(std::uint32_t context_id) {
  if (inner_) inner_->on_context_finished(context_id);
}

void Recorder::diverge(std::span<const SchedulingOption> options, std::string what) {
  if (!divergence_.empty()) return;  // the first place is the one that matters
  divergence_ = fmt::format("choice {}: {}; this run offers context {}", record_.chosen.size(), what,
                            describe(options));
}

std::size_t Recorder::decide(std::span<const SchedulingOption> options, std::size_t stay) {
  const std::size_t k = record_.chosen.size();
  switch (follow_) {
    case Follow::Sparse: {
      if (sparse_next_ < sparse_.size() && sparse_[sparse_next_].index == k) {
        const std::size_t pick = find(options, sparse_[sparse_next_++].context);
        return pick < options.size() ? pick : stay;
      }
      return stay;
    }
    case Follow::Strict:
    case Follow::Prefix:
      if (k < guide_.size()) {
        const std::size_t pick = find(options, guide_[k]);
        if (pick < options.size()) return pick;
        if (follow_ == Follow::Strict) diverge(options, fmt::format("the schedule ran context {}", guide_[k]));
        return stay;
      }
      if (follow_ == Follow::Strict) {
        diverge(options, "the schedule had ended");
        return stay;
      }
      break;
    case Follow::None:
      break;
  }
  if (k >= fair_after_) {
    if (record_.fair_from == ~0ull) record_.fair_from = k;
    const unsigned __int128 product = static_cast<unsigned __int128>(fair_()) * options.size();
    return static_cast<std::size_t>(product >> 64);
  }
  return inner_ ? inner_->choose(options) : stay;
}

std::size_t Recorder::choose(std::span<const SchedulingOption> options) {
  const std::size_t stay = non_preemptive(options);
  const bool has_current = options[stay].current;
  const std::size_t pick = decide(options, stay);
  const auto index = static_cast<std::uint32_t>(record_.chosen.size());
  record_.chosen.push_back(options[pick].context_id);
  record_.current.push_back(has_current ? options[stay].context_id : kNoContext);
  if (has_current && pick != stay) record_.preemptions.push_back(index);
  if (keep_options_) {
    for (const SchedulingOption& option : options) record_.options.push_back(option.context_id);
    record_.offsets.push_back(static_cast<std::uint32_t>(record_.options.size()));
  }
  return pick;
}

}  // namespace wdmlab::exploration
