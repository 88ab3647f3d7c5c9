#include <fmt/format.h>

#include <random>

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

}  // namespace

std::unique_ptr<SchedulingPolicy> make_random_policy(std::uint64_t seed) {
  return std::make_unique<RandomPolicy>(seed);
}

std::unique_ptr<SchedulingPolicy> make_cooperative_policy() { return std::make_unique<CooperativePolicy>(); }

}  // namespace wdmlab
