// sched/stack_pool.hpp - fiber stacks with an inaccessible guard page below them, recycled so
// that creating a context does not cost a mapping in the common case: within a lab by the pool,
// and from one lab to the next on the same OS thread by base::ReusableMapping (a stack keeps the
// contents its last context left; code never reads its stack before writing it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/reusable_mapping.hpp"

namespace wdmlab::sched {

struct Stack {
  void* base = nullptr;  // lowest address of the mapping (the guard page)
  std::size_t size = 0;  // whole mapping, guard included
  void* top() const { return static_cast<char*>(base) + size; }
  std::size_t usable() const;
  // True if `address` is in the guard page or just below it (a stack overflow).
  bool overflowed_at(std::uintptr_t address) const;
  bool contains(std::uintptr_t address) const {
    auto b = reinterpret_cast<std::uintptr_t>(base);
    return address >= b && address < b + size;
  }
};

class StackPool {
 public:
  explicit StackPool(std::size_t usable_size);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  Stack acquire();
  void release(Stack stack);
  std::size_t usable_size() const { return usable_size_; }

 private:
  std::size_t usable_size_;
  std::vector<base::ReusableMapping> mappings_;  // every stack this pool made
  std::vector<Stack> free_;
};

}  // namespace wdmlab::sched
