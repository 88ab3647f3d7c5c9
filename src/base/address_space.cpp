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
  std::size_t bytes = round_up(size == 0 ? 1 : size, kPageSize);
  if (next_ + bytes + kPageSize > limit_) {
    throw UsageError("the lab's user-mode address space is exhausted; map fewer or smaller user buffers");
  }
  void* address = reinterpret_cast<void*>(next_);
  int rc = ::mprotect(address, bytes, PROT_READ | PROT_WRITE);
  WDMLAB_CHECK(rc == 0, "mprotect of user memory failed: {}", std::strerror(errno));
  next_ += bytes + kPageSize;
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
