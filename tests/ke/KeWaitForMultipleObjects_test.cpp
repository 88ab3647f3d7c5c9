// KeWaitForMultipleObjects: the documented return values (STATUS_WAIT_0 + the index of the
// object that satisfied a WaitAny, STATUS_SUCCESS for WaitAll, STATUS_TIMEOUT), WaitAll's
// all-or-nothing side effects, and the wait block rule: more than THREAD_WAIT_OBJECTS objects
// without a WaitBlockArray, or more than MAXIMUM_WAIT_OBJECTS with one, is bug check 0xC.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

constexpr std::int64_t kNoTimeout = -1;

struct WaitRow {
  const char* name;
  WAIT_TYPE type;
  std::array<bool, 3> signaled;  // synchronization events, set before the wait
  std::int64_t timeout_ticks;    // kNoTimeout, 0 (a poll) or a relative interval
  NTSTATUS expected;
  std::array<LONG, 3> states_after;
};

class KeWaitForMultipleObjectsReturns : public ::testing::TestWithParam<WaitRow> {};

TEST_P(KeWaitForMultipleObjectsReturns, AsDocumented) {
  const WaitRow row = GetParam();
  NTSTATUS status = -1;
  std::array<LONG, 3> states{};
  runs_clean([&] {
    KEVENT events[3];
    PVOID objects[3];
    for (int i = 0; i < 3; ++i) {
      KeInitializeEvent(&events[i], SynchronizationEvent, row.signaled[i]);
      objects[i] = &events[i];
    }
    LARGE_INTEGER timeout = relative_ticks(row.timeout_ticks);
    status = KeWaitForMultipleObjects(3, objects, row.type, Executive, KernelMode, FALSE,
                                      row.timeout_ticks == kNoTimeout ? nullptr : &timeout, nullptr);
    for (int i = 0; i < 3; ++i) states[i] = KeReadStateEvent(&events[i]);
  });
  EXPECT_EQ(status, row.expected);
  EXPECT_EQ(states, row.states_after);
}

INSTANTIATE_TEST_SUITE_P(
    Table, KeWaitForMultipleObjectsReturns,
    ::testing::Values(
        WaitRow{"WaitAnyFirstSignaledWins", WaitAny, {false, true, true}, kNoTimeout, STATUS_WAIT_1, {0, 0, 1}},
        WaitRow{"WaitAnyIndexZero", WaitAny, {true, true, true}, kNoTimeout, STATUS_WAIT_0, {0, 1, 1}},
        WaitRow{"WaitAnyLastIndex", WaitAny, {false, false, true}, 0, STATUS_WAIT_2, {0, 0, 0}},
        WaitRow{"WaitAnyNoneSignaledPoll", WaitAny, {false, false, false}, 0, STATUS_TIMEOUT, {0, 0, 0}},
        WaitRow{"WaitAnyNoneSignaledTimeout",
                WaitAny,
                {false, false, false},
                5 * kTicksPerMillisecond,
                STATUS_TIMEOUT,
                {0, 0, 0}},
        WaitRow{"WaitAllAllSignaled", WaitAll, {true, true, true}, kNoTimeout, STATUS_SUCCESS, {0, 0, 0}},
        WaitRow{"WaitAllOneMissingPollTakesNothing", WaitAll, {true, false, true}, 0, STATUS_TIMEOUT, {1, 0, 1}},
        WaitRow{"WaitAllOneMissingTimeoutTakesNothing",
                WaitAll,
                {true, true, false},
                5 * kTicksPerMillisecond,
                STATUS_TIMEOUT,
                {1, 1, 0}}),
    RowName());

