#include "sched/scheduler.hpp"

#include <gtest/gtest.h>

namespace wdmlab::sched {
namespace {

TEST(Scheduler, RunsThreadsToCompletion) {
  Scheduler scheduler({.processors = 2}, make_random_policy(1));
  int a = 0, b = 0;
  scheduler.create_thread("a", [&] { for (int i = 0; i < 10; ++i) { ++a; scheduler.yield(); } }, true);
  scheduler.create_thread("b", [&] { for (int i = 0; i < 10; ++i) { ++b; scheduler.yield(); } }, true);
  EXPECT_EQ(scheduler.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(a, 10);
  EXPECT_EQ(b, 10);
  EXPECT_GT(scheduler.decisions(), 20u);
}

}  // namespace
}  // namespace wdmlab::sched
