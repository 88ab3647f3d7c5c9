// Executive resources: ownership and waiting (Resources) and the exported routines.
#include "ex/resource.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "ex/executive.hpp"
#include "ke/bugcheck.hpp"
#include "ke/kernel.hpp"
#include "ke/thread.hpp"
#include "sched/scheduler.hpp"
#include "verifier/verifier.hpp"

namespace wdmlab::ex {

namespace {

void explain_resource_wait(const sched::Context& context, sched::WaitReport& report) {
  const auto* resource = static_cast<const ERESOURCE*>(context.block_reason().object);
  if (Executive* executive = Executive::current()) executive->resources().explain(resource, report);
}

}  // namespace

ResourceState::Owner* ResourceState::owner(ERESOURCE_THREAD thread) {
  auto it = std::find_if(owners.begin(), owners.end(), [&](const Owner& o) { return o.thread == thread; });
  return it != owners.end() ? &*it : nullptr;
}

const ResourceState::Owner* ResourceState::owner(ERESOURCE_THREAD thread) const {
  return const_cast<ResourceState*>(this)->owner(thread);
}

ResourceState* Resources::find(const ERESOURCE* resource) {
  auto it = resources_.find(reinterpret_cast<std::uintptr_t>(resource));
  return it != resources_.end() ? &it->second : nullptr;
}

const ResourceState* Resources::find(const ERESOURCE* resource) const {
  return const_cast<Resources*>(this)->find(resource);
}

const ERESOURCE* Resources::first_in(std::uintptr_t begin, std::uintptr_t end) const {
  auto it = resources_.lower_bound(begin);
  return it != resources_.end() && it->first < end ? reinterpret_cast<const ERESOURCE*>(it->first) : nullptr;
}

std::vector<const ERESOURCE*> Resources::owned_by(const base::DriverIdentity* driver) const {
  std::vector<const ERESOURCE*> result;
  for (const auto& [address, state] : resources_) {
    if (state.driver == driver) result.push_back(reinterpret_cast<const ERESOURCE*>(address));
  }
  return result;
}

void Resources::initialize(ERESOURCE& resource, const base::DriverIdentity* driver) {
  resource.SystemResourcesList.Flink = resource.SystemResourcesList.Blink = &resource.SystemResourcesList;
  resource.OwnerTable = nullptr;
  resource.SharedWaiters = nullptr;
  resource.ExclusiveWaiters = nullptr;
  resource.Flag = 0;
  resource.Reserved2 = nullptr;
  resource.Address = nullptr;
  resource.SpinLock = 0;
  ResourceState state;
  state.driver = driver;
  mirror(resource, state);
  resources_[reinterpret_cast<std::uintptr_t>(&resource)] = std::move(state);
}

void Resources::remove(const ERESOURCE& resource) { resources_.erase(reinterpret_cast<std::uintptr_t>(&resource)); }

bool Resources::acquire_exclusive(ERESOURCE& resource, ERESOURCE_THREAD thread, bool wait) {
  ResourceState& state = *find(&resource);
  if (state.owners.empty()) {
    state.exclusive = true;
    state.owners.push_back({thread, 1, sched::Scheduler::current()->running()});
    mirror(resource, state);
    return true;
  }
  if (state.exclusive && state.owners.front().thread == thread) {
    ++state.owners.front().count;
    mirror(resource, state);
    return true;
  }
  if (!wait) return false;
  this->wait(resource, state, thread, true);
  return true;
}

bool Resources::acquire_shared(ERESOURCE& resource, ERESOURCE_THREAD thread, SharedMode mode, bool wait) {
  ResourceState& state = *find(&resource);
  if (state.owners.empty()) {
    add_shared(state, thread, sched::Scheduler::current()->running());
    mirror(resource, state);
    return true;
  }
  if (state.exclusive) {
    if (state.owners.front().thread == thread) {
      // Shared inside exclusive is granted as another exclusive acquisition.
      ++state.owners.front().count;
      mirror(resource, state);
      return true;
    }
  } else {
    const bool exclusive_waiting = !state.exclusive_waiters.empty();
    ResourceState::Owner* mine = state.owner(thread);
    const bool granted = mine != nullptr ? mode != SharedMode::WaitForExclusive || !exclusive_waiting
                                         : !exclusive_waiting || mode == SharedMode::StarveExclusive;
    if (granted) {
      add_shared(state, thread, sched::Scheduler::current()->running());
      mirror(resource, state);
      return true;
    }
  }
  if (!wait) return false;
  this->wait(resource, state, thread, false);
  return true;
}

void Resources::wait(ERESOURCE& resource, ResourceState& state, ERESOURCE_THREAD thread, bool exclusive) {
  sched::Scheduler& scheduler = *sched::Scheduler::current();
  sched::Context* self = scheduler.running();
  ++state.contention;
  if (exclusive) {
    state.exclusive_waiters.push_back({self, thread});
  } else {
    state.shared_waiters.push_back({self, thread});
  }
  mirror(resource, state);
  // The releaser makes this thread an owner before waking it.
  scheduler.block({"executive resource", &resource, &explain_resource_wait, false});
}

void Resources::add_shared(ResourceState& state, ERESOURCE_THREAD thread, const sched::Context* context) {
  if (ResourceState::Owner* owner = state.owner(thread)) {
    ++owner->count;
    return;
  }
  state.owners.push_back({thread, 1, context});
}

void Resources::grant_shared_waiters(ResourceState& state) {
  sched::Scheduler& scheduler = *sched::Scheduler::current();
  std::vector<ResourceState::Waiter> waiters = std::move(state.shared_waiters);
  state.shared_waiters.clear();
  for (const ResourceState::Waiter& waiter : waiters) {
    add_shared(state, waiter.thread, waiter.context);
    scheduler.wake(*waiter.context, 1);
  }
}

void Resources::grant_waiters(ResourceState& state, bool prefer_shared) {
  if (!state.shared_waiters.empty() && (prefer_shared || state.exclusive_waiters.empty())) {
    state.exclusive = false;
    grant_shared_waiters(state);
    return;
  }
  if (state.exclusive_waiters.empty()) return;
  const ResourceState::Waiter waiter = state.exclusive_waiters.front();
  state.exclusive_waiters.pop_front();
  state.exclusive = true;
  state.owners.push_back({waiter.thread, 1, waiter.context});
  sched::Scheduler::current()->wake(*waiter.context, 1);
}

void Resources::release(ERESOURCE& resource, ERESOURCE_THREAD thread) {
  ResourceState& state = *find(&resource);
  ResourceState::Owner* owner = state.owner(thread);
  if (--owner->count == 0) {
    const bool was_exclusive = state.exclusive;
    state.owners.erase(state.owners.begin() + (owner - state.owners.data()));
    if (state.owners.empty()) {
      state.exclusive = false;
      grant_waiters(state, was_exclusive);
    }
  }
  mirror(resource, state);
}

void Resources::convert_to_shared(ERESOURCE& resource) {
  ResourceState& state = *find(&resource);
  state.exclusive = false;
  grant_shared_waiters(state);
  mirror(resource, state);
}

bool Resources::held_exclusive(const ERESOURCE& resource, ERESOURCE_THREAD thread) const {
  const ResourceState* state = find(&resource);
  return state != nullptr && state->exclusive && state->owners.front().thread == thread;
}

ULONG Resources::hold_count(const ERESOURCE& resource, ERESOURCE_THREAD thread) const {
  const ResourceState* state = find(&resource);
  const ResourceState::Owner* owner = state != nullptr ? state->owner(thread) : nullptr;
  return owner != nullptr ? owner->count : 0;
}

void Resources::explain(const ERESOURCE* resource, sched::WaitReport& report) const {
  const ResourceState* state = find(resource);
  if (state == nullptr) {
    report.description = fmt::format("ERESOURCE {} (deleted while waited on)", static_cast<const void*>(resource));
    return;
  }
  std::string owners;
  for (const ResourceState::Owner& owner : state->owners) {
    if (!owners.empty()) owners += ", ";
    owners += owner.context != nullptr ? owner.context->name() : fmt::format("thread {:#x}", owner.thread);
    if (owner.context != nullptr) report.owners.push_back(owner.context);
  }
  report.description =
      fmt::format("ERESOURCE {} ({}; {} exclusive and {} shared waiters)", static_cast<const void*>(resource),
                  state->owners.empty() ? std::string("not owned")
                  : state->exclusive    ? "owned exclusively by " + owners
                                        : "owned shared by " + owners,
                  state->exclusive_waiters.size(), state->shared_waiters.size());
}

void Resources::mirror(ERESOURCE& resource, const ResourceState& state) {
  resource.ActiveCount = static_cast<SHORT>(state.owners.size());
  resource.ActiveEntries = static_cast<ULONG>(state.owners.size());
  resource.Flag = static_cast<USHORT>(state.exclusive ? (resource.Flag | ResourceOwnedExclusive)
                                                      : (resource.Flag & ~ResourceOwnedExclusive));
  resource.OwnerEntry.OwnerThread = state.owners.empty() ? 0 : state.owners.front().thread;
  resource.OwnerEntry.TableSize = 0;
  resource.OwnerEntry.OwnerCount = state.owners.empty() ? 0 : state.owners.front().count;
  resource.ContentionCount = state.contention;
  resource.NumberOfSharedWaiters = static_cast<ULONG>(state.shared_waiters.size());
  resource.NumberOfExclusiveWaiters = static_cast<ULONG>(state.exclusive_waiters.size());
}

}  // namespace wdmlab::ex

