#include "sched/stack_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

StackPool::~StackPool() {
  for (const Stack& stack : free_) ::munmap(stack.base, stack.size);
}

Stack StackPool::acquire() {
  if (!free_.empty()) {
    Stack stack = free_.back();
    free_.pop_back();
    return stack;
  }
  Stack stack;
  stack.size = usable_size_ + page_size();
  stack.base = ::mmap(nullptr, stack.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  WDMLAB_CHECK(stack.base != MAP_FAILED, "cannot map a {}-byte fiber stack: {}", stack.size, std::strerror(errno));
  int rc = ::mprotect(stack.base, page_size(), PROT_NONE);
  WDMLAB_CHECK(rc == 0, "cannot protect a stack guard page: {}", std::strerror(errno));
  return stack;
}

void StackPool::release(Stack stack) {
  if (stack.base == nullptr) return;
  constexpr std::size_t kKeep = 64;
  if (free_.size() < kKeep) {
    free_.push_back(stack);
  } else {
    ::munmap(stack.base, stack.size);
  }
}

}  // namespace wdmlab::sched
