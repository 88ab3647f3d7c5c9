// ex/pool.hpp - pool memory and its accounting.
//
// Blocks come from the host heap, or from the special pool (special_pool.hpp) when the request
// asks for it; a side table maps each block's address to its owner driver,
// tag, size, pool type and allocating stack. Accounting is kept in total, per driver, per tag and
// per (driver, tag), each with current and peak bytes and counts. Freed blocks are filled with
// kFreedFill and kept in a quarantine (a bounded FIFO) before the host may reuse their memory, so
// a second free of the same address is recognised and a stale pointer reads the fill pattern.
//
// Threading: like everything in the lab, used from one OS thread; the scheduler serialises the
// simulated processors. Validation of callers (IRQL, tags, addresses) belongs to the exported
// routines in pool.cpp; Pool only keeps the books.
#pragma once

#include <wdm.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ex/special_pool.hpp"

namespace wdmlab::base {
struct DriverIdentity;
}

namespace wdmlab::ex {

inline constexpr unsigned char kUninitializedFill = 0xCD;  // fresh blocks nobody asked to zero
inline constexpr unsigned char kFreedFill = 0xDD;          // blocks after ExFreePool

// Pool types, with the modifier bits a caller may OR in taken apart.
struct PoolTypeInfo {
  bool valid = false;         // a type drivers may allocate from
  bool must_succeed = false;  // an obsolete MustSucceed type
  bool paged = false;
  bool session = false;
  bool cache_aligned = false;
  bool executable = false;        // NonPagedPoolExecute (pool without POOL_NX_ALLOCATION)
  POOL_TYPE base = NonPagedPool;  // the type without POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, POOL_RAISE_IF_
                                  // ALLOCATION_FAILURE, POOL_COLD_ALLOCATION and POOL_ZERO_ALLOCATION
  bool raise_on_failure = false;
  bool quota_fail_instead_of_raise = false;
  bool zero = false;
};
PoolTypeInfo classify_pool_type(ULONG pool_type);

// Translates ExAllocatePool2 flags into the pool type they select. `valid` is false when the
// flags name no pool type, more than one, or a required flag the allocator does not know.
struct PoolFlagsInfo {
  bool valid = false;
  POOL_TYPE type = NonPagedPoolNx;
  bool zero = true;
  bool raise_on_failure = false;
  bool cache_aligned = false;
  bool quota = false;
};
PoolFlagsInfo classify_pool_flags(POOL_FLAGS flags);

// One live block.
struct PoolAllocation {
  std::uintptr_t address = 0;
  std::size_t size = 0;  // bytes the caller asked for
  ULONG tag = 0;
  POOL_TYPE pool_type = NonPagedPool;
  const base::DriverIdentity* driver = nullptr;  // null: code outside any driver (a test body)
  std::uint64_t serial = 0;                      // allocation order within the lab, from 1
  std::vector<std::uintptr_t> stack;             // allocating call stack, innermost first
  bool special = false;                          // on a special pool page (special_pool.hpp)
  bool paged() const { return classify_pool_type(pool_type).paged; }
};

struct PoolUsage {
  std::uint64_t allocations = 0;  // successful allocations
  std::uint64_t frees = 0;
  std::uint64_t failures = 0;  // requests that returned NULL or raised
  std::uint64_t current_bytes = 0;
  std::uint64_t peak_bytes = 0;
  std::uint64_t current_count = 0;
  std::uint64_t peak_count = 0;
};

// Read-only view of the books, for tests, reports and the unload leak check.
class PoolAccounting {
 public:
  const PoolUsage& total() const { return total_; }
  // Usage charged to a driver; null means code outside any driver.
  PoolUsage by_driver(const base::DriverIdentity* driver) const;
  // Usage charged to the driver(s) with this name (a name may be reused after an unload).
  PoolUsage by_driver_name(std::string_view name) const;
  PoolUsage by_tag(ULONG tag) const;
  PoolUsage by_driver_and_tag(const base::DriverIdentity* driver, ULONG tag) const;
  // A driver's live blocks, oldest first.
  std::vector<const PoolAllocation*> outstanding(const base::DriverIdentity* driver) const;
  std::vector<const PoolAllocation*> outstanding_by_driver_name(std::string_view name) const;
  std::size_t outstanding_count() const { return live_->size(); }

 private:
  friend class Pool;
  explicit PoolAccounting(const std::map<std::uintptr_t, PoolAllocation>* live) : live_(live) {}
  static void add(PoolUsage& usage, std::size_t bytes);
  static void remove(PoolUsage& usage, std::size_t bytes);

