// The Interlocked routines: each one's return value and its effect on the target (a table), and
// why they exist: a plain read-modify-write with a kernel call in the middle loses updates on two
// processors under some interleavings, while InterlockedIncrement never does, and a seed that
// loses updates replays exactly.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

template <class T>
struct Row {
  const char* name;
  T initial;
  std::function<T(T volatile*)> operation;
  T returns;
  T after;
};

template <class T>
void check_rows(const std::vector<Row<T>>& rows) {
  for (const Row<T>& row : rows) {
    T value = row.initial;
    T returned{};
    runs_clean([&] { returned = row.operation(&value); });
    EXPECT_EQ(returned, row.returns) << row.name;
    EXPECT_EQ(value, row.after) << row.name;
  }
}

TEST(Interlocked, LongOperationsReturnAndStoreAsDocumented) {
  check_rows<LONG>({
      {"InterlockedIncrement returns the new value", 41, [](LONG volatile* p) { return InterlockedIncrement(p); }, 42,
       42},
      {"InterlockedIncrement wraps", MAXLONG, [](LONG volatile* p) { return InterlockedIncrement(p); },
       static_cast<LONG>(MINLONG), static_cast<LONG>(MINLONG)},
      {"InterlockedDecrement returns the new value", 0, [](LONG volatile* p) { return InterlockedDecrement(p); }, -1,
       -1},
      {"InterlockedDecrement wraps", static_cast<LONG>(MINLONG),
       [](LONG volatile* p) { return InterlockedDecrement(p); }, MAXLONG, MAXLONG},
      {"InterlockedExchange returns the old value", 7, [](LONG volatile* p) { return InterlockedExchange(p, 9); }, 7,
       9},
      {"InterlockedExchangeAdd returns the old value", 10,
       [](LONG volatile* p) { return InterlockedExchangeAdd(p, -3); }, 10, 7},
      {"InterlockedAdd returns the new value", 10, [](LONG volatile* p) { return InterlockedAdd(p, 5); }, 15, 15},
      {"InterlockedCompareExchange equal: stores, returns the old value", 5,
       [](LONG volatile* p) { return InterlockedCompareExchange(p, 8, 5); }, 5, 8},
      {"InterlockedCompareExchange different: keeps, returns the old value", 5,
       [](LONG volatile* p) { return InterlockedCompareExchange(p, 8, 6); }, 5, 5},
      {"InterlockedAnd returns the old value", 0b1100, [](LONG volatile* p) { return InterlockedAnd(p, 0b1010); },
       0b1100, 0b1000},
      {"InterlockedOr returns the old value", 0b1100, [](LONG volatile* p) { return InterlockedOr(p, 0b1010); }, 0b1100,
       0b1110},
      {"InterlockedXor returns the old value", 0b1100, [](LONG volatile* p) { return InterlockedXor(p, 0b1010); },
       0b1100, 0b0110},
  });
}

TEST(Interlocked, ShortOperationsReturnAndStoreAsDocumented) {
  check_rows<SHORT>({
      {"InterlockedIncrement16", 99, [](SHORT volatile* p) { return InterlockedIncrement16(p); }, 100, 100},
      {"InterlockedDecrement16", -99, [](SHORT volatile* p) { return InterlockedDecrement16(p); }, -100, -100},
      {"InterlockedCompareExchange16 equal", 3, [](SHORT volatile* p) { return InterlockedCompareExchange16(p, 4, 3); },
       3, 4},
      {"InterlockedCompareExchange16 different", 3,
       [](SHORT volatile* p) { return InterlockedCompareExchange16(p, 4, 2); }, 3, 3},
  });
}