namespace {

using wdmlab::ex::address_of;
using wdmlab::ex::Executive;
using wdmlab::ex::Resources;
using wdmlab::ex::SharedMode;

// DRIVER_VERIFIER_DETECTED_VIOLATION subcodes for resources.
constexpr std::uint64_t kAcquiredWithApcsEnabled = 0x37;
constexpr std::uint64_t kReleasedWithApcsEnabled = 0x38;
constexpr std::uint64_t kUnalignedResource = 0x3D;
constexpr std::uint64_t kInitializedTwice = 0xD0;
constexpr std::uint64_t kDeletedUninitialized = 0xD1;
constexpr std::uint64_t kUninitializedResource = 0x1002;

Resources& resources() { return Executive::require().resources(); }

void check_irql(const char* routine, const ERESOURCE* resource, KIRQL maximum, const void* caller) {
  const KIRQL irql = wdmlab::ke::current_irql();
  if (irql > maximum) {
    wdmlab::ke::irql_too_high(routine, resource, irql, maximum, caller,
                              maximum == APC_LEVEL ? "IrqlExApcLte3" : nullptr);
  }
}

void check_initialized(const char* routine, const ERESOURCE* resource) {
  if (resources().find(resource) != nullptr) [[likely]] return;
  std::string description = fmt::format("{} on {}, which is not an initialised ERESOURCE (never initialised, or "
                                        "deleted).",
                                        routine, static_cast<const void*>(resource));
  wdmlab::verifier::violation({.parameters = {kUninitializedResource, address_of(resource), 0, 0},
                               .description = description});
  // The lab has no state to run an uninitialised resource on: it stops either way.
  wdmlab::ke::bug_check(DRIVER_VERIFIER_DETECTED_VIOLATION, kUninitializedResource, address_of(resource), 0, 0,
                        std::move(description));
}

// Normal kernel APCs must be disabled (a critical region, or APC_LEVEL) while a resource is held.
void check_apcs_disabled(const char* routine, const ERESOURCE* resource, std::uint64_t subcode) {
  const KIRQL irql = wdmlab::ke::current_irql();
  const _KTHREAD* thread = wdmlab::ex::current_thread();
  if (irql >= APC_LEVEL || thread == nullptr || thread->KernelApcDisable != 0 || thread->SpecialApcDisable != 0) return;
  wdmlab::verifier::violation(
      {.parameters = {subcode, irql, wdmlab::ex::combined_apc_disable(thread), address_of(resource)},
       .description =
           fmt::format("{} with normal kernel APCs enabled; call KeEnterCriticalRegion first.", routine),
       .rule = "WithinCriticalRegion"});
}

// The checks every acquire routine makes.
void check_acquire(const char* routine, const ERESOURCE* resource, const void* caller) {
  check_irql(routine, resource, APC_LEVEL, caller);
  check_initialized(routine, resource);
  check_apcs_disabled(routine, resource, kAcquiredWithApcsEnabled);
}

void check_owner(const char* routine, const ERESOURCE* resource, ERESOURCE_THREAD thread, bool exclusive) {
  const bool owns =
      exclusive ? resources().held_exclusive(*resource, thread) : resources().hold_count(*resource, thread) != 0;
  if (owns) return;
  wdmlab::ke::bug_check(RESOURCE_NOT_OWNED, address_of(resource), thread, address_of(resource->OwnerTable), 0,
                        fmt::format("{} for thread {:#x}, which does not own the ERESOURCE at {}{}.", routine, thread,
                                    static_cast<const void*>(resource), exclusive ? " exclusively" : ""));
}

// Deadlock detection follows resources too (a waiting acquire may deadlock); a recursive
// acquire is allowed except exclusive over shared.
constexpr auto kResource = wdmlab::verifier::LockKind::Resource;

BOOLEAN acquire_exclusive(ERESOURCE* resource, bool wait) {
  if (wait) wdmlab::verifier::before_acquire(resource, kResource, {.recursion_allowed = true});
  if (!resources().acquire_exclusive(*resource, wdmlab::ex::current_resource_thread(), wait)) return FALSE;
  wdmlab::verifier::acquired(resource, kResource, {.recursion_allowed = true});
  return TRUE;
}

BOOLEAN acquire_shared(ERESOURCE* resource, SharedMode mode, bool wait) {
  const wdmlab::verifier::AcquireFlags flags{.recursion_allowed = true, .shared = true};
  if (wait) wdmlab::verifier::before_acquire(resource, kResource, flags);
  if (!resources().acquire_shared(*resource, wdmlab::ex::current_resource_thread(), mode, wait)) return FALSE;
  wdmlab::verifier::acquired(resource, kResource, flags);
  return TRUE;
}

}  // namespace

