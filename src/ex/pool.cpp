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
#include "ex/kasan.hpp"
#include "ke/bugcheck.hpp"
#include "ke/kernel.hpp"
#include "rtl/exception.hpp"
#include "sched/scheduler.hpp"
#include "verifier/verifier.hpp"
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
  for (auto& [address, block] : live_) {
    if (!block.special) std::free(reinterpret_cast<void*>(address));
  }
  for (auto& [address, block] : freed_) {
    if (!block.special) std::free(reinterpret_cast<void*>(address));
  }
}

void* Pool::allocate(const PoolRequest& request) {
  const bool paged = classify_pool_type(request.type).paged;
  std::uint64_t& in_use = paged ? paged_bytes_ : nonpaged_bytes_;
  const std::uint64_t capacity = paged ? options_.paged_capacity : options_.nonpaged_capacity;
  void* memory = nullptr;
  bool special = false;
  if (request.bytes <= capacity - std::min(capacity, in_use)) {
    const std::size_t alignment = request.bytes >= PAGE_SIZE ? PAGE_SIZE
                                  : request.cache_aligned    ? SYSTEM_CACHE_ALIGNMENT_SIZE
                                                             : MEMORY_ALLOCATION_ALIGNMENT;
    if (request.placement != Placement::Normal && request.bytes > 0 && request.bytes < PAGE_SIZE) {
      memory = special_.allocate(request.bytes, alignment, request.placement == Placement::SpecialVerifyStart,
                                 paged && request.trimmable);
      special = memory != nullptr;
    }
    if (memory == nullptr && ::posix_memalign(&memory, alignment, charged_bytes(request.bytes)) != 0) memory = nullptr;
  }
  if (memory == nullptr) {
    count_failure(request.driver, request.tag);
    return nullptr;
  }
  std::memset(memory, request.zero ? 0 : kUninitializedFill, charged_bytes(request.bytes));
  kasan::on_pool_allocate(memory, request.bytes, charged_bytes(request.bytes), request.driver);
  in_use += request.bytes;
  if (special) {
    // The slot may have held a block freed earlier: that record goes, the address is live again.
    if (auto stale = freed_.find(reinterpret_cast<std::uintptr_t>(memory)); stale != freed_.end()) {
      quarantine_bytes_ -= charged_bytes(stale->second.size);
      freed_.erase(stale);
    }
  }

  PoolAllocation block;
  block.address = reinterpret_cast<std::uintptr_t>(memory);
  block.size = request.bytes;
  block.tag = request.tag;
  block.pool_type = request.type;
  block.driver = request.driver;
  block.serial = next_serial_++;
  block.stack = base::capture_stack(1);
  block.special = special;
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
  if (block.special) {
    special_.release(block.address);
  } else {
    std::memset(reinterpret_cast<void*>(block.address), kFreedFill, charged_bytes(block.size));
    kasan::on_pool_free(reinterpret_cast<void*>(block.address), charged_bytes(block.size), block.driver);
  }
  quarantine(std::move(block));
}

void Pool::quarantine(PoolAllocation block) {
  if (!block.special) block.stack.clear();  // a special block keeps it for use-after-free reports
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
    if (it == freed_.end()) continue;  // a special pool slot that was used again
    quarantine_bytes_ -= charged_bytes(it->second.size);
    const bool special = it->second.special;
    freed_.erase(it);
    if (!special) std::free(reinterpret_cast<void*>(address));
  }
}

namespace {
IrpQuery g_irp_query = nullptr;
}  // namespace

std::string tag_text(ULONG tag) {
  std::string text;
  for (int i = 0; i < 4; ++i) {
    const auto c = static_cast<unsigned char>(tag >> (8 * i));
    text += std::isprint(c) ? static_cast<char>(c) : '.';
  }
  return text;
}

void set_irp_query(IrpQuery query) { g_irp_query = query; }

bool is_irp(const void* address) { return g_irp_query != nullptr && g_irp_query(address); }

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

// Driver Verifier's automatic pool checks (0xC4, parameter 1).
constexpr std::uint64_t kVerifierZeroBytes = 0x00;
constexpr std::uint64_t kVerifierPagedAboveApc = 0x01;
constexpr std::uint64_t kVerifierNonPagedAboveDispatch = 0x02;
constexpr std::uint64_t kVerifierFreeUnknown = 0x10;
constexpr std::uint64_t kVerifierFreePagedAboveApc = 0x11;
constexpr std::uint64_t kVerifierFreeNonPagedAboveDispatch = 0x12;
constexpr std::uint64_t kVerifierDoubleFree = 0x13;
constexpr std::uint64_t kVerifierFreedActiveTimer = 0x15;
constexpr std::uint64_t kVerifierIrpFreedAsPool = 0x105;
// SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION subtypes (parameter 4).
constexpr std::uint64_t kSpecialPoolNearbyBytes = 0x23;
constexpr std::uint64_t kSpecialPoolBytesAfterEnd = 0x24;
// An x64 POOL_HEADER precedes each block.
constexpr std::uintptr_t kPoolHeaderBytes = 16;

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

