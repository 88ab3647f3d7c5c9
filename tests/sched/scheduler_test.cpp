// The scheduling mechanism on its own, without the kernel layers above it.
#include "sched/scheduler.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <set>
#include <stdexcept>

#include "wdmlab/errors.hpp"

namespace wdmlab::sched {
namespace {

constexpr std::uint32_t kDeadlock = 0x574C0001;
constexpr std::uint32_t kHang = 0x574C0002;
constexpr std::uint32_t kNeverYields = 0x574C0003;
constexpr std::uint32_t kRunBudget = 0x574C0005;
constexpr std::uint32_t kDpcWatchdog = 0x133;

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

std::pair<std::uint64_t, std::string> interleaving(std::uint64_t seed) {
  Scheduler scheduler({.processors = 2, .record_schedule = true}, make_random_policy(seed));
  std::string order;
  for (char name : {'a', 'b', 'c'}) {
    scheduler.create_thread(std::string(1, name), [&, name] {
      for (int i = 0; i < 5; ++i) {
        order += name;
        scheduler.yield();
      }
    }, true);
  }
  scheduler.run_until_idle();
  EXPECT_EQ(scheduler.schedule().size(), scheduler.decisions());
  return {scheduler.schedule_digest(), order};
}

TEST(Scheduler, SameSeedSameInterleavingDifferentSeedsDiffer) {
  std::set<std::string> orders;
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    auto first = interleaving(seed);
    auto second = interleaving(seed);
    EXPECT_EQ(first, second) << "seed " << seed;
    orders.insert(first.second);
  }
  EXPECT_GT(orders.size(), 5u);
}

TEST(Scheduler, BlockReturnsTheValueGivenToWake) {
  Scheduler scheduler({.processors = 1}, make_cooperative_policy());
  Context* sleeper = nullptr;
  std::int64_t received = 0;
  scheduler.create_thread("sleeper", [&] {
    sleeper = scheduler.running();
    received = scheduler.block({"test", nullptr, nullptr, false});
  }, true);
  scheduler.create_thread("waker", [&] {
    while (sleeper == nullptr || sleeper->state() != ContextState::Blocked) scheduler.yield();
    scheduler.wake(*sleeper, 42);
  }, true);
  EXPECT_EQ(scheduler.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(received, 42);
}

void wake_context(void* argument) {
  Scheduler::current()->wake(*static_cast<Context*>(argument), 7);
}

TEST(Scheduler, IdleTimeJumpsToTheNextTimerForAwaitedWork) {
  Scheduler scheduler({.processors = 1}, make_cooperative_policy());
  Time woke_at = 0;
  scheduler.create_thread("sleeper", [&] {
    scheduler.add_timer(scheduler.now() + 5 * kTicksPerSecond, &wake_context, scheduler.running());
    EXPECT_EQ(scheduler.block({"sleep", nullptr, nullptr, false}), 7);
    woke_at = scheduler.now();
  }, true);
  EXPECT_EQ(scheduler.run_until_idle(), RunStatus::Idle);
  EXPECT_GE(woke_at, 5 * kTicksPerSecond);
  EXPECT_LT(woke_at, 5 * kTicksPerSecond + 10);
}

TEST(Scheduler, BackgroundWorkDoesNotKeepTheLabBusy) {
  // A thread the test does not wait for sleeping forever is normal (a driver's worker thread).
  Scheduler scheduler({.processors = 1}, make_cooperative_policy());
  scheduler.create_thread("worker", [&] { scheduler.block({"work queue", nullptr, nullptr, false}); }, false);
  scheduler.add_timer(kTicksPerSecond, [](void*) {}, nullptr);
  EXPECT_EQ(scheduler.run_until_idle(), RunStatus::Idle);
  EXPECT_LT(scheduler.now(), kTicksPerSecond);  // no awaited work: time did not jump to the timer
  EXPECT_TRUE(scheduler.findings().empty());
}

struct Ticker {
  Scheduler* scheduler;
  int fired = 0;
};

void tick(void* argument) {
  auto* ticker = static_cast<Ticker*>(argument);
  ++ticker->fired;
  ticker->scheduler->add_timer(ticker->scheduler->now() + kTicksPerMillisecond, &tick, ticker);
}

TEST(Scheduler, RunForLetsPeriodicTimersFireAndStopsAtTheEnd) {
  Scheduler scheduler({.processors = 1}, make_cooperative_policy());
  Ticker ticker{&scheduler};
  scheduler.add_timer(kTicksPerMillisecond, &tick, &ticker);
  EXPECT_EQ(scheduler.run_for(10 * kTicksPerMillisecond + 1), RunStatus::TimeElapsed);
  EXPECT_EQ(ticker.fired, 10);
  EXPECT_EQ(scheduler.now(), 10 * kTicksPerMillisecond + 1);
}

TEST(Scheduler, CancelledTimerNeverFires) {
  Scheduler scheduler({.processors = 1}, make_cooperative_policy());
  Ticker ticker{&scheduler};
  auto handle = scheduler.add_timer(kTicksPerMillisecond, &tick, &ticker);
  EXPECT_TRUE(scheduler.cancel_timer(handle));
  EXPECT_FALSE(scheduler.cancel_timer(handle));
  scheduler.run_for(5 * kTicksPerMillisecond);
  EXPECT_EQ(ticker.fired, 0);
}

TEST(Scheduler, AnAwaitedContextNothingCanWakeIsAHang) {
  Scheduler scheduler({.processors = 1}, make_cooperative_policy());
  int marker = 0;
  scheduler.create_thread("stuck", [&] { scheduler.block({"event", &marker, nullptr, false}); }, true);
  EXPECT_EQ(scheduler.run_until_idle(), RunStatus::Stopped);
  ASSERT_EQ(scheduler.findings().size(), 1u);
  const Finding& finding = scheduler.findings()[0];
  EXPECT_EQ(finding.code, kHang);
  EXPECT_EQ(finding.parameters[0], 1u);
  EXPECT_EQ(finding.parameters[1], reinterpret_cast<std::uintptr_t>(&marker));
  EXPECT_EQ(finding.context.name, "stuck");
  EXPECT_FALSE(finding.context.waiting_on.empty());
  EXPECT_FALSE(finding.context.stack.empty());
  // A stopped lab stays stopped.
  EXPECT_EQ(scheduler.run_until_idle(), RunStatus::Stopped);
  EXPECT_THROW(scheduler.create_thread("late", [] {}, true), UsageError);
}

// Each of two contexts reports the other as the owner of what it waits for.
Context* g_first = nullptr;
Context* g_second = nullptr;
void explain_cross(const Context& context, WaitReport& report) {
  report.description = "a test lock";
  report.owners.push_back(&context == g_first ? g_second : g_first);
}

TEST(Scheduler, AWaitCycleOnOwnedObjectsIsADeadlock) {
  Scheduler scheduler({.processors = 2}, make_random_policy(3));
  int lock_a = 0, lock_b = 0;
  g_first = &scheduler.create_thread("first", [&] { scheduler.block({"lock", &lock_a, &explain_cross, false}); }, true);
  g_second = &scheduler.create_thread("second", [&] { scheduler.block({"lock", &lock_b, &explain_cross, false}); },
                                      true);
  EXPECT_EQ(scheduler.run_until_idle(), RunStatus::Stopped);
  ASSERT_EQ(scheduler.findings().size(), 1u);
  const Finding& finding = scheduler.findings()[0];
  EXPECT_EQ(finding.code, kDeadlock);
  EXPECT_EQ(finding.parameters[0], 2u);
  ASSERT_EQ(finding.involved.size(), 1u);
  std::set<std::string> names{finding.context.name, finding.involved[0].name};
  EXPECT_EQ(names, (std::set<std::string>{"first", "second"}));
  EXPECT_FALSE(finding.involved[0].stack.empty());
}

TEST(Scheduler, ALivelockRunsOutOfDecisions) {
  Scheduler scheduler({.processors = 2, .max_decisions = 5000}, make_random_policy(1));
  bool stop = false;
  for (int t = 0; t < 2; ++t) {
    scheduler.create_thread("spinner", [&] {
      while (!stop) scheduler.yield();
    }, true);
  }
  EXPECT_EQ(scheduler.run_until_idle(), RunStatus::Stopped);
  ASSERT_EQ(scheduler.findings().size(), 1u);
  EXPECT_EQ(scheduler.findings()[0].code, kRunBudget);
  EXPECT_EQ(scheduler.findings()[0].parameters[0], 5000u);
}

TEST(Scheduler, AnUnlimitedBudgetStaysUnlimitedOnLaterRuns) {
  Scheduler scheduler({.processors = 1, .max_decisions = std::numeric_limits<std::uint64_t>::max()},
                      make_cooperative_policy());
  for (int run = 0; run < 2; ++run) {
    scheduler.create_thread("yielder", [&] {
      for (int i = 0; i < 10; ++i) scheduler.yield();
    }, true);
    EXPECT_EQ(scheduler.run_until_idle(), RunStatus::Idle) << "run " << run;
  }
  EXPECT_TRUE(scheduler.findings().empty());
}

__attribute__((noinline)) void spin_without_yielding() {
  volatile std::uint64_t counter = 0;
  for (;;) counter = counter + 1;
}

TEST(Scheduler, AContextThatNeverYieldsIsStoppedByTheWatchdog) {
  Scheduler scheduler({.processors = 1, .watchdog_ms = 100}, make_cooperative_policy());
  scheduler.create_thread("runaway", [] { spin_without_yielding(); }, true);
  EXPECT_EQ(scheduler.run_until_idle(), RunStatus::Stopped);
  ASSERT_EQ(scheduler.findings().size(), 1u);
  const Finding& finding = scheduler.findings()[0];
  EXPECT_EQ(finding.code, kNeverYields);
  EXPECT_GE(finding.parameters[0], 100u);
  ASSERT_FALSE(finding.context.stack.empty());
  EXPECT_NE(finding.context.stack.front().function.find("spin_without_yielding"), std::string::npos)
      << finding.to_text();
}

TEST(Scheduler, AtDispatchLevelTheWatchdogIsTheDpcWatchdog) {
  Scheduler scheduler({.processors = 1, .watchdog_ms = 100}, make_cooperative_policy());
  scheduler.create_thread("raised", [&] {
    scheduler.set_irql(kDispatchLevel);
    spin_without_yielding();
  }, true);
  EXPECT_EQ(scheduler.run_until_idle(), RunStatus::Stopped);
  ASSERT_EQ(scheduler.findings().size(), 1u);
  EXPECT_EQ(scheduler.findings()[0].code, kDpcWatchdog);
  EXPECT_EQ(scheduler.findings()[0].parameters[0], 0u);  // a single context exceeded its time
}

TEST(Scheduler, AnExceptionFromAThreadBodyComesBackFromTheRun) {
  Scheduler scheduler({.processors = 1}, make_cooperative_policy());
  scheduler.create_thread("thrower", [] { throw std::runtime_error("from the thread"); }, true);
  EXPECT_THROW(scheduler.run_until_idle(), std::runtime_error);
  EXPECT_TRUE(scheduler.stopped());
}

TEST(Scheduler, DispatchLevelPreventsThreadSwitchesOnThatProcessor) {
  // One processor: while the first thread runs at DISPATCH_LEVEL the second cannot run, whatever
  // the policy wants.
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    Scheduler scheduler({.processors = 1}, make_random_policy(seed));
    bool raised = false;
    bool ran_while_raised = false;
    scheduler.create_thread("raiser", [&] {
      scheduler.set_irql(kDispatchLevel);
      raised = true;
      for (int i = 0; i < 20; ++i) scheduler.yield();
      raised = false;
      scheduler.set_irql(kPassiveLevel);
    }, true);
    scheduler.create_thread("other", [&] {
      for (int i = 0; i < 20; ++i) {
        ran_while_raised |= raised;
        scheduler.yield();
      }
    }, true);
    scheduler.run_until_idle();
    EXPECT_FALSE(ran_while_raised) << "seed " << seed;
  }
}

struct DispatchRecord {
  int runs = 0;
  Irql irql = 0;
  std::uint32_t processor = 99;
  ContextKind kind = ContextKind::Thread;
};
DispatchRecord g_dispatch;

void record_dispatch(Processor& processor) {
  Scheduler* scheduler = Scheduler::current();
  ++g_dispatch.runs;
  g_dispatch.irql = scheduler->irql();
  g_dispatch.processor = processor.index();
  g_dispatch.kind = scheduler->running()->kind();
}

TEST(Scheduler, ADispatchInterruptRunsAtDispatchLevelOnItsProcessor) {
  g_dispatch = {};
  Scheduler scheduler({.processors = 2}, make_random_policy(4));
  scheduler.set_dispatch_interrupt_handler(&record_dispatch);
  scheduler.create_thread("requester", [&] {
    scheduler.request_dispatch_interrupt(scheduler.processors()[1]);
    for (int i = 0; i < 10; ++i) scheduler.yield();
  }, true);
  EXPECT_EQ(scheduler.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(g_dispatch.runs, 1);
  EXPECT_EQ(g_dispatch.irql, kDispatchLevel);
  EXPECT_EQ(g_dispatch.processor, 1u);
  EXPECT_EQ(g_dispatch.kind, ContextKind::DpcStack);
}

TEST(Scheduler, LoweringBelowDispatchTakesAPendingInterruptAtOnce) {
  g_dispatch = {};
  Scheduler scheduler({.processors = 1}, make_cooperative_policy());
  scheduler.set_dispatch_interrupt_handler(&record_dispatch);
  int runs_seen_after_lowering = -1;
  scheduler.create_thread("lowerer", [&] {
    scheduler.set_irql(kDispatchLevel);
    scheduler.request_dispatch_interrupt(*scheduler.current_processor());
    scheduler.yield();
    EXPECT_EQ(g_dispatch.runs, 0);  // masked at DISPATCH_LEVEL
    scheduler.set_irql(kPassiveLevel);
    runs_seen_after_lowering = g_dispatch.runs;
  }, true);
  scheduler.run_until_idle();
  EXPECT_EQ(runs_seen_after_lowering, 1);
}

TEST(Scheduler, RejectsBadConfigurations) {
  EXPECT_THROW(Scheduler({.processors = 0}, make_cooperative_policy()), UsageError);
  EXPECT_THROW(Scheduler({.processors = 65}, make_cooperative_policy()), UsageError);
  Scheduler first({.processors = 1}, make_cooperative_policy());
  EXPECT_THROW(Scheduler({.processors = 1}, make_cooperative_policy()), UsageError);
}

TEST(Scheduler, SuspendingCallsOnTheHostAreUsageErrors) {
  Scheduler scheduler({.processors = 1}, make_cooperative_policy());
  scheduler.yield();  // a no-op on the host
  EXPECT_THROW(scheduler.block({"x", nullptr, nullptr, false}), UsageError);
  EXPECT_THROW(scheduler.set_irql(kDispatchLevel), UsageError);
  EXPECT_EQ(scheduler.irql(), kPassiveLevel);
}

}  // namespace
}  // namespace wdmlab::sched
