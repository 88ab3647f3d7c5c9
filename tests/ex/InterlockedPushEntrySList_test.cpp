// SLists: LIFO order, depth and sequence, flush, the x64 header layout, and lock-free use from two
// processors.
#include "ex_support.hpp"

namespace wdmlab {
namespace {

struct Item {
  SLIST_ENTRY entry;
  int value;
};

TEST(InterlockedPushEntrySList, PushPopFlushAndDepth) {
  Lab lab;
  lab.spawn("user", [] {
    SLIST_HEADER head;
    InitializeSListHead(&head);
    EXPECT_EQ(ExQueryDepthSList(&head), 0);
    EXPECT_EQ(QueryDepthSList(&head), 0);
    EXPECT_EQ(InterlockedPopEntrySList(&head), nullptr);
    Item items[3] = {{{}, 1}, {{}, 2}, {{}, 3}};
    EXPECT_EQ(InterlockedPushEntrySList(&head, &items[0].entry), nullptr);  // returns the old first entry
    EXPECT_EQ(InterlockedPushEntrySList(&head, &items[1].entry), &items[0].entry);
    EXPECT_EQ(ExInterlockedPushEntrySList(&head, &items[2].entry, nullptr), &items[1].entry);
    EXPECT_EQ(ExQueryDepthSList(&head), 3);
    EXPECT_EQ(RtlFirstEntrySList(&head), &items[2].entry);
    EXPECT_EQ(head.HeaderX64.Sequence, 3u);  // every change bumps the sequence
    EXPECT_EQ(head.HeaderX64.NextEntry << 4, reinterpret_cast<ULONG_PTR>(&items[2].entry));
    EXPECT_EQ(CONTAINING_RECORD(InterlockedPopEntrySList(&head), Item, entry)->value, 3);  // LIFO
    EXPECT_EQ(CONTAINING_RECORD(ExInterlockedPopEntrySList(&head, nullptr), Item, entry)->value, 2);
    EXPECT_EQ(ExQueryDepthSList(&head), 1);
    InterlockedPushEntrySList(&head, &items[1].entry);
    PSLIST_ENTRY chain = InterlockedFlushSList(&head);
    EXPECT_EQ(ExQueryDepthSList(&head), 0);
    EXPECT_EQ(RtlFirstEntrySList(&head), nullptr);
    ASSERT_EQ(chain, &items[1].entry);  // the entries stay chained through Next
    EXPECT_EQ(chain->Next, &items[0].entry);
    EXPECT_EQ(chain->Next->Next, nullptr);
    EXPECT_EQ(InterlockedFlushSList(&head), nullptr);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(InterlockedPushEntrySList, TwoProcessorsLoseNothing) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    static SLIST_HEADER head;
    static Item items[200];
    static LONG popped;
    popped = 0;
    InitializeSListHead(&head);
    lab.spawn("producer 1", [] {
      for (int i = 0; i < 100; ++i) InterlockedPushEntrySList(&head, &items[i].entry);
    });
    lab.spawn("producer 2", [] {
      for (int i = 100; i < 200; ++i) InterlockedPushEntrySList(&head, &items[i].entry);
    });
    lab.spawn("consumer", [] {
      for (int i = 0; i < 150; ++i) {
        if (InterlockedPopEntrySList(&head) != nullptr) InterlockedIncrement(&popped);
      }
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
    EXPECT_EQ(popped + ExQueryDepthSList(&head), 200) << "seed " << seed;
  }
}

}  // namespace
}  // namespace wdmlab
