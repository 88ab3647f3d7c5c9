// ERESOURCE, exclusive use: exact mutual exclusion under contention, the bug checks for misuse,
// and deadlocks between resources reported with the threads involved.
#include <set>
#include <string>

#include "ex_support.hpp"

namespace wdmlab {
namespace {

using ex_test::fatal;

TEST(ExAcquireResourceExclusiveLite, ACounterItProtectsComesOutExactWhileReadersWatch) {
  for (std::uint64_t seed = 21; seed <= 26; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    static ERESOURCE resource;
    static long counter;
    static bool torn;
    counter = 0;
    torn = false;
    ExInitializeResourceLite(&resource);
    for (const char* name : {"writer 1", "writer 2"}) {
      lab.spawn(name, [] {
        for (int i = 0; i < 80; ++i) {
          KeEnterCriticalRegion();
          ExAcquireResourceExclusiveLite(&resource, TRUE);
          const long value = counter;
          counter = -1;  // readers must never see this
          KeGetCurrentIrql();
          counter = value + 1;
          ExReleaseResourceLite(&resource);
          KeLeaveCriticalRegion();
        }
      });
    }
    lab.spawn("reader", [] {
      for (int i = 0; i < 80; ++i) {
        KeEnterCriticalRegion();
        ExAcquireResourceSharedLite(&resource, TRUE);
        if (counter < 0) torn = true;
        ExReleaseResourceLite(&resource);
        KeLeaveCriticalRegion();
      }
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle) << "seed " << seed;
    EXPECT_EQ(counter, 160) << "seed " << seed;
    EXPECT_FALSE(torn) << "seed " << seed;
    EXPECT_EQ(resource.ActiveCount, 0);
    ExDeleteResourceLite(&resource);
  }
}

// Each row: a misuse and Microsoft's bug check for it.
struct Misuse {
  const char* what;
  std::uint32_t code;
  std::uint64_t parameter1;  // for 0xC4, the subcode; otherwise the resource
  void (*body)(ERESOURCE* resource);
};

const Misuse kMisuses[] = {
    {"acquire with normal kernel APCs enabled", 0xC4, 0x37,
     [](ERESOURCE* r) {
       ExInitializeResourceLite(r);
       ExAcquireResourceExclusiveLite(r, TRUE);
     }},
    {"release with normal kernel APCs enabled", 0xC4, 0x38,
     [](ERESOURCE* r) {
       ExInitializeResourceLite(r);
       KeEnterCriticalRegion();
       ExAcquireResourceSharedLite(r, TRUE);
       KeLeaveCriticalRegion();
       ExReleaseResourceLite(r);
     }},
    {"initialised twice", 0xC4, 0xD0,
     [](ERESOURCE* r) {
       ExInitializeResourceLite(r);
       ExInitializeResourceLite(r);
     }},
    {"deleted without being initialised", 0xC4, 0xD1, [](ERESOURCE* r) { ExDeleteResourceLite(r); }},
    {"acquired without being initialised", 0xC4, 0x1002,
     [](ERESOURCE* r) {
       KeEnterCriticalRegion();
       ExAcquireResourceSharedLite(r, TRUE);
     }},
    {"released by a thread that does not own it", 0xE3, 0,
     [](ERESOURCE* r) {
       ExInitializeResourceLite(r);
       KeEnterCriticalRegion();
       ExReleaseResourceLite(r);
     }},
    {"converted to shared without exclusive ownership", 0xE3, 0,
     [](ERESOURCE* r) {
       ExInitializeResourceLite(r);
       KeEnterCriticalRegion();
       ExAcquireResourceSharedLite(r, TRUE);
       ExConvertExclusiveToSharedLite(r);
     }},
};

TEST(ExAcquireResourceExclusiveLite, MisuseIsABugCheck) {
  for (const Misuse& misuse : kMisuses) {
    Lab lab;
    static ERESOURCE resource;
    resource = {};
    lab.spawn("user", [&misuse] { misuse.body(&resource); });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped) << misuse.what;
    const Finding& finding = fatal(lab);
    EXPECT_EQ(finding.code, misuse.code) << misuse.what;
    const auto address = reinterpret_cast<std::uintptr_t>(&resource);
    if (misuse.code == 0xC4) {
      EXPECT_EQ(finding.parameters[0], misuse.parameter1) << misuse.what;
      // The resource is parameter 4 of 0x37/0x38 and parameter 2 of the others.
      const int at = misuse.parameter1 == 0x37 || misuse.parameter1 == 0x38 ? 3 : 1;
      EXPECT_EQ(finding.parameters[at], address) << misuse.what;
    } else {
      EXPECT_EQ(finding.name, "RESOURCE_NOT_OWNED");
      EXPECT_EQ(finding.parameters[0], address) << misuse.what;  // the resource
      EXPECT_NE(finding.parameters[1], 0u) << misuse.what;       // the releasing thread
    }
  }
}

TEST(ExAcquireResourceExclusiveLite, AboveApcLevelIsIrqlNotLessOrEqual) {
  Lab lab({.verifier = {.flags = kVerifierStandardFlags & ~kVerifierDdiCompliance}});
  static ERESOURCE resource;
  ExInitializeResourceLite(&resource);
  lab.spawn("user", [] {
    KIRQL old_irql;
    KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
    ExAcquireResourceExclusiveLite(&resource, FALSE);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, ex_test::kIrqlNotLessOrEqual);
  EXPECT_EQ(finding.parameters[0], reinterpret_cast<std::uintptr_t>(&resource));
  EXPECT_EQ(finding.parameters[1], static_cast<std::uint64_t>(DISPATCH_LEVEL));
  EXPECT_EQ(finding.rule, "IrqlExApcLte3");
}

TEST(ExAcquireResourceExclusiveLite, SharedOwnerAskingForExclusiveDeadlocksItself) {
  Lab lab({.verifier = {.flags = kVerifierStandardFlags & ~kVerifierDeadlockDetection}});
  lab.spawn("upgrader", [] {
    static ERESOURCE resource;
    ExInitializeResourceLite(&resource);
    KeEnterCriticalRegion();
    ExAcquireResourceSharedLite(&resource, TRUE);
    ExAcquireResourceExclusiveLite(&resource, TRUE);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding& finding = fatal(lab);
  EXPECT_EQ(finding.code, ex_test::kDeadlock);
  EXPECT_EQ(finding.parameters[0], 1u);
  EXPECT_NE(finding.context.waiting_on.find("owned shared by upgrader"), std::string::npos)
      << finding.context.waiting_on;
}

// Two threads each hold one resource and wait for the other's; `shared_second` makes the second
// acquisition shared (a reader blocked by a writer is part of the cycle too).
Finding crossed_resources(std::uint64_t seed, bool shared_second) {
  Lab lab({.processors = 2, .seed = seed, .verifier = {.flags = kVerifierStandardFlags & ~kVerifierDeadlockDetection}});
  static ERESOURCE first, second;
  static volatile LONG holders;
  static bool shared;
  shared = shared_second;
  holders = 0;
  ExInitializeResourceLite(&first);
  ExInitializeResourceLite(&second);
  auto body = [](ERESOURCE* mine, ERESOURCE* theirs) {
    KeEnterCriticalRegion();
    ExAcquireResourceExclusiveLite(mine, TRUE);
    InterlockedIncrement(&holders);
    while (InterlockedCompareExchange(&holders, 2, 2) != 2) {
    }
    if (shared) {
      ExAcquireResourceSharedLite(theirs, TRUE);
    } else {
      ExAcquireResourceExclusiveLite(theirs, TRUE);
    }
  };
  lab.spawn("P", [body] { body(&first, &second); });
  lab.spawn("Q", [body] { body(&second, &first); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  return fatal(lab);
}

TEST(ExAcquireResourceExclusiveLite, CrossedResourcesAreADeadlockNamingBothThreads) {
  for (bool shared_second : {false, true}) {
    for (std::uint64_t seed : {1, 5, 9}) {
      const Finding finding = crossed_resources(seed, shared_second);
      EXPECT_EQ(finding.code, ex_test::kDeadlock) << "seed " << seed;
      EXPECT_EQ(finding.parameters[0], 2u);
      ASSERT_EQ(finding.involved.size(), 1u);
      EXPECT_EQ((std::set<std::string>{finding.context.name, finding.involved[0].name}),
                (std::set<std::string>{"P", "Q"}));
      EXPECT_NE(finding.context.waiting_on.find("owned exclusively by"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace wdmlab