using wdmlab::ex::tag_text;

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
  wdmlab::verifier::violation(
      {.parameters = {paged ? kVerifierPagedAboveApc : kVerifierNonPagedAboveDispatch, irql, pool_type, bytes},
       .description = fmt::format("{} of {} bytes of {} pool at IRQL {}; {} pool needs IRQL <= {} (called from {}).",
                                  routine, bytes, paged ? "paged" : "nonpaged", irql, paged ? "paged" : "nonpaged",
                                  paged ? "APC_LEVEL" : "DISPATCH_LEVEL", caller)});
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

void check_zero_bytes(const char* routine, ULONG pool_type, SIZE_T bytes, const void* caller) {
  if (bytes != 0) return;
  wdmlab::verifier::violation(
      {.parameters = {kVerifierZeroBytes, wdmlab::ke::current_irql(), pool_type, 0},
       .description = fmt::format("{} asked for zero bytes of pool (called from {}).", routine, caller)});
}

bool underrun_priority(ULONG priority) {
  return priority == LowPoolPrioritySpecialPoolUnderrun || priority == NormalPoolPrioritySpecialPoolUnderrun ||
         priority == HighPoolPrioritySpecialPoolUnderrun;
}

// Serves a request from the pool and counts it for the verifier. A verified driver's block smaller
// than a page goes to special pool (flag 0x1), and its paged blocks go there too under Force IRQL
// checking (flag 0x2), marked trimmable. Code outside any driver (a test body) keeps normal pool:
// it may run on the host's stack, where a fault cannot be reported. A driver verified with the
// KASAN option keeps normal pool too: its blocks carry poisoned redzones instead, which name the
// access as KASAN does rather than as a fault on a guard page.
PVOID allocate_counted(Executive& executive, wdmlab::ex::PoolRequest request, ULONG priority) {
  const std::uint32_t flags = request.driver != nullptr ? wdmlab::verifier::flags() : 0;
  const bool special = (flags & (wdmlab::kVerifierSpecialPool | wdmlab::kVerifierKasan)) == wdmlab::kVerifierSpecialPool;
  const bool paged = wdmlab::ex::classify_pool_type(request.type).paged;
  request.trimmable = paged && (flags & wdmlab::kVerifierForceIrqlChecking) != 0;
  if (special || request.trimmable) {
    request.placement = underrun_priority(priority) ? wdmlab::ex::Placement::SpecialVerifyStart
                                                    : wdmlab::ex::Placement::SpecialVerifyEnd;
  }
  PVOID block = executive.pool().allocate(request);
  if (wdmlab::VerifierCounters* counters = wdmlab::verifier::counters()) {
    ++counters->pool_allocations_attempted;
    ++(block != nullptr ? counters->pool_allocations_succeeded : counters->pool_allocations_failed);
    if (special && block != nullptr && executive.pool().special().owns(reinterpret_cast<std::uintptr_t>(block))) {
      ++counters->pool_allocations_special;
    }
  }
  return block;
}

[[noreturn]] void raise_insufficient_resources(const void* caller) {
  wdmlab::rtl::raise_status(STATUS_INSUFFICIENT_RESOURCES, caller);
}