TEST(Interlocked, Long64OperationsReturnAndStoreAsDocumented) {
  constexpr LONG64 kBig = LONG64{1} << 40;
  check_rows<LONG64>({
      {"InterlockedIncrement64", kBig, [](LONG64 volatile* p) { return InterlockedIncrement64(p); }, kBig + 1,
       kBig + 1},
      {"InterlockedDecrement64", kBig, [](LONG64 volatile* p) { return InterlockedDecrement64(p); }, kBig - 1,
       kBig - 1},
      {"InterlockedIncrement64 wraps", MAXLONGLONG, [](LONG64 volatile* p) { return InterlockedIncrement64(p); },
       -MAXLONGLONG - 1, -MAXLONGLONG - 1},
      {"InterlockedDecrement64 wraps", -MAXLONGLONG - 1, [](LONG64 volatile* p) { return InterlockedDecrement64(p); },
       MAXLONGLONG, MAXLONGLONG},
      {"InterlockedExchange64", kBig, [](LONG64 volatile* p) { return InterlockedExchange64(p, 1); }, kBig, 1},
      {"InterlockedExchangeAdd64", kBig, [](LONG64 volatile* p) { return InterlockedExchangeAdd64(p, kBig); }, kBig,
       2 * kBig},
      {"InterlockedAdd64", kBig, [](LONG64 volatile* p) { return InterlockedAdd64(p, kBig); }, 2 * kBig, 2 * kBig},
      {"InterlockedCompareExchange64 equal", kBig,
       [](LONG64 volatile* p) { return InterlockedCompareExchange64(p, 5, kBig); }, kBig, 5},
      {"InterlockedCompareExchange64 different", kBig,
       [](LONG64 volatile* p) { return InterlockedCompareExchange64(p, 5, 4); }, kBig, kBig},
      {"InterlockedAnd64", kBig | 3, [](LONG64 volatile* p) { return InterlockedAnd64(p, kBig); }, kBig | 3, kBig},
      {"InterlockedOr64", kBig, [](LONG64 volatile* p) { return InterlockedOr64(p, 1); }, kBig, kBig | 1},
      {"InterlockedXor64", kBig | 1, [](LONG64 volatile* p) { return InterlockedXor64(p, kBig); }, kBig | 1, 1},
  });
}

TEST(Interlocked, PointerOperationsReturnAndStoreAsDocumented) {
  int a = 0, b = 0, c = 0;
  check_rows<PVOID>({
      {"InterlockedExchangePointer", &a, [&](PVOID volatile* p) { return InterlockedExchangePointer(p, &b); }, &a, &b},
      {"InterlockedCompareExchangePointer equal", &a,
       [&](PVOID volatile* p) { return InterlockedCompareExchangePointer(p, &b, &a); }, &a, &b},
      {"InterlockedCompareExchangePointer different", &a,
       [&](PVOID volatile* p) { return InterlockedCompareExchangePointer(p, &b, &c); }, &a, &a},
  });
}

TEST(Interlocked, BitTestAndSetAndResetReturnTheOldBit) {
  LONG bits[2] = {0b0100, 0};
  BOOLEAN set_clear = TRUE, set_set = FALSE, reset_set = FALSE, reset_clear = TRUE, high = TRUE;
  runs_clean([&] {
    set_clear = InterlockedBitTestAndSet(bits, 0);
    set_set = InterlockedBitTestAndSet(bits, 2);
    reset_set = InterlockedBitTestAndReset(bits, 2);
    reset_clear = InterlockedBitTestAndReset(bits, 3);
    high = InterlockedBitTestAndSet(bits, 33);  // bit 1 of the second LONG
  });
  EXPECT_FALSE(set_clear);
  EXPECT_TRUE(set_set);
  EXPECT_TRUE(reset_set);
  EXPECT_FALSE(reset_clear);
  EXPECT_FALSE(high);
  EXPECT_EQ(bits[0], 0b0001);
  EXPECT_EQ(bits[1], 0b0010);
}

struct RaceOutcome {
  LONG counter;
  std::uint64_t digest;
};

constexpr int kThreads = 2, kIterations = 20;

RaceOutcome plain_increments(std::uint64_t seed) {
  Lab lab({.processors = 2, .seed = seed});
  LONG counter = 0;
  for (int t = 0; t < kThreads; ++t) {
    lab.spawn("incrementer", [&] {
      for (int i = 0; i < kIterations; ++i) {
        const LONG value = counter;
        KeGetCurrentIrql();  // any kernel call: the other processor may run here
        counter = value + 1;
      }
    });
  }
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  return {counter, lab.schedule_digest()};
}

TEST(Interlocked, APlainIncrementLosesUpdatesUnderSomeSeedsAndTheSeedReplays) {
  int lossy_seeds = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const RaceOutcome first = plain_increments(seed);
    EXPECT_LE(first.counter, kThreads * kIterations);
    if (first.counter == kThreads * kIterations) continue;
    ++lossy_seeds;
    const RaceOutcome replay = plain_increments(seed);
    EXPECT_EQ(replay.counter, first.counter) << "seed " << seed;
    EXPECT_EQ(replay.digest, first.digest) << "seed " << seed;
  }
  EXPECT_GT(lossy_seeds, 0) << "no seed in 1..20 interleaved the read and the write";
}

TEST(Interlocked, InterlockedIncrementNeverLosesAnUpdate) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    LONG counter = 0;
    for (int t = 0; t < kThreads; ++t) {
      lab.spawn("incrementer", [&] {
        for (int i = 0; i < kIterations; ++i) {
          KeGetCurrentIrql();
          InterlockedIncrement(&counter);
        }
      });
    }
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
    EXPECT_EQ(counter, kThreads * kIterations) << "seed " << seed;
  }
}

}  // namespace
}  // namespace wdmlab::test
