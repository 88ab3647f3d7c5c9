// ex/special_pool.hpp - Driver Verifier's special pool: blocks on pages of their own.
//
// One region of address space is reserved at construction and cut into slots of two pages: a
// data page and a guard page that is never accessible. With Verify End (the default) the data
// page comes first and the block ends where the page ends, so a read or write past the block
// faults at the faulting instruction; with Verify Start (the ...SpecialPoolUnderrun priorities)
// the guard page comes first and the block starts at the data page's start. The rest of the data
// page is filled with kSpecialPoolFill and checked when the block is freed. A freed block's page
// is made inaccessible and its slot kept in a quarantine (a FIFO) before it is used again, so a
// stale pointer faults too.
//
// Trimmable (paged) blocks can be "trimmed": made inaccessible while the running processor is at
// DISPATCH_LEVEL or above (Force IRQL checking), and made accessible again when it drops below.
//
// Cost: an mprotect per allocation and per free, a madvise per free; slots are reused, so a run
// with thousands of allocations never maps more than the region. When every slot is live or
// quarantined, allocate() returns null and the caller falls back to normal pool, as Windows does
// when its special pool is full.
//
// Threading: one OS thread, like the rest of the lab.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "base/reusable_mapping.hpp"

namespace wdmlab::ex {

inline constexpr unsigned char kSpecialPoolFill = 0x3F;  // the rest of a special pool block's page

class SpecialPool {
 public:
  static constexpr std::size_t kPage = 4096;
  static constexpr std::size_t kSlotBytes = 2 * kPage;

  // `slots`: live and quarantined blocks the region can hold; `quarantine`: freed slots kept
  // inaccessible before reuse.
  explicit SpecialPool(std::size_t slots = 8192, std::size_t quarantine = 2048);
  ~SpecialPool();
  SpecialPool(const SpecialPool&) = delete;
  SpecialPool& operator=(const SpecialPool&) = delete;

  // A block of `bytes` (0 < bytes < kPage) aligned to `alignment`, or null when no slot is free.
  // A trimmable block is made inaccessible by trim(true).
  void* allocate(std::size_t bytes, std::size_t alignment, bool verify_start, bool trimmable);

  // Where the fill pattern around a live block was overwritten: `where` = 0 when it is intact;
  // `after_end` tells bytes past the block from bytes before it.
  struct Damage {
    std::uintptr_t where = 0;
    bool after_end = false;
  };
  Damage check(std::uintptr_t block) const;

  // Makes the block's page inaccessible and quarantines its slot. `block` must be live here.
  void release(std::uintptr_t block);

  bool contains(std::uintptr_t address) const { return address - base_ < limit_ - base_; }
  bool owns(std::uintptr_t block) const;  // a live block starts at `block`

  // What an access to `address` (inside the region) touched.
  enum class Touched {
    Guard,    // a guard page, or the unused part of the region: beyond a block
    Freed,    // the page of a freed block
    Trimmed,  // a live trimmable block while trimmed
    Live,     // an accessible live block (the fault was not the special pool's)
  };
  struct Fault {
    Touched touched = Touched::Guard;
    std::uintptr_t block = 0;  // the block whose slot was touched (0: none)
  };
  Fault classify(std::uintptr_t address) const;

  // Force IRQL checking: makes every live trimmable block inaccessible (true) or accessible
  // again. Cheap when nothing changes or no trimmable block is live.
  void trim(bool trimmed);
  bool trimmed() const { return trimmed_; }
  std::size_t live_paged() const { return paged_.size(); }
  std::size_t live() const { return live_; }

 private:
  enum class SlotState : std::uint8_t { Unused, Live, Quarantined };
  struct Slot {
    SlotState state = SlotState::Unused;
    bool verify_start = false;
    bool paged = false;  // trimmable
    std::uint32_t size = 0;
    std::uint32_t paged_position = 0;  // index in paged_ while live and paged
    std::uintptr_t block = 0;
  };
  std::size_t index_of(std::uintptr_t address) const { return (address - base_) / kSlotBytes; }
  std::uintptr_t data_page(std::size_t index) const;
  void protect(std::size_t index, bool accessible) const;

  base::ReusableMapping region_;
  std::uintptr_t base_ = 0;
  std::uintptr_t limit_ = 0;
  std::size_t capacity_;      // slots the region holds
  std::vector<Slot> slots_;   // the slots used so far (grows up to capacity_)
  std::vector<std::size_t> free_;  // slots ready for reuse
  std::deque<std::size_t> quarantine_;
  std::size_t quarantine_limit_;
  std::size_t live_ = 0;
  std::vector<std::size_t> paged_;  // live trimmable slots
  bool trimmed_ = false;
};

}  // namespace wdmlab::ex