extern "C" {

NTSTATUS NTAPI ExInitializeResourceLite(PERESOURCE Resource) {
  wdmlab::sched::scheduling_point();
  check_irql("ExInitializeResourceLite", Resource, DISPATCH_LEVEL, __builtin_return_address(0));
  if (address_of(Resource) % sizeof(ULONG_PTR) != 0) {
    wdmlab::verifier::violation({.parameters = {kUnalignedResource, 0, 0, address_of(Resource)},
                                 .description = fmt::format("ExInitializeResourceLite on {}, which is not 8-byte "
                                                            "aligned.",
                                                            static_cast<const void*>(Resource))});
  }
  if (resources().find(Resource) != nullptr) {
    wdmlab::verifier::violation(
        {.parameters = {kInitializedTwice, address_of(Resource), 0, 0},
         .description = fmt::format("ExInitializeResourceLite on the ERESOURCE at {}, which is already initialised "
                                    "and was never deleted.",
                                    static_cast<const void*>(Resource))});
    resources().remove(*Resource);
  }
  wdmlab::verifier::forget_lock(Resource);
  resources().initialize(*Resource, wdmlab::sched::calling_driver());
  return STATUS_SUCCESS;
}

NTSTATUS NTAPI ExReinitializeResourceLite(PERESOURCE Resource) {
  wdmlab::sched::scheduling_point();
  check_irql("ExReinitializeResourceLite", Resource, DISPATCH_LEVEL, __builtin_return_address(0));
  check_initialized("ExReinitializeResourceLite", Resource);
  resources().remove(*Resource);
  resources().initialize(*Resource, wdmlab::sched::calling_driver());
  return STATUS_SUCCESS;
}

NTSTATUS NTAPI ExDeleteResourceLite(PERESOURCE Resource) {
  wdmlab::sched::scheduling_point();
  check_irql("ExDeleteResourceLite", Resource, DISPATCH_LEVEL, __builtin_return_address(0));
  if (resources().find(Resource) == nullptr) {
    wdmlab::verifier::violation({.parameters = {kDeletedUninitialized, address_of(Resource), 0, 0},
                                 .description = fmt::format("ExDeleteResourceLite on {}, which is not an initialised "
                                                            "ERESOURCE.",
                                                            static_cast<const void*>(Resource))});
    return STATUS_SUCCESS;
  }
  wdmlab::verifier::forget_lock(Resource);
  resources().remove(*Resource);
  return STATUS_SUCCESS;
}

BOOLEAN NTAPI ExAcquireResourceExclusiveLite(PERESOURCE Resource, BOOLEAN Wait) {
  wdmlab::sched::scheduling_point();
  check_acquire("ExAcquireResourceExclusiveLite", Resource, __builtin_return_address(0));
  return acquire_exclusive(Resource, Wait != FALSE);
}

BOOLEAN NTAPI ExTryToAcquireResourceExclusiveLite(PERESOURCE Resource) {
  wdmlab::sched::scheduling_point();
  check_acquire("ExTryToAcquireResourceExclusiveLite", Resource, __builtin_return_address(0));
  return acquire_exclusive(Resource, false);
}

BOOLEAN NTAPI ExAcquireResourceSharedLite(PERESOURCE Resource, BOOLEAN Wait) {
  wdmlab::sched::scheduling_point();
  check_acquire("ExAcquireResourceSharedLite", Resource, __builtin_return_address(0));
  return acquire_shared(Resource, SharedMode::Normal, Wait != FALSE);
}

BOOLEAN NTAPI ExAcquireSharedStarveExclusive(PERESOURCE Resource, BOOLEAN Wait) {
  wdmlab::sched::scheduling_point();
  check_acquire("ExAcquireSharedStarveExclusive", Resource, __builtin_return_address(0));
  return acquire_shared(Resource, SharedMode::StarveExclusive, Wait != FALSE);
}

BOOLEAN NTAPI ExAcquireSharedWaitForExclusive(PERESOURCE Resource, BOOLEAN Wait) {
  wdmlab::sched::scheduling_point();
  check_acquire("ExAcquireSharedWaitForExclusive", Resource, __builtin_return_address(0));
  return acquire_shared(Resource, SharedMode::WaitForExclusive, Wait != FALSE);
}

VOID FASTCALL ExReleaseResourceLite(PERESOURCE Resource) {
  wdmlab::sched::scheduling_point();
  check_irql("ExReleaseResourceLite", Resource, DISPATCH_LEVEL, __builtin_return_address(0));
  check_initialized("ExReleaseResourceLite", Resource);
  check_apcs_disabled("ExReleaseResourceLite", Resource, kReleasedWithApcsEnabled);
  check_owner("ExReleaseResourceLite", Resource, wdmlab::ex::current_resource_thread(), false);
  wdmlab::verifier::before_release(Resource, kResource);
  resources().release(*Resource, wdmlab::ex::current_resource_thread());
}

VOID NTAPI ExReleaseResourceForThreadLite(PERESOURCE Resource, ERESOURCE_THREAD ResourceThreadId) {
  wdmlab::sched::scheduling_point();
  check_irql("ExReleaseResourceForThreadLite", Resource, DISPATCH_LEVEL, __builtin_return_address(0));
  check_initialized("ExReleaseResourceForThreadLite", Resource);
  check_owner("ExReleaseResourceForThreadLite", Resource, ResourceThreadId, false);
  wdmlab::verifier::before_release(Resource, kResource, true);
  resources().release(*Resource, ResourceThreadId);
}

VOID NTAPI ExConvertExclusiveToSharedLite(PERESOURCE Resource) {
  wdmlab::sched::scheduling_point();
  check_irql("ExConvertExclusiveToSharedLite", Resource, APC_LEVEL, __builtin_return_address(0));
  check_initialized("ExConvertExclusiveToSharedLite", Resource);
  check_owner("ExConvertExclusiveToSharedLite", Resource, wdmlab::ex::current_resource_thread(), true);
  resources().convert_to_shared(*Resource);
}

BOOLEAN NTAPI ExIsResourceAcquiredExclusiveLite(PERESOURCE Resource) {
  wdmlab::sched::scheduling_point();
  check_irql("ExIsResourceAcquiredExclusiveLite", Resource, DISPATCH_LEVEL, __builtin_return_address(0));
  check_initialized("ExIsResourceAcquiredExclusiveLite", Resource);
  return resources().held_exclusive(*Resource, wdmlab::ex::current_resource_thread()) ? TRUE : FALSE;
}

ULONG NTAPI ExIsResourceAcquiredSharedLite(PERESOURCE Resource) {
  wdmlab::sched::scheduling_point();
  check_irql("ExIsResourceAcquiredSharedLite", Resource, DISPATCH_LEVEL, __builtin_return_address(0));
  check_initialized("ExIsResourceAcquiredSharedLite", Resource);
  return resources().hold_count(*Resource, wdmlab::ex::current_resource_thread());
}

ULONG NTAPI ExGetExclusiveWaiterCount(PERESOURCE Resource) {
  wdmlab::sched::scheduling_point();
  check_irql("ExGetExclusiveWaiterCount", Resource, DISPATCH_LEVEL, __builtin_return_address(0));
  check_initialized("ExGetExclusiveWaiterCount", Resource);
  return static_cast<ULONG>(resources().find(Resource)->exclusive_waiters.size());
}

ULONG NTAPI ExGetSharedWaiterCount(PERESOURCE Resource) {
  wdmlab::sched::scheduling_point();
  check_irql("ExGetSharedWaiterCount", Resource, DISPATCH_LEVEL, __builtin_return_address(0));
  check_initialized("ExGetSharedWaiterCount", Resource);
  return static_cast<ULONG>(resources().find(Resource)->shared_waiters.size());
}

PVOID NTAPI ExEnterCriticalRegionAndAcquireResourceExclusive(PERESOURCE Resource) {
  wdmlab::sched::scheduling_point();
  check_irql("ExEnterCriticalRegionAndAcquireResourceExclusive", Resource, APC_LEVEL, __builtin_return_address(0));
  KeEnterCriticalRegion();
  check_acquire("ExEnterCriticalRegionAndAcquireResourceExclusive", Resource, __builtin_return_address(0));
  acquire_exclusive(Resource, true);
  return wdmlab::ex::current_thread();
}

PVOID NTAPI ExEnterCriticalRegionAndAcquireResourceShared(PERESOURCE Resource) {
  wdmlab::sched::scheduling_point();
  check_irql("ExEnterCriticalRegionAndAcquireResourceShared", Resource, APC_LEVEL, __builtin_return_address(0));
  KeEnterCriticalRegion();
  check_acquire("ExEnterCriticalRegionAndAcquireResourceShared", Resource, __builtin_return_address(0));
  acquire_shared(Resource, SharedMode::Normal, true);
  return wdmlab::ex::current_thread();
}

VOID FASTCALL ExReleaseResourceAndLeaveCriticalRegion(PERESOURCE Resource) {
  wdmlab::sched::scheduling_point();
  check_irql("ExReleaseResourceAndLeaveCriticalRegion", Resource, DISPATCH_LEVEL, __builtin_return_address(0));
  check_initialized("ExReleaseResourceAndLeaveCriticalRegion", Resource);
  check_owner("ExReleaseResourceAndLeaveCriticalRegion", Resource, wdmlab::ex::current_resource_thread(), false);
  wdmlab::verifier::before_release(Resource, kResource);
  resources().release(*Resource, wdmlab::ex::current_resource_thread());
  KeLeaveCriticalRegion();
}

}  // extern "C"
