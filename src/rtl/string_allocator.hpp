// rtl/string_allocator.hpp - where the string routines that allocate get their memory.
//
// RtlAnsiStringToUnicodeString, RtlUnicodeStringToAnsiString, RtlUpcaseUnicodeString and
// RtlDowncaseUnicodeString (when asked to allocate), RtlCreateUnicodeString,
// RtlDuplicateUnicodeString and RtlStringFromGUID allocate with allocate(); RtlFreeUnicodeString
// and RtlFreeAnsiString release with free(). On Windows both are pool routines
// (ExAllocatePool2 / ExFreePoolWithTag); the pool lives in a higher layer (ex), which installs
// its own allocator when it starts. Until then, and after reset_string_allocator(), the C
// library's malloc and free are used.
//
// Threading: one allocator per process; install it before any lab runs.
#pragma once

#include <cstddef>

namespace wdmlab::rtl {

struct StringAllocator {
  void* (*allocate)(std::size_t bytes);  // returns null when out of memory
  void (*free)(void* block);             // accepts only blocks from allocate; never null
};

void set_string_allocator(StringAllocator allocator);
void reset_string_allocator();
const StringAllocator& string_allocator();

}  // namespace wdmlab::rtl
