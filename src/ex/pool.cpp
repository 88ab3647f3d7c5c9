// Pool memory: the books (Pool, PoolAccounting) and the exported allocation and free routines.
#include "ex/pool.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include "base/address_space.hpp"
#include "base/check.hpp"
#include "base/driver_identity.hpp"
#include "base/stack.hpp"
#include "ex/executive.hpp"
#include "ke/bugcheck.hpp"
#include "rtl/exception.hpp"
#include "sched/scheduler.hpp"
#include "verifier/low_resources.hpp"

namespace wdmlab::ex {

namespace {

constexpr ULONG kRequestModifiers =
    POOL_QUOTA_FAIL_INSTEAD_OF_RAISE | POOL_RAISE_IF_ALLOCATION_FAILURE | POOL_COLD_ALLOCATION | POOL_ZERO_ALLOCATION;
constexpr ULONG kSessionBit = 32;
constexpr ULONG kPagedBit = 1;
constexpr ULONG kMustSucceedBit = 2;
constexpr ULONG kCacheAlignedBit = 4;

constexpr POOL_FLAGS kKnownRequiredFlags = POOL_FLAG_USE_QUOTA | POOL_FLAG_UNINITIALIZED | POOL_FLAG_SESSION |
                                           POOL_FLAG_CACHE_ALIGNED | POOL_FLAG_RAISE_ON_FAILURE | POOL_FLAG_NON_PAGED |
                                           POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED;
constexpr POOL_FLAGS kPoolTypeFlags = POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED;

std::size_t charged_bytes(std::size_t size) { return std::max<std::size_t>(size, 1); }

}  // namespace

PoolTypeInfo classify_pool_type(ULONG pool_type) {
  PoolTypeInfo info;
  info.quota_fail_instead_of_raise = (pool_type & POOL_QUOTA_FAIL_INSTEAD_OF_RAISE) != 0;
  info.raise_on_failure = (pool_type & POOL_RAISE_IF_ALLOCATION_FAILURE) != 0;
  info.zero = (pool_type & POOL_ZERO_ALLOCATION) != 0;
  const ULONG base = pool_type & ~kRequestModifiers;
  info.base = static_cast<POOL_TYPE>(base);
  const bool nx = (base & POOL_NX_ALLOCATION) != 0;
  info.session = (base & kSessionBit) != 0;
  const ULONG core = base & ~(POOL_NX_ALLOCATION | kSessionBit);
  if (core >= MaxPoolType) return info;  // unknown bits
  info.paged = (core & kPagedBit) != 0;
  info.cache_aligned = (core & kCacheAlignedBit) != 0;
  info.must_succeed = (core & kMustSucceedBit) != 0 && !info.paged;
  info.executable = !info.paged && !nx;
  info.valid =
      core == NonPagedPool || core == PagedPool || core == NonPagedPoolCacheAligned || core == PagedPoolCacheAligned;
  return info;
}

PoolFlagsInfo classify_pool_flags(POOL_FLAGS flags) {
  PoolFlagsInfo info;
  info.raise_on_failure = (flags & POOL_FLAG_RAISE_ON_FAILURE) != 0;
  info.zero = (flags & POOL_FLAG_UNINITIALIZED) == 0;
  info.cache_aligned = (flags & POOL_FLAG_CACHE_ALIGNED) != 0;
  info.quota = (flags & POOL_FLAG_USE_QUOTA) != 0;
  const POOL_FLAGS required = flags & 0xFFFFFFFFULL;
  if ((required & ~kKnownRequiredFlags) != 0) return info;  // reserved or unknown required flags
  if (std::popcount(required & kPoolTypeFlags) != 1) return info;
  ULONG type = (required & POOL_FLAG_PAGED) != 0               ? static_cast<ULONG>(PagedPool)
               : (required & POOL_FLAG_NON_PAGED_EXECUTE) != 0 ? static_cast<ULONG>(NonPagedPoolExecute)
                                                               : static_cast<ULONG>(NonPagedPoolNx);
  if (info.cache_aligned) type |= kCacheAlignedBit;
  if ((required & POOL_FLAG_SESSION) != 0) type |= kSessionBit;
  info.type = static_cast<POOL_TYPE>(type);
  info.valid = true;
  return info;
}

// --- accounting -----------------------------------------------------------------------------------

void PoolAccounting::add(PoolUsage& usage, std::size_t bytes) {
  ++usage.allocations;
  ++usage.current_count;
  usage.current_bytes += bytes;
  usage.peak_count = std::max(usage.peak_count, usage.current_count);
  usage.peak_bytes = std::max(usage.peak_bytes, usage.current_bytes);
}

void PoolAccounting::remove(PoolUsage& usage, std::size_t bytes) {
  ++usage.frees;
  --usage.current_count;
  usage.current_bytes -= bytes;
}

PoolUsage PoolAccounting::by_driver(const base::DriverIdentity* driver) const {
  auto it = drivers_.find(driver);
  return it != drivers_.end() ? it->second : PoolUsage{};
}

PoolUsage PoolAccounting::by_driver_name(std::string_view name) const {
  PoolUsage sum;
  for (const auto& [driver, usage] : drivers_) {
    if (driver == nullptr || driver->name != name) continue;
    sum.allocations += usage.allocations;
    sum.frees += usage.frees;
    sum.failures += usage.failures;
    sum.current_bytes += usage.current_bytes;
    sum.current_count += usage.current_count;
    sum.peak_bytes = std::max(sum.peak_bytes, usage.peak_bytes);
    sum.peak_count = std::max(sum.peak_count, usage.peak_count);
  }
  return sum;
}

PoolUsage PoolAccounting::by_tag(ULONG tag) const {
  auto it = tags_.find(tag);
  return it != tags_.end() ? it->second : PoolUsage{};
}

PoolUsage PoolAccounting::by_driver_and_tag(const base::DriverIdentity* driver, ULONG tag) const {
  auto it = driver_tags_.find({driver, tag});
  return it != driver_tags_.end() ? it->second : PoolUsage{};
}

std::vector<const PoolAllocation*> PoolAccounting::outstanding(const base::DriverIdentity* driver) const {
  std::vector<const PoolAllocation*> blocks;
  for (const auto& [address, block] : *live_) {
    if (block.driver == driver) blocks.push_back(&block);
  }
  std::sort(blocks.begin(), blocks.end(), [](auto* a, auto* b) { return a->serial < b->serial; });
  return blocks;
}

std::vector<const PoolAllocation*> PoolAccounting::outstanding_by_driver_name(std::string_view name) const {
  std::vector<const PoolAllocation*> blocks;
  for (const auto& [address, block] : *live_) {
    if (block.driver != nullptr && block.driver->name == name) blocks.push_back(&block);
  }
  std::sort(blocks.begin(), blocks.end(), [](auto* a, auto* b) { return a->serial < b->serial; });
  return blocks;
}

// --- the pool ---------------------------------------------------------------------------------------

Pool::Pool(PoolOptions options) : options_(options), accounting_(&live_) {}

Pool::~Pool() {
  for (auto& [address, block] : live_) std::free(reinterpret_cast<void*>(address));
  for (auto& [address, block] : freed_) std::free(reinterpret_cast<void*>(address));
}

void* Pool::allocate(const PoolRequest& request) {
  const bool paged = classify_pool_type(request.type).paged;
  std::uint64_t& in_use = paged ? paged_bytes_ : nonpaged_bytes_;
  const std::uint64_t capacity = paged ? options_.paged_capacity : options_.nonpaged_capacity;
  void* memory = nullptr;
  if (request.bytes <= capacity - std::min(capacity, in_use)) {
    const std::size_t alignment = request.bytes >= PAGE_SIZE ? PAGE_SIZE
                                  : request.cache_aligned    ? SYSTEM_CACHE_ALIGNMENT_SIZE
                                                             : MEMORY_ALLOCATION_ALIGNMENT;
    if (::posix_memalign(&memory, alignment, charged_bytes(request.bytes)) != 0) memory = nullptr;
  }
  if (memory == nullptr) {
    count_failure(request.driver, request.tag);
    return nullptr;
  }
  std::memset(memory, request.zero ? 0 : kUninitializedFill, charged_bytes(request.bytes));
  in_use += request.bytes;

  PoolAllocation block;
  block.address = reinterpret_cast<std::uintptr_t>(memory);
  block.size = request.bytes;
  block.tag = request.tag;
  block.pool_type = request.type;
  block.driver = request.driver;
  block.serial = next_serial_++;
  block.stack = base::capture_stack(1);
  PoolAccounting::add(accounting_.total_, request.bytes);
  PoolAccounting::add(accounting_.drivers_[request.driver], request.bytes);
  PoolAccounting::add(accounting_.tags_[request.tag], request.bytes);
  PoolAccounting::add(accounting_.driver_tags_[{request.driver, request.tag}], request.bytes);
  live_.emplace(block.address, std::move(block));
  return memory;
}

void Pool::count_failure(const base::DriverIdentity* driver, ULONG tag) {
  ++accounting_.total_.failures;
  ++accounting_.drivers_[driver].failures;
  ++accounting_.tags_[tag].failures;
  ++accounting_.driver_tags_[{driver, tag}].failures;
}

Pool::Lookup Pool::find(const void* address) const {
  const auto key = reinterpret_cast<std::uintptr_t>(address);
  if (auto it = live_.find(key); it != live_.end()) return {Found::Live, &it->second};
  if (auto it = freed_.find(key); it != freed_.end()) return {Found::Freed, &it->second};
  if (const PoolAllocation* block = block_containing(key)) return {Found::Inside, block};
  return {};
}

const PoolAllocation* Pool::block_containing(std::uintptr_t address) const {
  auto it = live_.upper_bound(address);
  if (it == live_.begin()) return nullptr;
  --it;
  return address < it->first + charged_bytes(it->second.size) ? &it->second : nullptr;
}

void Pool::free(const void* address) {
  auto it = live_.find(reinterpret_cast<std::uintptr_t>(address));
  WDMLAB_CHECK(it != live_.end(), "free of {} which is not a live pool block", address);
  PoolAllocation block = std::move(it->second);
  live_.erase(it);
  (block.paged() ? paged_bytes_ : nonpaged_bytes_) -= block.size;
  PoolAccounting::remove(accounting_.total_, block.size);
  PoolAccounting::remove(accounting_.drivers_[block.driver], block.size);
  PoolAccounting::remove(accounting_.tags_[block.tag], block.size);
  PoolAccounting::remove(accounting_.driver_tags_[{block.driver, block.tag}], block.size);
  std::memset(reinterpret_cast<void*>(block.address), kFreedFill, charged_bytes(block.size));
  quarantine(std::move(block));
}

void Pool::quarantine(PoolAllocation block) {
  block.stack.clear();
  quarantine_bytes_ += charged_bytes(block.size);
  quarantine_order_.push_back(block.address);
  const std::uintptr_t address = block.address;
  freed_.emplace(address, std::move(block));
  trim_quarantine();
}

void Pool::trim_quarantine() {
  while (!quarantine_order_.empty() &&
         (quarantine_order_.size() > options_.quarantine_blocks || quarantine_bytes_ > options_.quarantine_bytes)) {
    const std::uintptr_t address = quarantine_order_.front();
    quarantine_order_.pop_front();
    auto it = freed_.find(address);
    WDMLAB_CHECK(it != freed_.end(), "quarantined block {:#x} has no record", address);
    quarantine_bytes_ -= charged_bytes(it->second.size);
    freed_.erase(it);
    std::free(reinterpret_cast<void*>(address));
  }
}

}  // namespace wdmlab::ex