TEST(KeWaitForMultipleObjects, WaitAnyReturnsTheIndexOfTheObjectThatWasSignaled) {
  for (int which = 0; which < 3; ++which) {
    Lab lab({.processors = 2, .seed = static_cast<std::uint64_t>(which + 1)});
    KEVENT events[3];
    for (KEVENT& event : events) KeInitializeEvent(&event, NotificationEvent, FALSE);
    NTSTATUS status = -1;
    lab.spawn("waiter", [&] {
      PVOID objects[] = {&events[0], &events[1], &events[2]};
      status = KeWaitForMultipleObjects(3, objects, WaitAny, Executive, KernelMode, FALSE, nullptr, nullptr);
    });
    lab.spawn("setter", [&] {
      wait_until_blocked(&events[0], 1);
      KeSetEvent(&events[which], IO_NO_INCREMENT, FALSE);
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
    EXPECT_EQ(status, STATUS_WAIT_0 + which);
  }
}

TEST(KeWaitForMultipleObjects, WaitAllReturnsOnlyOnceEveryObjectIsSignaled) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    KEVENT events[3];
    for (KEVENT& event : events) KeInitializeEvent(&event, SynchronizationEvent, FALSE);
    NTSTATUS status = -1;
    int sets_before_return = -1;
    LONG sets = 0;
    std::array<LONG, 3> states{-1, -1, -1};
    lab.spawn("waiter", [&] {
      PVOID objects[] = {&events[0], &events[1], &events[2]};
      status = KeWaitForMultipleObjects(3, objects, WaitAll, Executive, KernelMode, FALSE, nullptr, nullptr);
      sets_before_return = ReadAcquire(&sets);
      for (int i = 0; i < 3; ++i) states[i] = KeReadStateEvent(&events[i]);
    });
    lab.spawn("setter", [&] {
      wait_until_blocked(&events[0], 1);
      for (int i : {2, 0, 1}) {
        LARGE_INTEGER delay = relative_ms(1);
        KeDelayExecutionThread(KernelMode, FALSE, &delay);
        InterlockedIncrement(&sets);
        KeSetEvent(&events[i], IO_NO_INCREMENT, FALSE);
      }
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle) << "seed " << seed;
    EXPECT_EQ(status, STATUS_SUCCESS);
    EXPECT_EQ(sets_before_return, 3);
    EXPECT_EQ(states, (std::array<LONG, 3>{0, 0, 0}));  // every synchronization event was taken
  }
}

TEST(KeWaitForMultipleObjects, ATimeoutEndsTheWaitExactlyThatLongAfterItBegan) {
  Lab lab;
  NTSTATUS status = -1;
  std::uint64_t before = 0, after = 0;
  constexpr std::int64_t kInterval = 7 * kTicksPerMillisecond;
  lab.spawn("waiter", [&] {
    KEVENT events[2];
    for (KEVENT& event : events) KeInitializeEvent(&event, NotificationEvent, FALSE);
    PVOID objects[] = {&events[0], &events[1]};
    LARGE_INTEGER timeout = relative_ticks(kInterval);
    before = lab.now();
    status = KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode, FALSE, &timeout, nullptr);
    after = lab.now();
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(status, STATUS_TIMEOUT);
  EXPECT_EQ(after - before, kDecisionTicks + kInterval);
}

TEST(KeWaitForMultipleObjects, MoreThanThreadWaitObjectsWithoutAWaitBlockArrayIsBugCheckC) {
  const Finding finding = bug_check_of([] {
    KEVENT events[THREAD_WAIT_OBJECTS + 1];
    PVOID objects[THREAD_WAIT_OBJECTS + 1];
    for (int i = 0; i <= THREAD_WAIT_OBJECTS; ++i) {
      KeInitializeEvent(&events[i], NotificationEvent, TRUE);
      objects[i] = &events[i];
    }
    KeWaitForMultipleObjects(THREAD_WAIT_OBJECTS + 1, objects, WaitAll, Executive, KernelMode, FALSE, nullptr, nullptr);
  });
  EXPECT_EQ(finding.code, MAXIMUM_WAIT_OBJECTS_EXCEEDED);
}

TEST(KeWaitForMultipleObjects, MoreThanThreadWaitObjectsWithAWaitBlockArrayWork) {
  NTSTATUS immediate = -1, blocked = -1;
  Lab lab({.processors = 2, .seed = 3});
  constexpr int kCount = 8;
  std::vector<KEVENT> events(kCount);
  std::vector<PVOID> objects(kCount);
  for (int i = 0; i < kCount; ++i) {
    KeInitializeEvent(&events[i], NotificationEvent, i != 6);
    objects[i] = &events[i];
  }
  lab.spawn("waiter", [&] {
    std::vector<KWAIT_BLOCK> blocks(kCount);
    immediate =
        KeWaitForMultipleObjects(kCount, objects.data(), WaitAny, Executive, KernelMode, FALSE, nullptr, blocks.data());
    blocked =
        KeWaitForMultipleObjects(kCount, objects.data(), WaitAll, Executive, KernelMode, FALSE, nullptr, blocks.data());
  });
  lab.spawn("setter", [&] {
    wait_until_blocked(&events[0], 1);
    KeSetEvent(&events[6], IO_NO_INCREMENT, FALSE);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(immediate, STATUS_WAIT_0);
  EXPECT_EQ(blocked, STATUS_SUCCESS);
}

TEST(KeWaitForMultipleObjects, MoreThanMaximumWaitObjectsIsBugCheckCEvenWithAWaitBlockArray) {
  const Finding finding = bug_check_of([] {
    constexpr ULONG kCount = MAXIMUM_WAIT_OBJECTS + 1;
    std::vector<KEVENT> events(kCount);
    std::vector<PVOID> objects(kCount);
    std::vector<KWAIT_BLOCK> blocks(kCount);
    for (ULONG i = 0; i < kCount; ++i) {
      KeInitializeEvent(&events[i], NotificationEvent, TRUE);
      objects[i] = &events[i];
    }
    KeWaitForMultipleObjects(kCount, objects.data(), WaitAny, Executive, KernelMode, FALSE, nullptr, blocks.data());
  });
  EXPECT_EQ(finding.code, MAXIMUM_WAIT_OBJECTS_EXCEEDED);
}

}  // namespace
}  // namespace wdmlab::test
