// Driver initialization, legacy unload (io/driver.hpp), and Driver Verifier's unload audit.
#include <fmt/format.h>

#include <algorithm>

#include "base/driver_identity.hpp"
#include "ex/executive.hpp"
#include "io/device.hpp"
#include "io/driver.hpp"
#include "ke/kernel.hpp"
#include "ps/process.hpp"
#include "verifier/verifier.hpp"

namespace wdmlab::io {

namespace {

using ex::address_of;

// TIMER_OR_DPC_INVALID parameter 1.
constexpr std::uint64_t kTimerObject = 0;
constexpr std::uint64_t kDpcObject = 1;
constexpr std::uint64_t kDpcRoutine = 2;
// 0xC4 parameter 1: unload with pool allocations still live.
constexpr std::uint64_t kUnloadLeak = 0x62;
// Leaks whose allocating stacks are shown as related stacks; the description lists every leak.
constexpr std::size_t kLeakStacksShown = 4;

bool devices_in_use(const DRIVER_OBJECT& driver) {
  for (PDEVICE_OBJECT device = driver.DeviceObject; device != nullptr; device = device->NextDevice) {
    if (device->ReferenceCount != 0) return true;
  }
  return false;
}

// Memory that goes away with the driver: its image and the pool it still holds.
struct Range {
  std::uintptr_t begin = 0;
  std::uintptr_t end = 0;
  std::string what;
  bool holds(const volatile void* address) const { return address_of(address) - begin < end - begin; }
};

std::vector<Range> unloading_ranges(const DriverRecord& record, const std::vector<const ex::PoolAllocation*>& leaks) {
  std::vector<Range> ranges;
  const DRIVER_OBJECT& object = *record.object;
  if (object.DriverSize != 0) {
    const std::uintptr_t start = address_of(object.DriverStart);
    ranges.push_back({start, start + object.DriverSize, fmt::format("the image of {}", record.identity.name)});
  }
  for (const ex::PoolAllocation* block : leaks) {
    ranges.push_back(
        {block->address, block->address + std::max<std::size_t>(block->size, 1),
         fmt::format("the pool block at {:#x} (tag '{}') it never freed", block->address, ex::tag_text(block->tag))});
  }
  return ranges;
}

// 0xC7: a timer still set, or a DPC still queued, that lives in or runs code from the memory
// going away.
void check_timers_and_dpcs(const DriverRecord& record, const std::vector<Range>& ranges) {
  if (ranges.empty()) return;
  ke::Kernel& kernel = ke::Kernel::require();
  struct Hit {
    std::uint64_t kind;
    const void* object;
    const Range* range;
  };
  std::vector<Hit> hits;
  const auto look_at_dpc = [&](const KDPC* dpc) {
    for (const Range& range : ranges) {
      if (range.holds(dpc)) hits.push_back({kDpcObject, dpc, &range});
      if (range.holds(reinterpret_cast<const void*>(dpc->DeferredRoutine))) hits.push_back({kDpcRoutine, dpc, &range});
    }
  };
  for (const auto& [timer, state] : kernel.timers()) {
    for (const Range& range : ranges) {
      if (range.holds(timer)) hits.push_back({kTimerObject, timer, &range});
    }
    if (timer->Dpc != nullptr) look_at_dpc(timer->Dpc);
  }
  for (std::uint32_t processor = 0; processor < kernel.scheduler().processors().size(); ++processor) {
    for (const KDPC* dpc : kernel.dpc_queue(processor)) look_at_dpc(dpc);
  }
  if (hits.empty()) return;
  // The timers' table is unordered: report the same hit whatever order it was found in.
  const Hit& hit = *std::min_element(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return std::pair(a.kind, address_of(a.object)) < std::pair(b.kind, address_of(b.object));
  });
  static constexpr const char* kWhat[] = {"the timer", "the DPC", "the routine of the DPC"};
  verifier::violation(
      {.code = TIMER_OR_DPC_INVALID,
       .parameters = {hit.kind, address_of(hit.object), hit.range->begin, hit.range->end},
       .description = fmt::format("{} unloaded while {} at {} was still {}: it lies in {}, which "
                                  "goes away with the driver. Cancel timers (KeCancelTimer) and "
                                  "flush DPCs (KeFlushQueuedDpcs) in DriverUnload.",
                                  record.identity.name, kWhat[hit.kind], hit.object,
                                  hit.kind == kTimerObject ? "set" : "queued or set to be queued", hit.range->what),
       .driver = &record.identity});
}

// 0xCE: lookaside lists and work items the driver left behind.
void check_pending_operations(const DriverRecord& record) {
  ex::Executive& executive = ex::Executive::require();
  const std::vector<const void*> lists = executive.lookaside_lists().owned_by(&record.identity);
  if (!lists.empty()) {
    const void* list = *std::min_element(lists.begin(), lists.end());
    verifier::violation({.code = DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS,
                         .parameters = {address_of(list), 0, 0, 0},
                         .description = fmt::format("{} unloaded without deleting the lookaside list at {} "
                                                    "({} list(s) left); delete each list in DriverUnload.",
                                                    record.identity.name, list, lists.size()),
                         .driver = &record.identity});
  }
  // A system thread the driver started and that has not ended runs (or will run) unloaded code.
  for (const _ETHREAD* thread : ps::ProcessManager::require().system_process()->threads) {
    const sched::Context* context = thread->Tcb.context;
    if (context == nullptr || context->finished() || thread->Tcb.Header.SignalState != 0 ||
        context->home_driver() != &record.identity || context == sched::Scheduler::current()->running()) {
      continue;
    }
    verifier::violation({.code = DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS,
                         .parameters = {address_of(thread), 0, 0, 0},
                         .description = fmt::format("{} unloaded while its system thread {} ('{}') is still "
                                                    "running; DriverUnload must make its threads exit and wait "
                                                    "for them (KeWaitForSingleObject on the thread object).",
                                                    record.identity.name, static_cast<const void*>(thread),
                                                    context->name()),
                         .driver = &record.identity});
    break;
  }
  if (const WORK_QUEUE_ITEM* item = executive.work_queues().first_pending(&record.identity)) {
    verifier::violation(
        {.code = DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS,
         .parameters = {address_of(item), 0, address_of(reinterpret_cast<const void*>(item->WorkerRoutine)), 0},
         .description = fmt::format("{} unloaded with the work item at {} still queued; its routine "
                                    "{} would run in unloaded code.",
                                    record.identity.name, static_cast<const void*>(item),
                                    reinterpret_cast<const void*>(item->WorkerRoutine)),
         .driver = &record.identity});
  }
}

// 0xC4/0x62: pool the driver still holds.
void check_leaks(const DriverRecord& record, const std::vector<const ex::PoolAllocation*>& leaks) {
  if (leaks.empty()) return;
  std::string list;
  std::vector<verifier::RelatedStack> stacks;
  for (const ex::PoolAllocation* block : leaks) {
    const std::string line = fmt::format("{:#x} tag '{}' {} bytes ({} pool)", block->address, ex::tag_text(block->tag),
                                         block->size, block->paged() ? "paged" : "nonpaged");
    list += "\n  " + line;
    if (stacks.size() < kLeakStacksShown && !block->stack.empty()) {
      stacks.push_back({"allocation of " + line, block->stack});
    }
  }
  verifier::violation(
      {.parameters = {kUnloadLeak, address_of(&record.object->DriverName), 0, leaks.size()},
       .description = fmt::format("{} unloaded without freeing {} pool allocation(s) (as `!verifier 3 {}` lists "
                                  "them):{}",
                                  record.identity.name, leaks.size(), record.identity.name, list),
       .driver = &record.identity,
       .related = std::move(stacks)});
}

// What Driver Verifier checks once DriverUnload has returned, on the unloading thread.
void audit_unload(const DriverRecord& record) {
  if (verifier::flags_of(&record.identity) == 0) return;
  const std::vector<const ex::PoolAllocation*> leaks =
      ex::Executive::require().pool().accounting().outstanding(&record.identity);
  check_timers_and_dpcs(record, unloading_ranges(record, leaks));
  check_pending_operations(record);
  check_leaks(record, leaks);
}

void start_unload(DriverRecord& record) {
  record.unload_started = true;
  PDRIVER_OBJECT object = record.object;
  object->Flags |= DRVO_UNLOAD_INVOKED;
  if (object->DriverUnload == nullptr) return;
  ps::ProcessManager::require().create_system_thread(
      fmt::format("DriverUnload({})", record.identity.name),
      [object, &record] {
        object->DriverUnload(object);
        audit_unload(record);
      },
      &record.identity, true);
}

}  // namespace

void driver_initialized(DriverRecord& record) {
  for (PDEVICE_OBJECT device = record.object->DeviceObject; device != nullptr; device = device->NextDevice) {
    device->Flags &= ~DO_DEVICE_INITIALIZING;
  }
}

bool unload_driver(DriverRecord& record) {
  if (record.unload_requested) return false;
  record.unload_requested = true;
  for (PDEVICE_OBJECT device = record.object->DeviceObject; device != nullptr; device = device->NextDevice) {
    node_of(device).extension_flags |= kDoeUnloadPending;
  }
  if (devices_in_use(*record.object)) return false;
  start_unload(record);
  return true;
}

void check_pending_unload(PDRIVER_OBJECT driver) {
  DriverRecord* record = driver_record(driver);
  if (record == nullptr || !record->unload_requested || record->unload_started || devices_in_use(*record->object)) {
    return;
  }
  start_unload(*record);
}

}  // namespace wdmlab::io
