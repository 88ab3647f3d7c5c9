// The ExInterlockedXxx list and counter routines: return values, use at raised IRQL, and the spin
// lock they take keeping two processors from corrupting a shared list.
#include "ex_support.hpp"

namespace wdmlab {
namespace {

struct Node {
  LIST_ENTRY links;
  SINGLE_LIST_ENTRY single;
  int value;
};

TEST(ExInterlockedInsertHeadList, ReturnValuesFollowTheDocumentation) {
  Lab lab;
  lab.spawn("user", [] {
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    LIST_ENTRY head;
    InitializeListHead(&head);
    Node a{{}, {}, 1}, b{{}, {}, 2}, c{{}, {}, 3};
    EXPECT_EQ(ExInterlockedInsertHeadList(&head, &a.links, &lock), nullptr);   // the list was empty
    EXPECT_EQ(ExInterlockedInsertHeadList(&head, &b.links, &lock), &a.links);  // the former first entry
    EXPECT_EQ(ExInterlockedInsertTailList(&head, &c.links, &lock), &a.links);  // the former last entry
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    EXPECT_EQ(lock, 0u);  // released
    EXPECT_EQ(ExInterlockedRemoveHeadList(&head, &lock), &b.links);
    EXPECT_EQ(ExInterlockedRemoveHeadList(&head, &lock), &a.links);
    EXPECT_EQ(ExInterlockedRemoveHeadList(&head, &lock), &c.links);
    EXPECT_EQ(ExInterlockedRemoveHeadList(&head, &lock), nullptr);

    SINGLE_LIST_ENTRY stack{};
    EXPECT_EQ(ExInterlockedPushEntryList(&stack, &a.single, &lock), nullptr);
    EXPECT_EQ(ExInterlockedPushEntryList(&stack, &b.single, &lock), &a.single);
    EXPECT_EQ(ExInterlockedPopEntryList(&stack, &lock), &b.single);
    EXPECT_EQ(ExInterlockedPopEntryList(&stack, &lock), &a.single);
    EXPECT_EQ(ExInterlockedPopEntryList(&stack, &lock), nullptr);

    ULONG count = 40;
    EXPECT_EQ(ExInterlockedAddUlong(&count, 2, &lock), 40u);  // the initial value
    EXPECT_EQ(count, 42u);
    LARGE_INTEGER big{.QuadPart = 0x1FFFFFFFFLL};
    LARGE_INTEGER increment{.QuadPart = 1};
    EXPECT_EQ(ExInterlockedAddLargeInteger(&big, increment, &lock).QuadPart, 0x1FFFFFFFFLL);
    EXPECT_EQ(big.QuadPart, 0x200000000LL);
    ExInterlockedAddLargeStatistic(&big, 5);
    EXPECT_EQ(big.QuadPart, 0x200000005LL);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExInterlockedInsertHeadList, CallableAboveDispatchLevel) {
  Lab lab;
  lab.spawn("user", [] {
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    LIST_ENTRY head;
    InitializeListHead(&head);
    Node a{{}, {}, 1};
    KIRQL old_irql;
    KeRaiseIrql(HIGH_LEVEL, &old_irql);
    ExInterlockedInsertTailList(&head, &a.links, &lock);
    EXPECT_EQ(ExInterlockedRemoveHeadList(&head, &lock), &a.links);
    EXPECT_EQ(KeGetCurrentIrql(), HIGH_LEVEL);
    KeLowerIrql(old_irql);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExInterlockedInsertHeadList, TwoProcessorsShareAListSafely) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    static KSPIN_LOCK lock;
    static LIST_ENTRY head;
    static Node nodes[100];
    static ULONG total;
    static int removed;
    total = 0;
    removed = 0;
    KeInitializeSpinLock(&lock);
    InitializeListHead(&head);
    lab.spawn("inserter", [] {
      for (int i = 0; i < 100; ++i) {
        nodes[i].value = i;
        ExInterlockedInsertTailList(&head, &nodes[i].links, &lock);
        ExInterlockedAddUlong(&total, 1, &lock);
      }
    });
    lab.spawn("remover", [] {
      while (removed < 100) {
        if (ExInterlockedRemoveHeadList(&head, &lock) != nullptr) ++removed;
        ExInterlockedAddUlong(&total, 1, &lock);
      }
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle) << "seed " << seed;
    EXPECT_TRUE(lab.findings().empty()) << "seed " << seed;
    EXPECT_EQ(removed, 100);
    EXPECT_TRUE(IsListEmpty(&head));
    EXPECT_GE(total, 200u);
  }
}

}  // namespace
}  // namespace wdmlab
