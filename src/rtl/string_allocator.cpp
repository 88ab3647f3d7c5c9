#include "rtl/string_allocator.hpp"

#include <cstdlib>

#include "base/check.hpp"

namespace wdmlab::rtl {

namespace {

void* allocate_from_heap(std::size_t bytes) { return std::malloc(bytes); }
void free_to_heap(void* block) { std::free(block); }

constexpr StringAllocator kHeapAllocator{allocate_from_heap, free_to_heap};
StringAllocator g_allocator = kHeapAllocator;

}  // namespace

void set_string_allocator(StringAllocator allocator) {
  WDMLAB_CHECK(allocator.allocate != nullptr && allocator.free != nullptr,
               "a string allocator needs both an allocate and a free function");
  g_allocator = allocator;
}

void reset_string_allocator() { g_allocator = kHeapAllocator; }

const StringAllocator& string_allocator() { return g_allocator; }

}  // namespace wdmlab::rtl
