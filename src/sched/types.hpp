// sched/types.hpp - IRQL and virtual time.
#pragma once

#include <cstdint>
#include <limits>

namespace wdmlab::sched {

using Irql = std::uint8_t;
inline constexpr Irql kPassiveLevel = 0;
inline constexpr Irql kApcLevel = 1;
inline constexpr Irql kDispatchLevel = 2;
inline constexpr Irql kHighLevel = 15;

// Virtual time in 100 ns units since the simulated boot, the unit Windows uses.
using Time = std::uint64_t;
inline constexpr Time kNever = std::numeric_limits<Time>::max();
inline constexpr Time kTicksPerMicrosecond = 10;
inline constexpr Time kTicksPerMillisecond = 10'000;
inline constexpr Time kTicksPerSecond = 10'000'000;

}  // namespace wdmlab::sched
