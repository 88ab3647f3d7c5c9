// Driver Verifier's special pool (ex/special_pool.hpp).
#include "ex/special_pool.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "base/check.hpp"

namespace wdmlab::ex {

SpecialPool::SpecialPool(std::size_t slots, std::size_t quarantine)
    : region_({.bytes = slots * kSlotBytes, .accessible = false}, "special pool"),
      base_(region_.base()),
      limit_(base_ + region_.size()),
      capacity_(slots),
      quarantine_limit_(quarantine) {}

SpecialPool::~SpecialPool() {
  // Quarantined and reusable slots are inaccessible zero pages already; live ones become so, so
  // that the region goes back as fresh.
  for (std::size_t index = 0; index < slots_.size(); ++index) {
    if (slots_[index].state == SlotState::Live) region_.reset(index * kSlotBytes, kSlotBytes);
  }
}

std::uintptr_t SpecialPool::data_page(std::size_t index) const {
  const std::uintptr_t slot = base_ + index * kSlotBytes;
  return slots_[index].verify_start ? slot + kPage : slot;
}

void SpecialPool::protect(std::size_t index, bool accessible) const {
  const int rc =
      ::mprotect(reinterpret_cast<void*>(data_page(index)), kPage, accessible ? PROT_READ | PROT_WRITE : PROT_NONE);
  WDMLAB_CHECK(rc == 0, "mprotect of a special pool page failed: {}", std::strerror(errno));
}

void* SpecialPool::allocate(std::size_t bytes, std::size_t alignment, bool verify_start, bool trimmable) {
  WDMLAB_CHECK(bytes > 0 && bytes < kPage, "special pool block of {} bytes", bytes);
  std::size_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else if (slots_.size() < capacity_) {
    index = slots_.size();
    slots_.emplace_back();
  } else {
    return nullptr;
  }
  Slot& slot = slots_[index];
  slot.state = SlotState::Live;
  slot.verify_start = verify_start;
  slot.paged = trimmable;
  slot.size = static_cast<std::uint32_t>(bytes);
  const std::uintptr_t page = data_page(index);
  protect(index, true);
  std::memset(reinterpret_cast<void*>(page), kSpecialPoolFill, kPage);
  slot.block = verify_start ? page : (page + kPage - bytes) & ~(static_cast<std::uintptr_t>(alignment) - 1);
  if (trimmable) {
    slot.paged_position = static_cast<std::uint32_t>(paged_.size());
    paged_.push_back(index);
    if (trimmed_) protect(index, false);
  }
  ++live_;
  return reinterpret_cast<void*>(slot.block);
}

bool SpecialPool::owns(std::uintptr_t block) const {
  if (!contains(block) || index_of(block) >= slots_.size()) return false;
  const Slot& slot = slots_[index_of(block)];
  return slot.state == SlotState::Live && slot.block == block;
}

SpecialPool::Damage SpecialPool::check(std::uintptr_t block) const {
  const std::size_t index = index_of(block);
  const Slot& slot = slots_[index];
  const auto* page = reinterpret_cast<const unsigned char*>(data_page(index));
  const auto* begin = reinterpret_cast<const unsigned char*>(slot.block);
  for (const unsigned char* p = page; p < begin; ++p) {
    if (*p != kSpecialPoolFill) return {reinterpret_cast<std::uintptr_t>(p), false};
  }
  for (const unsigned char* p = begin + slot.size; p < page + kPage; ++p) {
    if (*p != kSpecialPoolFill) return {reinterpret_cast<std::uintptr_t>(p), true};
  }
  return {};
}

void SpecialPool::release(std::uintptr_t block) {
  const std::size_t index = index_of(block);
  Slot& slot = slots_[index];
  WDMLAB_CHECK(slot.state == SlotState::Live && slot.block == block, "special pool release of {:#x}", block);
  if (slot.paged) {
    const std::size_t moved = paged_.back();
    paged_[slot.paged_position] = moved;
    slots_[moved].paged_position = slot.paged_position;
    paged_.pop_back();
  }
  // The page goes back to the host (a later use starts from a fresh zero page) and stays
  // inaccessible while the slot is quarantined.
  ::madvise(reinterpret_cast<void*>(data_page(index)), kPage, MADV_DONTNEED);
  protect(index, false);
  slot.state = SlotState::Quarantined;
  --live_;
  quarantine_.push_back(index);
  if (quarantine_.size() > quarantine_limit_) {
    const std::size_t oldest = quarantine_.front();
    quarantine_.pop_front();
    slots_[oldest].state = SlotState::Unused;
    free_.push_back(oldest);
  }
}

SpecialPool::Fault SpecialPool::classify(std::uintptr_t address) const {
  const std::size_t index = index_of(address);
  if (index >= slots_.size()) return {Touched::Guard, 0};  // a slot never used
  const Slot& slot = slots_[index];
  const std::uintptr_t page = data_page(index);
  const bool on_data_page = address - page < kPage;
  if (slot.state == SlotState::Unused) {
    // Beyond the block of the neighbouring slot whose guard page this would be.
    return {Touched::Guard, 0};
  }
  if (!on_data_page) return {Touched::Guard, slot.state == SlotState::Live ? slot.block : 0};
  if (slot.state == SlotState::Quarantined) return {Touched::Freed, slot.block};
  if (slot.paged && trimmed_) return {Touched::Trimmed, slot.block};
  return {Touched::Live, slot.block};
}

void SpecialPool::trim(bool trimmed) {
  if (trimmed == trimmed_) return;
  trimmed_ = trimmed;
  for (std::size_t index : paged_) protect(index, !trimmed);
}

}  // namespace wdmlab::ex
