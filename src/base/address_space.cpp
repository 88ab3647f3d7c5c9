#include "base/address_space.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

#include "base/check.hpp"
#include "wdmlab/errors.hpp"

namespace wdmlab::base {

namespace {
thread_local AddressSpace* t_current = nullptr;

std::size_t round_up(std::size_t value, std::size_t to) { return (value + to - 1) / to * to; }

int protection_of(AddressSpace::Access access) {
  switch (access) {
    case AddressSpace::Access::None:
      return PROT_NONE;
    case AddressSpace::Access::Read:
      return PROT_READ;
    case AddressSpace::Access::ReadWrite:
      return PROT_READ | PROT_WRITE;
  }
  return PROT_NONE;
}
}  // namespace

namespace {
// The low reservation of the last lab that had it, kept for the next lab (on any thread): making
// one costs a memory file, its sizing and a mapping. Only the low one is kept, so a lab gets the
// low placement exactly when it would have without the cache. Returned with nothing mapped in it
// and its file's contents discarded, as a new one would be.
struct KeptReservation {
  int file = -1;
  std::uintptr_t base = 0;
  std::size_t bytes = 0;
};
std::mutex g_kept_mutex;
KeptReservation g_kept;
}  // namespace

AddressSpace::AddressSpace(std::size_t reservation_bytes) {
  {
    std::lock_guard lock(g_kept_mutex);
    if (g_kept.file >= 0 && g_kept.bytes == reservation_bytes) {
      file_ = std::exchange(g_kept.file, -1);
      base_ = g_kept.base;
      limit_ = base_ + reservation_bytes;
      next_ = base_ + kPageSize;
      placed_low_ = true;
      return;
    }
  }
  file_ = ::memfd_create("wdmlab-user-memory", MFD_CLOEXEC);
  WDMLAB_CHECK(file_ >= 0, "cannot create the user-memory file: {}", std::strerror(errno));
  WDMLAB_CHECK(::ftruncate(file_, static_cast<off_t>(reservation_bytes)) == 0, "cannot size the user-memory file: {}",
               std::strerror(errno));
  const int flags = MAP_SHARED | MAP_NORESERVE;
  void* region = ::mmap(reinterpret_cast<void*>(kNullRegionEnd), reservation_bytes, PROT_NONE,
                        flags | MAP_FIXED_NOREPLACE, file_, 0);
  placed_low_ = region == reinterpret_cast<void*>(kNullRegionEnd);
  if (!placed_low_) {
    if (region != MAP_FAILED) ::munmap(region, reservation_bytes);
    region = ::mmap(nullptr, reservation_bytes, PROT_NONE, flags, file_, 0);
  }
  WDMLAB_CHECK(region != MAP_FAILED, "cannot reserve {} bytes for user-mode memory: {}", reservation_bytes,
               std::strerror(errno));
  base_ = reinterpret_cast<std::uintptr_t>(region);
  limit_ = base_ + reservation_bytes;
  next_ = base_ + kPageSize;  // the first page stays unmapped
}

AddressSpace::~AddressSpace() {
  if (t_current == this) t_current = nullptr;
  if (placed_low_) {
    // Everything handed out lies below next_: make it inaccessible again and discard its contents.
    const std::size_t used = next_ - base_;
    const bool reset = used == kPageSize ||
                       (::mprotect(reinterpret_cast<void*>(base_), used, PROT_NONE) == 0 &&
                        ::fallocate(file_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(used)) == 0);
    std::lock_guard lock(g_kept_mutex);
    if (reset && g_kept.file < 0) {
      g_kept = {file_, base_, limit_ - base_};
      return;
    }
  }
  ::munmap(reinterpret_cast<void*>(base_), limit_ - base_);
  ::close(file_);
}

bool AddressSpace::is_user_range(std::uintptr_t address, std::size_t length) const {
  if (length == 0) return is_user(address);
  std::uintptr_t last = address + length - 1;
  if (last < address) return false;
  if (last < kNullRegionEnd) return true;
  if (placed_low_) return last < limit_;
  return address >= base_ && last < limit_;
}

void* AddressSpace::map_user(std::size_t size) {
  return map_at(next_, limit_, size,
                "the lab's user-mode address space is exhausted; map fewer or smaller user buffers");
}

UserRegion AddressSpace::reserve_region(std::size_t bytes) {
  const std::size_t rounded = round_up(bytes == 0 ? 1 : bytes, kPageSize);
  if (next_ + rounded > limit_) {
    throw UsageError("the lab's user-mode address space is exhausted; create fewer or smaller processes");
  }
  UserRegion region{next_, next_ + rounded, next_ + kPageSize};  // its first page stays unmapped
  next_ += rounded;
  return region;
}

void* AddressSpace::map_in(UserRegion& region, std::size_t size) {
  WDMLAB_CHECK(region.base >= base_ && region.limit <= limit_ && region.next >= region.base,
               "not a region of this address space");
  return map_at(region.next, region.limit, size,
                "a process's user-mode address range is exhausted; map fewer or smaller buffers in it");
}

void* AddressSpace::map_at(std::uintptr_t& next, std::uintptr_t limit, std::size_t size, const char* exhausted) {
  std::size_t bytes = round_up(size == 0 ? 1 : size, kPageSize);
  if (next + bytes + kPageSize > limit) throw UsageError(exhausted);
  void* address = reinterpret_cast<void*>(next);
  int rc = ::mprotect(address, bytes, PROT_READ | PROT_WRITE);
  WDMLAB_CHECK(rc == 0, "mprotect of user memory failed: {}", std::strerror(errno));
  mappings_[next] = Mapping{next + bytes, Access::ReadWrite};
  next += bytes + kPageSize;
  return address;
}

void AddressSpace::split_at(std::uintptr_t address) {
  auto it = mappings_.upper_bound(address);
  if (it == mappings_.begin()) return;
  --it;
  if (it->first == address || it->second.end <= address) return;
  const Mapping tail{it->second.end, it->second.access};
  it->second.end = address;
  mappings_[address] = tail;
}

void AddressSpace::unmap_user(void* address, std::size_t size) {
  auto start = reinterpret_cast<std::uintptr_t>(address);
  WDMLAB_CHECK(start >= base_ && start < limit_ && start % kPageSize == 0, "not a user mapping: {}", address);
  std::size_t bytes = round_up(size == 0 ? 1 : size, kPageSize);
  // Discard the contents and make later accesses fault.
  int rc = ::mprotect(address, bytes, PROT_NONE);
  WDMLAB_CHECK(rc == 0, "unmapping user memory failed: {}", std::strerror(errno));
  rc = ::fallocate(file_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(start - base_),
                   static_cast<off_t>(bytes));
  WDMLAB_CHECK(rc == 0, "discarding user memory failed: {}", std::strerror(errno));
  split_at(start);
  split_at(start + bytes);
  mappings_.erase(mappings_.lower_bound(start), mappings_.lower_bound(start + bytes));
}

void AddressSpace::protect(void* address, std::size_t size, Access access) {
  const auto start = reinterpret_cast<std::uintptr_t>(address) / kPageSize * kPageSize;
  const std::uintptr_t end = round_up(reinterpret_cast<std::uintptr_t>(address) + size, kPageSize);
  split_at(start);
  split_at(end);
  for (auto it = mappings_.lower_bound(start); it != mappings_.end() && it->first < end; ++it) {
    it->second.access = access;
    const int rc = ::mprotect(reinterpret_cast<void*>(it->first), it->second.end - it->first, protection_of(access));
    WDMLAB_CHECK(rc == 0, "mprotect of user memory failed: {}", std::strerror(errno));
  }
}

bool AddressSpace::accessible(std::uintptr_t address, std::size_t length, bool write) const {
  if (length == 0) return true;
  const std::uintptr_t end = address + length;
  if (end < address) return false;
  auto it = mappings_.upper_bound(address);
  if (it == mappings_.begin()) return false;
  --it;
  std::uintptr_t covered = address;
  while (it != mappings_.end() && it->first <= covered) {
    const Access need = write ? Access::ReadWrite : Access::Read;
    if (it->second.end <= covered) return false;
    if (static_cast<int>(it->second.access) < static_cast<int>(need)) return false;
    covered = it->second.end;
    if (covered >= end) return true;
    ++it;
  }
  return false;
}

std::optional<AddressSpace::Access> AddressSpace::access_at(std::uintptr_t address) const {
  auto it = mappings_.upper_bound(address);
  if (it == mappings_.begin()) return std::nullopt;
  --it;
  if (address >= it->second.end) return std::nullopt;
  return it->second.access;
}

std::size_t AddressSpace::mapping_extent(std::uintptr_t address) const {
  // A mapping starts on a page whose predecessor is unmapped (a guard page or a region's first
  // page) and runs over adjacent records, which protect() may have split.
  if (address % kPageSize != 0 || address < kPageSize || !access_at(address) || access_at(address - kPageSize)) {
    return 0;
  }
  std::uintptr_t end = address;
  for (auto it = mappings_.find(address); it != mappings_.end() && it->first == end; ++it) end = it->second.end;
  return end - address;
}

void* AddressSpace::map_system_alias(std::uintptr_t page, std::size_t bytes) {
  WDMLAB_CHECK(page >= base_ && page + bytes <= limit_ && page % kPageSize == 0 && bytes % kPageSize == 0,
               "no system alias for {:#x} + {:#x}", page, bytes);
  void* alias = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, file_, static_cast<off_t>(page - base_));
  WDMLAB_CHECK(alias != MAP_FAILED, "mapping a system alias failed: {}", std::strerror(errno));
  return alias;
}

void AddressSpace::unmap_system_alias(void* alias, std::size_t bytes) {
  // An inaccessible placeholder keeps the range from being handed out again.
  void* again = ::mmap(alias, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  WDMLAB_CHECK(again == alias, "unmapping a system alias failed: {}", std::strerror(errno));
}

AddressSpace* AddressSpace::current() { return t_current; }
void AddressSpace::set_current(AddressSpace* space) { t_current = space; }

}  // namespace wdmlab::base
