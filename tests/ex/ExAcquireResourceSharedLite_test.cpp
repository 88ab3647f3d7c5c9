// ERESOURCE, shared and exclusive: the matrix of what a second thread is granted without waiting,
// recursion by the owner, and the documented waiting order (an exclusive waiter holds back new
// shared acquirers, except for ExAcquireSharedStarveExclusive).
#include <string>
#include <vector>

#include "ex_support.hpp"

namespace wdmlab {
namespace {

enum class Hold { None, Shared, Exclusive, SharedWithExclusiveWaiter };

struct Granted {
  bool exclusive = false;
  bool shared = false;
  bool starve_exclusive = false;
  bool wait_for_exclusive = false;
  bool try_exclusive = false;
  bool operator==(const Granted&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Granted& g) {
  return out << "{exclusive " << g.exclusive << ", shared " << g.shared << ", starve " << g.starve_exclusive
             << ", wait-for-exclusive " << g.wait_for_exclusive << ", try " << g.try_exclusive << "}";
}

// What a thread that holds nothing is granted with Wait = FALSE while another thread holds the
// resource as `hold` says.
Granted probe_from_another_thread(Hold hold) {
  Lab lab({.processors = 2, .seed = 5});
  static ERESOURCE resource;
  static KEVENT holding, probed;
  static Hold how;
  static Granted granted;
  how = hold;
  granted = {};
  ExInitializeResourceLite(&resource);
  KeInitializeEvent(&holding, NotificationEvent, FALSE);
  KeInitializeEvent(&probed, NotificationEvent, FALSE);
  lab.spawn("holder", [] {
    KeEnterCriticalRegion();
    if (how == Hold::Exclusive) ExAcquireResourceExclusiveLite(&resource, TRUE);
    if (how == Hold::Shared || how == Hold::SharedWithExclusiveWaiter) ExAcquireResourceSharedLite(&resource, TRUE);
    KeSetEvent(&holding, 0, FALSE);
    KeWaitForSingleObject(&probed, Executive, KernelMode, FALSE, nullptr);
    if (how != Hold::None) ExReleaseResourceLite(&resource);
    KeLeaveCriticalRegion();
  });
  if (hold == Hold::SharedWithExclusiveWaiter) {
    lab.spawn("exclusive waiter", [] {
      KeWaitForSingleObject(&holding, Executive, KernelMode, FALSE, nullptr);
      KeEnterCriticalRegion();
      ExAcquireResourceExclusiveLite(&resource, TRUE);
      ExReleaseResourceLite(&resource);
      KeLeaveCriticalRegion();
    });
  }
  lab.spawn("prober", [] {
    KeWaitForSingleObject(&holding, Executive, KernelMode, FALSE, nullptr);
    if (how == Hold::SharedWithExclusiveWaiter) {
      LARGE_INTEGER tick{.QuadPart = -10};
      while (ExGetExclusiveWaiterCount(&resource) == 0) KeDelayExecutionThread(KernelMode, FALSE, &tick);
    }
    KeEnterCriticalRegion();
    auto attempt = [](BOOLEAN acquired, bool* result) {
      *result = acquired != FALSE;
      if (acquired) ExReleaseResourceLite(&resource);
    };
    attempt(ExAcquireResourceExclusiveLite(&resource, FALSE), &granted.exclusive);
    attempt(ExAcquireResourceSharedLite(&resource, FALSE), &granted.shared);
    attempt(ExAcquireSharedStarveExclusive(&resource, FALSE), &granted.starve_exclusive);
    attempt(ExAcquireSharedWaitForExclusive(&resource, FALSE), &granted.wait_for_exclusive);
    attempt(ExTryToAcquireResourceExclusiveLite(&resource), &granted.try_exclusive);
    KeLeaveCriticalRegion();
    KeSetEvent(&probed, 0, FALSE);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  ExDeleteResourceLite(&resource);
  return granted;
}

TEST(ExAcquireResourceSharedLite, WhatAnotherThreadIsGrantedWithoutWaiting) {
  //                                                   excl   shared starve wait4x try
  EXPECT_EQ(probe_from_another_thread(Hold::None), (Granted{true, true, true, true, true}));
  EXPECT_EQ(probe_from_another_thread(Hold::Shared), (Granted{false, true, true, true, false}));
  EXPECT_EQ(probe_from_another_thread(Hold::Exclusive), (Granted{false, false, false, false, false}));
  EXPECT_EQ(probe_from_another_thread(Hold::SharedWithExclusiveWaiter), (Granted{false, false, true, false, false}));
}

TEST(ExAcquireResourceSharedLite, TheOwnerIsGrantedRecursively) {
  Lab lab;
  lab.spawn("owner", [] {
    ERESOURCE resource;
    ExInitializeResourceLite(&resource);
    KeEnterCriticalRegion();
    EXPECT_TRUE(ExAcquireResourceExclusiveLite(&resource, TRUE));
    EXPECT_TRUE(ExAcquireResourceExclusiveLite(&resource, FALSE));
    EXPECT_TRUE(ExAcquireResourceSharedLite(&resource, FALSE));  // shared inside exclusive
    EXPECT_TRUE(ExAcquireSharedWaitForExclusive(&resource, FALSE));
    EXPECT_TRUE(ExIsResourceAcquiredExclusiveLite(&resource));
    EXPECT_EQ(ExIsResourceAcquiredSharedLite(&resource), 4u);  // the recursion count
    EXPECT_EQ(resource.ActiveCount, 1);
    EXPECT_NE(resource.Flag & ResourceOwnedExclusive, 0);
    EXPECT_EQ(resource.OwnerEntry.OwnerThread, ExGetCurrentResourceThread());
    EXPECT_EQ(resource.OwnerEntry.OwnerCount, 4u);
    for (int i = 0; i < 4; ++i) ExReleaseResourceLite(&resource);
    EXPECT_FALSE(ExIsResourceAcquiredExclusiveLite(&resource));
    EXPECT_EQ(ExIsResourceAcquiredSharedLite(&resource), 0u);
    EXPECT_EQ(resource.ActiveCount, 0);

    EXPECT_TRUE(ExAcquireResourceSharedLite(&resource, TRUE));
    EXPECT_TRUE(ExAcquireSharedStarveExclusive(&resource, FALSE));
    EXPECT_FALSE(ExIsResourceAcquiredExclusiveLite(&resource));
    EXPECT_EQ(ExIsResourceAcquiredSharedLite(&resource), 2u);
    EXPECT_EQ(resource.Flag & ResourceOwnedExclusive, 0);
    EXPECT_FALSE(ExAcquireResourceExclusiveLite(&resource, FALSE));  // shared cannot become exclusive
    ExReleaseResourceLite(&resource);
    ExReleaseResourceLite(&resource);
    KeLeaveCriticalRegion();
    ExDeleteResourceLite(&resource);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExAcquireResourceSharedLite, AnExclusiveWaiterHoldsBackNewSharedAcquirers) {
  Lab lab({.processors = 2, .seed = 3});
  static ERESOURCE resource;
  static KEVENT holding, release;
  static std::vector<std::string> order;
  order.clear();
  ExInitializeResourceLite(&resource);
  KeInitializeEvent(&holding, NotificationEvent, FALSE);
  KeInitializeEvent(&release, NotificationEvent, FALSE);
  LARGE_INTEGER tick{.QuadPart = -10};
  lab.spawn("reader", [] {
    KeEnterCriticalRegion();
    ExAcquireResourceSharedLite(&resource, TRUE);
    KeSetEvent(&holding, 0, FALSE);
    KeWaitForSingleObject(&release, Executive, KernelMode, FALSE, nullptr);
    ExReleaseResourceLite(&resource);
    KeLeaveCriticalRegion();
  });
  lab.spawn("writer", [] {
    KeWaitForSingleObject(&holding, Executive, KernelMode, FALSE, nullptr);
    KeEnterCriticalRegion();
    ExAcquireResourceExclusiveLite(&resource, TRUE);
    order.push_back("writer");
    ExReleaseResourceLite(&resource);
    KeLeaveCriticalRegion();
  });
  lab.spawn("late reader", [tick]() mutable {
    KeWaitForSingleObject(&holding, Executive, KernelMode, FALSE, nullptr);
    while (ExGetExclusiveWaiterCount(&resource) == 0) KeDelayExecutionThread(KernelMode, FALSE, &tick);
    KeEnterCriticalRegion();
    ExAcquireResourceSharedLite(&resource, TRUE);  // waits behind the writer
    order.push_back("late reader");
    ExReleaseResourceLite(&resource);
    KeLeaveCriticalRegion();
  });
  lab.spawn("observer", [tick]() mutable {
    while (ExGetSharedWaiterCount(&resource) == 0) KeDelayExecutionThread(KernelMode, FALSE, &tick);
    EXPECT_EQ(ExGetExclusiveWaiterCount(&resource), 1u);
    EXPECT_EQ(ExGetSharedWaiterCount(&resource), 1u);
    EXPECT_EQ(resource.NumberOfExclusiveWaiters, 1u);
    EXPECT_EQ(resource.NumberOfSharedWaiters, 1u);
    EXPECT_GE(resource.ContentionCount, 2u);
    KeSetEvent(&release, 0, FALSE);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_EQ(order, (std::vector<std::string>{"writer", "late reader"}));
  ExDeleteResourceLite(&resource);
}

TEST(ExAcquireResourceSharedLite, AnExclusiveReleaseGrantsEveryWaitingReaderAtOnce) {
  Lab lab({.processors = 2, .seed = 8});
  static ERESOURCE resource;
  static KEVENT holding;
  static volatile LONG inside, most_inside;
  inside = 0;
  most_inside = 0;
  ExInitializeResourceLite(&resource);
  KeInitializeEvent(&holding, NotificationEvent, FALSE);
  lab.spawn("writer", [] {
    KeEnterCriticalRegion();
    ExAcquireResourceExclusiveLite(&resource, TRUE);
    KeSetEvent(&holding, 0, FALSE);
    LARGE_INTEGER tick{.QuadPart = -10};
    while (ExGetSharedWaiterCount(&resource) < 3) KeDelayExecutionThread(KernelMode, FALSE, &tick);
    ExReleaseResourceLite(&resource);
    KeLeaveCriticalRegion();
  });
  for (const char* name : {"r1", "r2", "r3"}) {
    lab.spawn(name, [] {
      KeWaitForSingleObject(&holding, Executive, KernelMode, FALSE, nullptr);
      KeEnterCriticalRegion();
      ExAcquireResourceSharedLite(&resource, TRUE);
      const LONG now = InterlockedIncrement(&inside);
      if (now > most_inside) most_inside = now;
      LARGE_INTEGER stay{.QuadPart = -1000};
      KeDelayExecutionThread(KernelMode, FALSE, &stay);
      InterlockedDecrement(&inside);
      ExReleaseResourceLite(&resource);
      KeLeaveCriticalRegion();
    });
  }
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_EQ(most_inside, 3);  // all three readers held it together
  ExDeleteResourceLite(&resource);
}

TEST(ExConvertExclusiveToSharedLite, LetsWaitingReadersIn) {
  Lab lab({.processors = 2, .seed = 6});
  static ERESOURCE resource;
  static KEVENT holding;
  static bool reader_got_it_while_converted;
  static volatile LONG converted;
  converted = 0;
  reader_got_it_while_converted = false;
  ExInitializeResourceLite(&resource);
  KeInitializeEvent(&holding, NotificationEvent, FALSE);
  lab.spawn("writer", [] {
    KeEnterCriticalRegion();
    ExAcquireResourceExclusiveLite(&resource, TRUE);
    ExAcquireResourceExclusiveLite(&resource, TRUE);
    KeSetEvent(&holding, 0, FALSE);
    LARGE_INTEGER tick{.QuadPart = -10};
    while (ExGetSharedWaiterCount(&resource) == 0) KeDelayExecutionThread(KernelMode, FALSE, &tick);
    ExConvertExclusiveToSharedLite(&resource);
    InterlockedExchange(&converted, 1);
    EXPECT_FALSE(ExIsResourceAcquiredExclusiveLite(&resource));
    EXPECT_EQ(ExIsResourceAcquiredSharedLite(&resource), 2u);  // the count survives the conversion
    LARGE_INTEGER stay{.QuadPart = -1000};
    KeDelayExecutionThread(KernelMode, FALSE, &stay);
    InterlockedExchange(&converted, 2);
    ExReleaseResourceLite(&resource);
    ExReleaseResourceLite(&resource);
    KeLeaveCriticalRegion();
  });
  lab.spawn("reader", [] {
    KeWaitForSingleObject(&holding, Executive, KernelMode, FALSE, nullptr);
    KeEnterCriticalRegion();
    ExAcquireResourceSharedLite(&resource, TRUE);
    reader_got_it_while_converted = InterlockedCompareExchange(&converted, 0, 0) == 1;
    ExReleaseResourceLite(&resource);
    KeLeaveCriticalRegion();
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_TRUE(reader_got_it_while_converted);
  ExDeleteResourceLite(&resource);
}

TEST(ExReleaseResourceForThreadLite, ReleasesOnBehalfOfAnotherThread) {
  Lab lab({.processors = 2, .seed = 1});
  static ERESOURCE resource;
  static KEVENT acquired;
  static ERESOURCE_THREAD owner;
  ExInitializeResourceLite(&resource);
  KeInitializeEvent(&acquired, NotificationEvent, FALSE);
  lab.spawn("acquirer", [] {
    KeEnterCriticalRegion();
    ExAcquireResourceExclusiveLite(&resource, TRUE);
    owner = ExGetCurrentResourceThread();
    KeLeaveCriticalRegion();
    KeSetEvent(&acquired, 0, FALSE);
  });
  lab.spawn("releaser", [] {
    KeWaitForSingleObject(&acquired, Executive, KernelMode, FALSE, nullptr);
    EXPECT_FALSE(ExIsResourceAcquiredExclusiveLite(&resource));  // owned, but not by this thread
    ExReleaseResourceForThreadLite(&resource, owner);
    KeEnterCriticalRegion();
    EXPECT_TRUE(ExAcquireResourceExclusiveLite(&resource, FALSE));
    ExReleaseResourceLite(&resource);
    KeLeaveCriticalRegion();
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  ExDeleteResourceLite(&resource);
}

TEST(ExEnterCriticalRegionAndAcquireResourceExclusive, HoldsTheRegionUntilTheRelease) {
  Lab lab;
  lab.spawn("user", [] {
    ERESOURCE resource;
    ExInitializeResourceLite(&resource);
    EXPECT_EQ(ExEnterCriticalRegionAndAcquireResourceExclusive(&resource), KeGetCurrentThread());
    EXPECT_TRUE(KeAreApcsDisabled());
    EXPECT_TRUE(ExIsResourceAcquiredExclusiveLite(&resource));
    ExReleaseResourceAndLeaveCriticalRegion(&resource);
    EXPECT_FALSE(KeAreApcsDisabled());
    EXPECT_EQ(ExEnterCriticalRegionAndAcquireResourceShared(&resource), KeGetCurrentThread());
    EXPECT_EQ(ExIsResourceAcquiredSharedLite(&resource), 1u);
    ExReleaseResourceAndLeaveCriticalRegion(&resource);
    EXPECT_FALSE(KeAreApcsDisabled());
    ExDeleteResourceLite(&resource);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

}  // namespace
}  // namespace wdmlab