// --- the exported routines ------------------------------------------------------------------------

namespace {

using wdmlab::ex::address_of;
using wdmlab::ex::Executive;
using wdmlab::ex::PoolAllocation;

// MmSystemRangeStart on x64 Windows: the start of system address space in 0xC2/0x40 reports.
constexpr std::uint64_t kSystemRangeStart = 0xFFFF800000000000ULL;
// 'None' in memory: the tag of the untagged allocation routines.
constexpr ULONG kTagNone = 'enoN';
// "BIG " in memory: the tag the pool reserves for its big-allocation table.
constexpr ULONG kTagBig = ' GIB';

constexpr std::uint64_t kAlreadyFreed = 0x07;
constexpr std::uint64_t kAllocateAtBadIrql = 0x08;
constexpr std::uint64_t kFreeAtBadIrql = 0x09;
constexpr std::uint64_t kWrongTag = 0x0A;
constexpr std::uint64_t kUserModeAddress = 0x40;
constexpr std::uint64_t kNeverInPool = 0x42;
constexpr std::uint64_t kBadAddress = 0x99;
constexpr std::uint64_t kMustSucceed = 0x9A;
constexpr std::uint64_t kTagZero = 0x9B;
constexpr std::uint64_t kTagBigUsed = 0x9C;
constexpr std::uint64_t kTagNoLetters = 0x9D;

// Verifier subcodes (0xC4) for blocks freed while they still hold a live object.
constexpr std::uint64_t kFreedActiveLookaside = 0xCC;
constexpr std::uint64_t kFreedActiveResource = 0xD2;
constexpr std::uint64_t kQuotaFromDpc = 0x10B;
// WORKER_INVALID subcode: an active work item was freed.
constexpr std::uint64_t kFreedActiveWorkItem = 0x0;

std::string tag_text(ULONG tag) {
  std::string text;
  for (int i = 0; i < 4; ++i) {
    const auto c = static_cast<unsigned char>(tag >> (8 * i));
    text += std::isprint(c) ? static_cast<char>(c) : '.';
  }
  return text;
}

// An x64 POOL_HEADER as a pool dump shows it for a freed block: PoolTag in the high 32 bits,
// PoolType 0 (free) and BlockSize (16-byte units, header included) below.
std::uint64_t freed_header(const PoolAllocation& block) {
  const std::uint64_t units = std::min<std::uint64_t>((block.size + 16 + 15) / 16, 0xFF);
  return (static_cast<std::uint64_t>(block.tag) << 32) | (units << 16);
}

bool tag_has_letter_or_digit(ULONG tag) {
  for (int i = 0; i < 4; ++i) {
    if (std::isalnum(static_cast<unsigned char>(tag >> (8 * i))) != 0) return true;
  }
  return false;
}

void check_allocation_irql(const char* routine, KIRQL irql, bool paged, ULONG pool_type, SIZE_T bytes,
                           const void* caller) {
  if (irql <= APC_LEVEL || (irql == DISPATCH_LEVEL && !paged)) return;
  wdmlab::ke::bug_check(BAD_POOL_CALLER, kAllocateAtBadIrql, irql, pool_type, bytes,
                        fmt::format("{} of {} bytes of {} pool at IRQL {}; paged pool needs IRQL <= APC_LEVEL, "
                                    "nonpaged pool IRQL <= DISPATCH_LEVEL (called from {}).",
                                    routine, bytes, paged ? "paged" : "nonpaged", irql, caller),
                        "IrqlExAllocatePool");
}

// The checks ExAllocatePoolWithTag and its relatives make of their arguments.
void check_tagged_request(const char* routine, const wdmlab::ex::PoolTypeInfo& info, ULONG pool_type, SIZE_T bytes,
                          ULONG tag, const void* caller) {
  check_allocation_irql(routine, wdmlab::ke::current_irql(), info.paged, pool_type, bytes, caller);
  if (info.must_succeed) {
    wdmlab::ke::bug_check(
        BAD_POOL_CALLER, kMustSucceed, pool_type, bytes, tag,
        fmt::format("{} asked for MustSucceed pool (type {}), which Windows no longer supports.", routine, pool_type));
  }
  if (tag == 0) {
    wdmlab::ke::bug_check(BAD_POOL_CALLER, kTagZero, pool_type, bytes, address_of(caller),
                          fmt::format("{} with tag 0: such allocations cannot be tracked.", routine));
  }
  if (tag == kTagBig) {
    wdmlab::ke::bug_check(BAD_POOL_CALLER, kTagBigUsed, pool_type, bytes, address_of(caller),
                          fmt::format("{} with the tag \"BIG \", which the pool reserves.", routine));
  }
  if (!tag_has_letter_or_digit(tag)) {
    wdmlab::ke::bug_check(BAD_POOL_CALLER, kTagNoLetters, tag, pool_type, address_of(caller),
                          fmt::format("{} with tag {:#010x}, which contains no letter or digit.", routine, tag));
  }
}

[[noreturn]] void raise_insufficient_resources(const void* caller) {
  wdmlab::rtl::raise_status(STATUS_INSUFFICIENT_RESOURCES, caller);
}

PVOID allocate_tagged(const char* routine, ULONG pool_type, SIZE_T bytes, ULONG tag, bool quota, const void* caller) {
  const wdmlab::ex::PoolTypeInfo info = wdmlab::ex::classify_pool_type(pool_type);
  check_tagged_request(routine, info, pool_type, bytes, tag, caller);
  Executive& executive = Executive::require();
  const wdmlab::base::DriverIdentity* driver = wdmlab::sched::calling_driver();
  if (quota) {
    wdmlab::sched::Scheduler* scheduler = wdmlab::sched::Scheduler::current();
    if (scheduler != nullptr && scheduler->running() != nullptr &&
        scheduler->running()->kind() == wdmlab::sched::ContextKind::DpcStack) {
      wdmlab::ke::bug_check(DRIVER_VERIFIER_DETECTED_VIOLATION, kQuotaFromDpc, 0, 0, 0,
                            fmt::format("{} charged pool quota from a DPC routine, where the current process is "
                                        "arbitrary.",
                                        routine));
    }
  }
  const bool raise = quota ? !info.quota_fail_instead_of_raise : info.raise_on_failure;
  PVOID block = nullptr;
  if (info.valid && !wdmlab::verifier::inject_failure(routine, tag, caller)) {
    block = executive.pool().allocate({info.base, bytes, tag, info.zero, info.cache_aligned, driver});
  } else {
    executive.pool().count_failure(driver, tag);
  }
  if (block == nullptr && raise) raise_insufficient_resources(caller);
  return block;
}

PVOID allocate_with_flags(const char* routine, POOL_FLAGS flags, SIZE_T bytes, ULONG tag, bool extra_valid,
                          const void* caller) {
  const wdmlab::ex::PoolFlagsInfo info = wdmlab::ex::classify_pool_flags(flags);
  const POOL_TYPE type = info.valid ? info.type : NonPagedPoolNx;
  check_allocation_irql(routine, wdmlab::ke::current_irql(), wdmlab::ex::classify_pool_type(type).paged, type, bytes,
                        caller);
  Executive& executive = Executive::require();
  const wdmlab::base::DriverIdentity* driver = wdmlab::sched::calling_driver();
  PVOID block = nullptr;
  if (info.valid && extra_valid && tag != 0 && !wdmlab::verifier::inject_failure(routine, tag, caller)) {
    block = executive.pool().allocate({type, bytes, tag, info.zero, info.cache_aligned, driver});
  } else {
    executive.pool().count_failure(driver, tag);
  }
  if (block == nullptr && info.raise_on_failure) raise_insufficient_resources(caller);
  return block;
}

bool valid_priority(ULONG priority) {
  switch (priority) {
    case LowPoolPriority:
    case LowPoolPrioritySpecialPoolOverrun:
    case LowPoolPrioritySpecialPoolUnderrun:
    case NormalPoolPriority:
    case NormalPoolPrioritySpecialPoolOverrun:
    case NormalPoolPrioritySpecialPoolUnderrun:
    case HighPoolPriority:
    case HighPoolPrioritySpecialPoolOverrun:
    case HighPoolPrioritySpecialPoolUnderrun:
      return true;
    default:
      return false;
  }
}

// Whether the allocator can honour every extended parameter that is not optional. The lab has
// one NUMA node and no secure pools.
bool extended_parameters_valid(PCPOOL_EXTENDED_PARAMETER parameters, ULONG count) {
  if (count != 0 && parameters == nullptr) return false;
  for (ULONG i = 0; i < count; ++i) {
    const POOL_EXTENDED_PARAMETER& parameter = parameters[i];
    if (parameter.Reserved != 0) return false;
    bool understood = false;
    switch (parameter.Type) {
      case PoolExtendedParameterPriority:
        understood = valid_priority(static_cast<ULONG>(parameter.Priority));
        break;
      case PoolExtendedParameterNumaNode:
        understood = (parameter.PreferredNode & ~static_cast<ULONG>(MM_ANY_NODE_OK)) == 0 ||
                     (parameter.PreferredNode & MM_ANY_NODE_OK) != 0;
        break;
      default:
        break;
    }
    if (!understood && parameter.Optional == 0) return false;
  }
  return true;
}

void free_pool(const char* routine, PVOID address, ULONG tag, const void* caller) {
  Executive& executive = Executive::require();
  const std::uintptr_t where = address_of(address);
  const wdmlab::base::AddressSpace* space = wdmlab::base::AddressSpace::current();
  if (space != nullptr && space->is_user(where)) {
    wdmlab::ke::bug_check(
        BAD_POOL_CALLER, kUserModeAddress, where, kSystemRangeStart, 0,
        fmt::format("{}({}) frees a user-mode address; pool lives in system space.", routine, address));
  }
  const wdmlab::ex::Pool::Lookup lookup = executive.pool().find(address);
  switch (lookup.found) {
    case wdmlab::ex::Pool::Found::Freed:
      wdmlab::ke::bug_check(BAD_POOL_CALLER, kAlreadyFreed, 0, freed_header(*lookup.block), where,
                            fmt::format("{}({}) frees a block that was already freed (tag '{}', {} bytes).", routine,
                                        address, tag_text(lookup.block->tag), lookup.block->size));
    case wdmlab::ex::Pool::Found::Inside:
      wdmlab::ke::bug_check(BAD_POOL_CALLER, kBadAddress, where, 0, 0,
                            fmt::format("{}({}) frees an address {} bytes into the block at {:#x} (tag '{}'); only "
                                        "the address the allocator returned may be freed.",
                                        routine, address, where - lookup.block->address, lookup.block->address,
                                        tag_text(lookup.block->tag)));
    case wdmlab::ex::Pool::Found::Unknown:
      wdmlab::ke::bug_check(BAD_POOL_CALLER, kNeverInPool, where, 0, 0,
                            fmt::format("{}({}) frees an address that was never allocated from pool (called from "
                                        "{}).",
                                        routine, address, caller));
    case wdmlab::ex::Pool::Found::Live:
      break;
  }
  const PoolAllocation& block = *lookup.block;
  const KIRQL irql = wdmlab::ke::current_irql();
  if (irql > DISPATCH_LEVEL || (irql == DISPATCH_LEVEL && block.paged())) {
    wdmlab::ke::bug_check(
        BAD_POOL_CALLER, kFreeAtBadIrql, irql, block.pool_type, where,
        fmt::format("{}({}) at IRQL {}: the block is {} pool, which must be freed at IRQL <= {}.", routine, address,
                    irql, block.paged() ? "paged" : "nonpaged", block.paged() ? "APC_LEVEL" : "DISPATCH_LEVEL"),
        "IrqlExFree1");
  }
  const bool protected_block = (block.tag & PROTECTED_POOL) != 0;
  if ((tag != 0 || protected_block) && tag != block.tag) {
    wdmlab::ke::bug_check(BAD_POOL_CALLER, kWrongTag, where, block.tag, tag,
                          fmt::format("{}({}, '{}') frees a block allocated with tag '{}'.", routine, address,
                                      tag_text(tag), tag_text(block.tag)));
  }
  const std::uintptr_t end = block.address + std::max<std::size_t>(block.size, 1);
  if (const void* list = executive.lookaside_lists().first_in(block.address, end)) {
    wdmlab::ke::bug_check(DRIVER_VERIFIER_DETECTED_VIOLATION, kFreedActiveLookaside, address_of(list), block.address,
                          block.size,
                          fmt::format("{}({}) frees memory holding the lookaside list at {}, which was never "
                                      "deleted.",
                                      routine, address, list));
  }
  if (const ERESOURCE* resource = executive.resources().first_in(block.address, end)) {
    wdmlab::ke::bug_check(DRIVER_VERIFIER_DETECTED_VIOLATION, kFreedActiveResource, address_of(resource), block.address,
                          block.size,
                          fmt::format("{}({}) frees memory holding the ERESOURCE at {}, which was never deleted "
                                      "(ExDeleteResourceLite).",
                                      routine, address, static_cast<const void*>(resource)));
  }
  if (const WORK_QUEUE_ITEM* item = executive.work_queues().first_in(block.address, end)) {
    wdmlab::ke::bug_check(WORKER_INVALID, kFreedActiveWorkItem, address_of(item), block.address, end,
                          fmt::format("{}({}) frees memory holding the work item at {}, which is still queued.",
                                      routine, address, static_cast<const void*>(item)));
  }
  executive.pool().free(address);
}

}  // namespace

