#include "base/address_space.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "base/check.hpp"
#include "wdmlab/errors.hpp"

namespace wdmlab::base {

namespace {
thread_local AddressSpace* t_current = nullptr;

std::size_t round_up(std::size_t value, std::size_t to) { return (value + to - 1) / to * to; }
}  // namespace

AddressSpace::AddressSpace(std::size_t reservation_bytes) {
  void* region = ::mmap(nullptr, reservation_bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  WDMLAB_CHECK(region != MAP_FAILED, "cannot reserve {} bytes for user-mode memory: {}", reservation_bytes,
               std::strerror(errno));
  base_ = reinterpret_cast<std::uintptr_t>(region);
  limit_ = base_ + reservation_bytes;
  next_ = base_ + kPageSize;  // the first page stays unmapped
}

AddressSpace::~AddressSpace() {
  if (t_current == this) t_current = nullptr;
  ::munmap(reinterpret_cast<void*>(base_), limit_ - base_);
}

bool AddressSpace::is_user_range(std::uintptr_t address, std::size_t length) const {
  if (length == 0) return is_user(address);
  std::uintptr_t last = address + length - 1;
  if (last < address) return false;
  if (last < kNullRegionEnd) return true;
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
  next += bytes + kPageSize;
  return address;
}

void AddressSpace::unmap_user(void* address, std::size_t size) {
  auto start = reinterpret_cast<std::uintptr_t>(address);
  WDMLAB_CHECK(start >= base_ && start < limit_ && start % kPageSize == 0, "not a user mapping: {}", address);
  std::size_t bytes = round_up(size == 0 ? 1 : size, kPageSize);
  // Replace the pages so their contents are discarded and later accesses fault.
  void* again = ::mmap(address, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  WDMLAB_CHECK(again == address, "unmapping user memory failed: {}", std::strerror(errno));
}

AddressSpace* AddressSpace::current() { return t_current; }
void AddressSpace::set_current(AddressSpace* space) { t_current = space; }

}  // namespace wdmlab::base