PVOID allocate_tagged(const char* routine, ULONG pool_type, SIZE_T bytes, ULONG tag, bool quota, const void* caller,
                      ULONG priority = NormalPoolPriority) {
  const wdmlab::ex::PoolTypeInfo info = wdmlab::ex::classify_pool_type(pool_type);
  check_zero_bytes(routine, pool_type, bytes, caller);
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
    block = allocate_counted(executive, {info.base, bytes, tag, info.zero, info.cache_aligned, driver}, priority);
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
  check_zero_bytes(routine, type, bytes, caller);
  check_allocation_irql(routine, wdmlab::ke::current_irql(), wdmlab::ex::classify_pool_type(type).paged, type, bytes,
                        caller);
  Executive& executive = Executive::require();
  const wdmlab::base::DriverIdentity* driver = wdmlab::sched::calling_driver();
  PVOID block = nullptr;
  if (info.valid && extra_valid && tag != 0 && !wdmlab::verifier::inject_failure(routine, tag, caller)) {
    block = allocate_counted(executive, {type, bytes, tag, info.zero, info.cache_aligned, driver}, NormalPoolPriority);
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

// A stack to show with a finding about `block`: where it was allocated.
std::vector<wdmlab::verifier::RelatedStack> allocation_stack(const PoolAllocation& block) {
  if (block.stack.empty()) return {};
  return {{fmt::format("allocation of {:#x} (tag '{}', {} bytes)", block.address, tag_text(block.tag), block.size),
           block.stack}};
}

std::string describe_block(const PoolAllocation& block) {
  return fmt::format("the block at {:#x} (tag '{}', {} bytes{})", block.address, tag_text(block.tag), block.size,
                     block.driver != nullptr ? ", allocated by " + block.driver->name : std::string());
}

// The checks of a free that find no live block at `address`.
void report_bad_free(const char* routine, PVOID address, const wdmlab::ex::Pool::Lookup& lookup, const void* caller) {
  const std::uintptr_t where = address_of(address);
  switch (lookup.found) {
    case wdmlab::ex::Pool::Found::Freed: {
      const PoolAllocation& block = *lookup.block;
      wdmlab::verifier::violation(
          {.parameters = {kVerifierDoubleFree, 0, where - kPoolHeaderBytes, freed_header(block)},
           .description = fmt::format("{}({}) frees {} a second time.", routine, address, describe_block(block)),
           .related = allocation_stack(block)});
      wdmlab::ke::bug_check(BAD_POOL_CALLER, kAlreadyFreed, 0, freed_header(block), where,
                            fmt::format("{}({}) frees a block that was already freed (tag '{}', {} bytes).", routine,
                                        address, tag_text(block.tag), block.size));
    }
    case wdmlab::ex::Pool::Found::Inside:
      wdmlab::ke::bug_check(BAD_POOL_CALLER, kBadAddress, where, 0, 0,
                            fmt::format("{}({}) frees an address {} bytes into the block at {:#x} (tag '{}'); only "
                                        "the address the allocator returned may be freed.",
                                        routine, address, where - lookup.block->address, lookup.block->address,
                                        tag_text(lookup.block->tag)));
    case wdmlab::ex::Pool::Found::Unknown:
      if (wdmlab::ex::is_irp(address)) {
        wdmlab::verifier::violation(
            {.parameters = {kVerifierIrpFreedAsPool, where, 0, 0},
             .description = fmt::format("{}({}) frees an IRP from IoAllocateIrp; an IRP is freed with IoFreeIrp.",
                                        routine, address)});
      }
      wdmlab::verifier::violation(
          {.parameters = {kVerifierFreeUnknown, where, 0, 0},
           .description = fmt::format("{}({}) frees an address no allocator returned (called from {}).", routine,
                                      address, caller)});
      wdmlab::ke::bug_check(BAD_POOL_CALLER, kNeverInPool, where, 0, 0,
                            fmt::format("{}({}) frees an address that was never allocated from pool (called from "
                                        "{}).",
                                        routine, address, caller));
    case wdmlab::ex::Pool::Found::Live:
      break;
  }
}

// A timer still set whose KTIMER lies in [begin, end), or null.
const KTIMER* set_timer_in(std::uintptr_t begin, std::uintptr_t end) {
  wdmlab::ke::Kernel* kernel = wdmlab::ke::Kernel::current();
  if (kernel == nullptr) return nullptr;
  for (const auto& [timer, state] : kernel->timers()) {
    if (address_of(timer) >= begin && address_of(timer) < end) return timer;
  }
  return nullptr;
}

// The special pool's fill around `block` (checked at free).
void check_special_fill(const char* routine, PVOID address, const PoolAllocation& block) {
  const wdmlab::ex::SpecialPool::Damage damage = Executive::require().pool().special().check(block.address);
  if (damage.where == 0) return;
  const std::string place = damage.after_end
                                ? fmt::format("{} bytes past the end of", damage.where - (block.address + block.size))
                                : fmt::format("{} bytes before", block.address - damage.where);
  wdmlab::verifier::violation(
      {.code = SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION,
       .parameters = {block.address, damage.where, 0,
                      damage.after_end ? kSpecialPoolBytesAfterEnd : kSpecialPoolNearbyBytes},
       .description = fmt::format("{}({}): the byte at {:#x}, {} {}, was overwritten. Special pool fills the rest "
                                  "of the block's page and checks it when the block is freed.",
                                  routine, address, damage.where, place, describe_block(block)),
       .related = allocation_stack(block)});
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
  report_bad_free(routine, address, lookup, caller);
  const PoolAllocation& block = *lookup.block;
  const KIRQL irql = wdmlab::ke::current_irql();
  if (irql > DISPATCH_LEVEL || (irql == DISPATCH_LEVEL && block.paged())) {
    wdmlab::verifier::violation(
        {.parameters = {block.paged() ? kVerifierFreePagedAboveApc : kVerifierFreeNonPagedAboveDispatch, irql,
                        static_cast<std::uint64_t>(block.pool_type), where},
         .description = fmt::format("{}({}) at IRQL {}: {} is {} pool, which must be freed at IRQL <= {}.", routine,
                                    address, irql, describe_block(block), block.paged() ? "paged" : "nonpaged",
                                    block.paged() ? "APC_LEVEL" : "DISPATCH_LEVEL"),
         .related = allocation_stack(block),
         .rule = "IrqlExFree1"});
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
  if (block.special) check_special_fill(routine, address, block);
  const std::uintptr_t end = block.address + std::max<std::size_t>(block.size, 1);
  if (const KTIMER* timer = set_timer_in(block.address, end)) {
    wdmlab::verifier::violation(
        {.parameters = {kVerifierFreedActiveTimer, address_of(timer), static_cast<std::uint64_t>(block.pool_type),
                        block.address},
         .description = fmt::format("{}({}) frees {}, which holds the timer at {}, still set (KeCancelTimer first).",
                                    routine, address, describe_block(block), static_cast<const void*>(timer)),
         .related = allocation_stack(block)});
  }
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
  // The lab's pool never runs low, so every priority is served alike; the special pool honours
  // the ...SpecialPoolUnderrun priorities (Verify Start).
  wdmlab::sched::scheduling_point();
  return allocate_tagged("ExAllocatePoolWithTagPriority", static_cast<ULONG>(PoolType), NumberOfBytes, Tag, false,
                         __builtin_return_address(0), static_cast<ULONG>(Priority));
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

// --- special pool faults and trimming ---------------------------------------------------------------

namespace wdmlab::ex {

void check_special_pool_fault(std::uintptr_t address, bool write, std::uintptr_t pc) {
  Executive* executive = Executive::current();
  if (executive == nullptr || !executive->pool().special().contains(address)) return;
  const SpecialPool::Fault fault = executive->pool().special().classify(address);
  if (fault.touched == SpecialPool::Touched::Live) return;
  const Pool::Lookup lookup =
      fault.block != 0 ? executive->pool().find(reinterpret_cast<const void*>(fault.block)) : Pool::Lookup{};
  const PoolAllocation* block =
      lookup.found == Pool::Found::Live || lookup.found == Pool::Found::Freed ? lookup.block : nullptr;
  const std::string what = block != nullptr ? describe_block(*block) : std::string("no live block");
  std::vector<verifier::RelatedStack> related =
      block != nullptr ? allocation_stack(*block) : std::vector<verifier::RelatedStack>{};
  const bool driver_known = sched::calling_driver() != nullptr;
  const char* access = write ? "write" : "read";
  switch (fault.touched) {
    case SpecialPool::Touched::Guard:
      verifier::violation(
          {.code = driver_known ? DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION : PAGE_FAULT_BEYOND_END_OF_ALLOCATION,
           .parameters = {address, write ? 1u : 0u, pc, 0},
           .description = fmt::format("Invalid {} of address {:#x}, on the inaccessible page next to {}: the access "
                                      "lies outside the block. Special pool puts each block against an inaccessible "
                                      "page.",
                                      access, address, what),
           .exact_pc = pc,
           .related = std::move(related)});
      return;
    case SpecialPool::Touched::Freed:
      verifier::violation(
          {.code = driver_known ? DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL : PAGE_FAULT_IN_FREED_SPECIAL_POOL,
           .parameters = {address, write ? 1u : 0u, pc, 0},
           .description = fmt::format("Invalid {} of address {:#x}, at offset {:#x} in {}, which was freed: special "
                                      "pool keeps a freed block's page inaccessible.",
                                      access, address, address - fault.block, what),
           .exact_pc = pc,
           .related = std::move(related)});
      return;
    case SpecialPool::Touched::Trimmed: {
      const KIRQL irql = ke::current_irql();
      if (irql < DISPATCH_LEVEL) return;
      verifier::violation(
          {.code = driver_known ? DRIVER_IRQL_NOT_LESS_OR_EQUAL : IRQL_NOT_LESS_OR_EQUAL,
           .parameters = {address, irql, write ? 1u : 0u, pc},
           .description = fmt::format("Invalid {} of address {:#x} at IRQL {}: it lies in {}, which is paged pool. "
                                      "Force IRQL checking trims paged pool whenever IRQL is DISPATCH_LEVEL or "
                                      "above, so a touch there faults as a paged-out page would.",
                                      access, address, irql, what),
           .exact_pc = pc,
           .related = std::move(related)});
      return;
    }
    case SpecialPool::Touched::Live:
      return;
  }
}

void follow_irql(sched::Irql irql) {
  Executive* executive = Executive::current();
  if (executive == nullptr) return;
  SpecialPool& special = executive->pool().special();
  if (special.live_paged() == 0 && !special.trimmed()) return;
  special.trim(irql >= DISPATCH_LEVEL);
}

}  // namespace wdmlab::ex
