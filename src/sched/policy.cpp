#include <fmt/format.h>

#include <random>
#include <unordered_map>
#include <vector>

#include "wdmlab/errors.hpp"
#include "wdmlab/policy.hpp"

namespace wdmlab {

namespace {

class RandomPolicy final : public SchedulingPolicy {
 public:
  explicit RandomPolicy(std::uint64_t seed) : seed_(seed), engine_(seed) {}
  std::string name() const override { return fmt::format("random(seed={})", seed_); }
  std::size_t choose(std::span<const SchedulingOption> options) override {
    // Lemire's multiply-shift reduction: no modulo bias worth the name, and, unlike
    // std::uniform_int_distribution, the same result on every standard library.
    const unsigned __int128 product = static_cast<unsigned __int128>(engine_()) * options.size();
    return static_cast<std::size_t>(product >> 64);
  }

 private:
  std::uint64_t seed_;
  std::mt19937_64 engine_;
};

class CooperativePolicy final : public SchedulingPolicy {
 public:
  std::string name() const override { return "cooperative"; }
  std::size_t choose(std::span<const SchedulingOption> options) override {
    for (std::size_t i = 0; i < options.size(); ++i) {
      if (options[i].current) return i;
    }
    return 0;
  }
};

// PCT (probabilistic concurrency testing): every context gets a random priority above `depth`
// when first seen; the highest-priority option always runs. At depth - 1 change points, steps
// drawn uniformly from [1, steps], the context that ran last drops to priority i (the i-th
// point), below every initial priority. A bug that needs `depth` ordering constraints is found
// by one run with probability at least 1 / (contexts * steps^(depth - 1)).
class PctPolicy final : public SchedulingPolicy {
 public:
  PctPolicy(std::uint64_t seed, unsigned depth, std::uint64_t steps)
      : seed_(seed), depth_(depth), steps_(steps), engine_(seed) {
    for (unsigned i = 1; i < depth_; ++i) change_points_.push_back(1 + engine_() % steps_);
  }
  std::string name() const override { return fmt::format("pct(seed={}, depth={}, steps={})", seed_, depth_, steps_); }
  std::size_t choose(std::span<const SchedulingOption> options) override {
    ++step_;
    for (std::size_t i = 0; i < change_points_.size(); ++i) {
      if (change_points_[i] == step_ && last_ != kNone) priority(last_) = i + 1;
    }
    std::size_t best = 0;
    for (std::size_t i = 1; i < options.size(); ++i) {
      if (priority(options[i].context_id) > priority(options[best].context_id)) best = i;
    }
    last_ = options[best].context_id;
    return best;
  }
  void on_context_created(std::uint32_t context_id) override { (void)priority(context_id); }

 private:
  static constexpr std::uint32_t kNone = ~0u;

  // The context's priority, drawn on first sight: above every change-point priority, and
  // distinct from the others with overwhelming likelihood (ties go to the earlier option).
  std::uint64_t& priority(std::uint32_t context_id) {
    auto [it, inserted] = priorities_.try_emplace(context_id, 0);
    if (inserted) it->second = depth_ + (engine_() >> 1);
    return it->second;
  }

  std::uint64_t seed_;
  unsigned depth_;
  std::uint64_t steps_;
  std::mt19937_64 engine_;
  std::vector<std::uint64_t> change_points_;
  std::unordered_map<std::uint32_t, std::uint64_t> priorities_;
  std::uint64_t step_ = 0;
  std::uint32_t last_ = kNone;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> make_pct_policy(std::uint64_t seed, unsigned depth, std::uint64_t steps) {
  if (depth == 0 || steps == 0) throw UsageError("PCT needs a depth of at least 1 and a step estimate of at least 1");
  return std::make_unique<PctPolicy>(seed, depth, steps);
}

std::unique_ptr<SchedulingPolicy> make_random_policy(std::uint64_t seed) {
  return std::make_unique<RandomPolicy>(seed);
}

std::unique_ptr<SchedulingPolicy> make_cooperative_policy() { return std::make_unique<CooperativePolicy>(); }

}  // namespace wdmlab