extern "C" {

PVOID NTAPI ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag) {
  wdmlab::sched::scheduling_point();
  return allocate_with_flags("ExAllocatePool2", Flags, NumberOfBytes, Tag, true, __builtin_return_address(0));
}

PVOID NTAPI ExAllocatePool3(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag,
                            PCPOOL_EXTENDED_PARAMETER ExtendedParameters, ULONG ExtendedParametersCount) {
  wdmlab::sched::scheduling_point();
  const bool valid = extended_parameters_valid(ExtendedParameters, ExtendedParametersCount);
  return allocate_with_flags("ExAllocatePool3", Flags, NumberOfBytes, Tag, valid, __builtin_return_address(0));
}

PVOID NTAPI ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes) {
  wdmlab::sched::scheduling_point();
  return allocate_tagged("ExAllocatePool", static_cast<ULONG>(PoolType), NumberOfBytes, kTagNone, false,
                         __builtin_return_address(0));
}

PVOID NTAPI ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
  wdmlab::sched::scheduling_point();
  return allocate_tagged("ExAllocatePoolWithTag", static_cast<ULONG>(PoolType), NumberOfBytes, Tag, false,
                         __builtin_return_address(0));
}

PVOID NTAPI ExAllocatePoolWithTagPriority(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                          EX_POOL_PRIORITY Priority) {
  (void)Priority;  // the lab's pool never runs low, so every priority is served alike
  wdmlab::sched::scheduling_point();
  return allocate_tagged("ExAllocatePoolWithTagPriority", static_cast<ULONG>(PoolType), NumberOfBytes, Tag, false,
                         __builtin_return_address(0));
}

PVOID NTAPI ExAllocatePoolWithQuota(POOL_TYPE PoolType, SIZE_T NumberOfBytes) {
  wdmlab::sched::scheduling_point();
  return allocate_tagged("ExAllocatePoolWithQuota", static_cast<ULONG>(PoolType), NumberOfBytes, kTagNone, true,
                         __builtin_return_address(0));
}

PVOID NTAPI ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
  wdmlab::sched::scheduling_point();
  return allocate_tagged("ExAllocatePoolWithQuotaTag", static_cast<ULONG>(PoolType), NumberOfBytes, Tag, true,
                         __builtin_return_address(0));
}

VOID NTAPI ExFreePool(PVOID P) {
  wdmlab::sched::scheduling_point();
  free_pool("ExFreePool", P, 0, __builtin_return_address(0));
}

VOID NTAPI ExFreePoolWithTag(PVOID P, ULONG Tag) {
  wdmlab::sched::scheduling_point();
  free_pool("ExFreePoolWithTag", P, Tag, __builtin_return_address(0));
}

}  // extern "C"
