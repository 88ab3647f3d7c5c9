#include "sched/stack_pool.hpp"

#include <unistd.h>

#include "base/check.hpp"

namespace wdmlab::sched {

namespace {
std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}
}  // namespace

std::size_t Stack::usable() const { return size - page_size(); }

bool Stack::overflowed_at(std::uintptr_t address) const {
  auto b = reinterpret_cast<std::uintptr_t>(base);
  // The guard page, or anything up to a page below the mapping (a large frame can skip the guard).
  return address + page_size() >= b && address < b + page_size();
}

StackPool::StackPool(std::size_t usable_size)
    : usable_size_((usable_size + page_size() - 1) / page_size() * page_size()) {}

StackPool::~StackPool() = default;

Stack StackPool::acquire() {
  if (!free_.empty()) {
    Stack stack = free_.back();
    free_.pop_back();
    return stack;
  }
  const base::MappingLayout layout{
      .bytes = usable_size_ + page_size(), .guard_bytes = page_size(), .dirty_reuse = true};
  mappings_.emplace_back(layout, "a fiber stack");
  return Stack{.base = mappings_.back().data(), .size = layout.bytes};
}

void StackPool::release(Stack stack) {
  if (stack.base != nullptr) free_.push_back(stack);
}

}  // namespace wdmlab::sched