  const std::map<std::uintptr_t, PoolAllocation>* live_;
  PoolUsage total_;
  std::unordered_map<const base::DriverIdentity*, PoolUsage> drivers_;
  std::unordered_map<ULONG, PoolUsage> tags_;
  std::map<std::pair<const base::DriverIdentity*, ULONG>, PoolUsage> driver_tags_;
};

struct PoolOptions {
  // Outstanding bytes each of nonpaged and paged pool can hold; a request beyond it fails, as
  // on a machine out of pool.
  std::uint64_t nonpaged_capacity = std::uint64_t{1} << 30;
  std::uint64_t paged_capacity = std::uint64_t{2} << 30;
  // Freed blocks are kept (filled with kFreedFill) until the quarantine exceeds either limit.
  std::size_t quarantine_blocks = 4096;
  std::size_t quarantine_bytes = std::size_t{64} << 20;
};

// Where a block goes: normal pool, or a special pool page (the block aligned to the page's end,
// or to its start for underrun detection). A special request the special pool cannot hold (a
// page or more, or the special pool is full) is served from normal pool.
enum class Placement : std::uint8_t { Normal, SpecialVerifyEnd, SpecialVerifyStart };

struct PoolRequest {
  POOL_TYPE type = NonPagedPoolNx;  // a valid base type (see PoolTypeInfo)
  std::size_t bytes = 0;
  ULONG tag = 0;
  bool zero = false;
  bool cache_aligned = false;
  const base::DriverIdentity* driver = nullptr;
  Placement placement = Placement::Normal;
  bool trimmable = false;  // a paged special block that Force IRQL checking trims
};

class Pool {
 public:
  explicit Pool(PoolOptions options = {});
  ~Pool();  // returns every block, live or quarantined, to the host
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A new block, or null when the pool cannot satisfy the request (counted as a failure).
  // Alignment: 16 bytes, 64 when cache aligned, a page for requests of a page or more.
  void* allocate(const PoolRequest& request);
  // Counts a request the caller refused before reaching the pool (invalid flags, tag 0).
  void count_failure(const base::DriverIdentity* driver, ULONG tag);

  enum class Found {
    Live,     // the address starts a live block
    Inside,   // the address lies inside a live block but does not start it
    Freed,    // the address started a block that was freed and is still quarantined
    Unknown,  // the pool never handed out this address (or has forgotten it)
  };
  struct Lookup {
    Found found = Found::Unknown;
    const PoolAllocation* block = nullptr;  // the live or freed block
  };
  Lookup find(const void* address) const;
  // The live block containing [address, address + 1), if any.
  const PoolAllocation* block_containing(std::uintptr_t address) const;

  // Frees the live block starting at `address` (find() must have said Live).
  void free(const void* address);

  const PoolAccounting& accounting() const { return accounting_; }
  SpecialPool& special() { return special_; }

 private:
  void quarantine(PoolAllocation block);
  void trim_quarantine();

  PoolOptions options_;
  std::map<std::uintptr_t, PoolAllocation> live_;
  std::map<std::uintptr_t, PoolAllocation> freed_;
  std::deque<std::uintptr_t> quarantine_order_;
  std::size_t quarantine_bytes_ = 0;
  std::uint64_t nonpaged_bytes_ = 0;
  std::uint64_t paged_bytes_ = 0;
  std::uint64_t next_serial_ = 1;
  PoolAccounting accounting_;
  SpecialPool special_;
};

// A pool tag as its four characters, '.' for each that cannot be printed ("Leak").
std::string tag_text(ULONG tag);

// The I/O manager says here whether an address is an IRP it allocated (IoAllocateIrp), so that
// ExFreePool of an IRP can be reported (0xC4/0x105). Null: no I/O manager.
using IrpQuery = bool (*)(const void* address);
void set_irp_query(IrpQuery query);
bool is_irp(const void* address);

// The memory fault check for the special pool (ke::Kernel::add_memory_fault_check): beyond a
// block, 0xD6 DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION; in a freed block, 0xD5
// DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL (0xCD and 0xCC when no driver is running) [address,
// 0 read / 1 write, faulting pc, 0]; in trimmed paged pool at DISPATCH_LEVEL or above, 0xD1
// DRIVER_IRQL_NOT_LESS_OR_EQUAL [address, IRQL, 0 read / 1 write, faulting pc].
void check_special_pool_fault(std::uintptr_t address, bool write, std::uintptr_t pc);
// The scheduler's IRQL observer: trims trimmable paged blocks while the running processor is at
// DISPATCH_LEVEL or above and restores them below it.
void follow_irql(std::uint8_t irql);

}  // namespace wdmlab::ex
