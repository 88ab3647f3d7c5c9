// ex/resource.hpp - executive resources (ERESOURCE).
//
// Each initialised resource has a ResourceState beside it, keyed by the resource's address, from
// ExInitializeResourceLite to ExDeleteResourceLite. The state holds the owners (one exclusive
// owner, or any number of shared owners, each with a recursion count) and the waiters; the
// driver's ERESOURCE mirrors ActiveCount, Flag (ResourceOwnedExclusive), OwnerEntry, the waiter
// counts and ContentionCount for debuggers.
//
// Granting follows Windows: a thread that holds the resource gets it again recursively (shared
// inside exclusive counts as exclusive); a new shared acquirer waits while an exclusive waiter
// exists unless it starves exclusive waiters (ExAcquireSharedStarveExclusive) or already holds
// the resource shared (except ExAcquireSharedWaitForExclusive). On release, ownership is handed
// to the waiters before they run: after an exclusive release to every shared waiter, or else to
// the first exclusive waiter; after the last shared release to the first exclusive waiter.
//
// Waiting blocks the context in the scheduler with a BlockReason whose report names the owners,
// so a cycle of waits between resources (or with other locks) is reported as a deadlock.
#pragma once

#include <wdm.h>

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

struct _KTHREAD;

namespace wdmlab::base {
struct DriverIdentity;
}
namespace wdmlab::sched {
class Context;
struct WaitReport;
}  // namespace wdmlab::sched

namespace wdmlab::ex {

enum class SharedMode {
  Normal,            // ExAcquireResourceSharedLite
  StarveExclusive,   // ExAcquireSharedStarveExclusive
  WaitForExclusive,  // ExAcquireSharedWaitForExclusive
};

struct ResourceState {
  struct Owner {
    ERESOURCE_THREAD thread = 0;
    ULONG count = 0;
    const sched::Context* context = nullptr;  // the context that acquired it, for reports
  };
  struct Waiter {
    sched::Context* context = nullptr;
    ERESOURCE_THREAD thread = 0;
  };
  const base::DriverIdentity* driver = nullptr;  // the driver that initialised it
  bool exclusive = false;                        // owners holds the single exclusive owner
  std::vector<Owner> owners;
  std::deque<Waiter> exclusive_waiters;
  std::vector<Waiter> shared_waiters;
  ULONG contention = 0;

  Owner* owner(ERESOURCE_THREAD thread);
  const Owner* owner(ERESOURCE_THREAD thread) const;
};

class Resources {
 public:
  // Null when `resource` was never initialised (or was deleted).
  ResourceState* find(const ERESOURCE* resource);
  const ResourceState* find(const ERESOURCE* resource) const;
  // The first live resource whose structure starts in [begin, end), or null.
  const ERESOURCE* first_in(std::uintptr_t begin, std::uintptr_t end) const;
  std::vector<const ERESOURCE*> owned_by(const base::DriverIdentity* driver) const;

  void initialize(ERESOURCE& resource, const base::DriverIdentity* driver);
  void remove(const ERESOURCE& resource);

  // Acquisition for `thread`. With wait false they return false instead of blocking; with wait
  // true they return true once the resource is granted (possibly after blocking).
  bool acquire_exclusive(ERESOURCE& resource, ERESOURCE_THREAD thread, bool wait);
  bool acquire_shared(ERESOURCE& resource, ERESOURCE_THREAD thread, SharedMode mode, bool wait);
  // Releases one acquisition by `thread`; the caller checked that it owns the resource.
  void release(ERESOURCE& resource, ERESOURCE_THREAD thread);
  // The exclusive owner becomes a shared owner with the same count; shared waiters are granted.
  void convert_to_shared(ERESOURCE& resource);

  bool held_exclusive(const ERESOURCE& resource, ERESOURCE_THREAD thread) const;
  ULONG hold_count(const ERESOURCE& resource, ERESOURCE_THREAD thread) const;

  // Fills a wait report for a context blocked on `resource`.
  void explain(const ERESOURCE* resource, sched::WaitReport& report) const;

 private:
  void grant_waiters(ResourceState& state, bool prefer_shared);
  void grant_shared_waiters(ResourceState& state);
  void wait(ERESOURCE& resource, ResourceState& state, ERESOURCE_THREAD thread, bool exclusive);
  static void add_shared(ResourceState& state, ERESOURCE_THREAD thread, const sched::Context* context);
  static void mirror(ERESOURCE& resource, const ResourceState& state);

  std::map<std::uintptr_t, ResourceState> resources_;
};

}  // namespace wdmlab::ex
