// base/address_space.hpp - which addresses are user-mode addresses in the simulated machine.
//
// Linux gives the lab one flat address space. The lab reserves a large inaccessible region that
// stands for user-mode memory; buffers a test hands to a driver as user buffers are mapped inside
// it, each followed by an unmapped guard page, and unmapped pages are never reused. An address is
// a user-mode address if it lies in the first 64 KiB (which Windows never maps, so NULL-pointer
// dereferences land there) or inside the reservation; every other address is kernel space.
//
// The reservation is placed right after the first 64 KiB when the host allows it, so that every
// user-mode address lies below every address the host hands out for the lab's own memory: as on
// Windows, "address + length <= MmUserProbeAddress" then tells user buffers from kernel memory.
// (Otherwise it lies wherever the host puts it and only is_user() tells them apart.)
//
// The reservation is a shared mapping of one memory file, so the same pages can be mapped a second
// time outside it: a system address for user pages (what MmMapLockedPagesSpecifyCache returns for
// a locked user buffer). Such an alias is kernel space; once unmapped it stays an inaccessible
// placeholder, so a stale system address faults.
//
// The distinction drives fault handling as on Windows: a bad user-mode address raises
// STATUS_ACCESS_VIOLATION, which __try/__except can catch; a bad kernel address is a bug check.
// The address space also knows which user pages are mapped and how, so lab code can check an
// access to user memory before making it (accessible()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>

namespace wdmlab::base {

// A part of the user reservation that belongs to one simulated process (ps carves one out per
// process). Its addresses are user-mode addresses like the rest of the reservation; its first page
// stays unmapped.
struct UserRegion {
  std::uintptr_t base = 0;
  std::uintptr_t limit = 0;
  std::uintptr_t next = 0;  // where the next mapping goes
  bool contains(std::uintptr_t address) const { return address >= base && address < limit; }
};

class AddressSpace {
 public:
  static constexpr std::uintptr_t kNullRegionEnd = 0x10000;
  static constexpr std::size_t kPageSize = 0x1000;

  explicit AddressSpace(std::size_t reservation_bytes = std::size_t{64} << 30);
  ~AddressSpace();
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;

  bool is_user(std::uintptr_t address) const {
    return address < kNullRegionEnd || (address >= base_ && address < limit_);
  }
  // True if every byte of [address, address + length) is a user-mode address (no wrap-around).
  bool is_user_range(std::uintptr_t address, std::size_t length) const;
  std::uintptr_t user_base() const { return base_; }
  std::uintptr_t user_limit() const { return limit_; }

  // Maps `size` bytes (rounded up to pages) of readable and writable user memory, followed by an
  // unmapped guard page. The memory is zeroed.
  void* map_user(std::size_t size);
  // Makes pages from map_user inaccessible again; the addresses are not handed out again, so a
  // stale pointer into them faults.
  void unmap_user(void* address, std::size_t size);

  // Reserves `bytes` (rounded up to pages) of the user reservation for one process; nothing in it
  // is mapped yet. Regions are never handed out again.
  UserRegion reserve_region(std::size_t bytes);
  // map_user inside `region`: readable and writable, zeroed, followed by an unmapped guard page.
  void* map_in(UserRegion& region, std::size_t size);

  // Page protections of user mappings.
  enum class Access : std::uint8_t { None, Read, ReadWrite };
  // Changes the access of mapped user pages (the pages containing [address, address + size)).
  void protect(void* address, std::size_t size, Access access);
  // True if every byte of [address, address + length) is mapped user memory allowing the access.
  bool accessible(std::uintptr_t address, std::size_t length, bool write) const;
  // The access of the mapped user page containing `address`; nothing if that page is not mapped.
  std::optional<Access> access_at(std::uintptr_t address) const;
  // The size of the mapping one map_user or map_in call made at `address` (its pages up to its
  // guard page, whatever their protection now); 0 if no mapping starts at `address`.
  std::size_t mapping_extent(std::uintptr_t address) const;
  // True if the reservation lies directly above the first 64 KiB (see the header comment).
  bool placed_low() const { return placed_low_; }

  // A kernel-space mapping of the user pages [page, page + bytes) (page aligned, inside the
  // reservation), readable and writable; and its removal.
  void* map_system_alias(std::uintptr_t page, std::size_t bytes);
  void unmap_system_alias(void* alias, std::size_t bytes);

  // The address space of the lab running on this OS thread (null when none is).
  static AddressSpace* current();
  static void set_current(AddressSpace* space);

 private:
  struct Mapping {
    std::uintptr_t end;
    Access access;
  };

  std::uintptr_t base_ = 0;
  std::uintptr_t limit_ = 0;
  std::uintptr_t next_ = 0;
  int file_ = -1;
  bool placed_low_ = false;
  std::map<std::uintptr_t, Mapping> mappings_;  // mapped user pages by start address

  void* map_at(std::uintptr_t& next, std::uintptr_t limit, std::size_t size, const char* exhausted);
  // Splits the mapping records at `address` so that a record starts there (if one covers it).
  void split_at(std::uintptr_t address);
};

}  // namespace wdmlab::base
