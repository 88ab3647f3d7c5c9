// RtlCompareMemory and RtlCompareMemoryUlong (declared in wdk/rtl.h).
#include <cstdint>

#include <ntdef.h>
#include <wdk/rtl.h>

#include "sched/scheduler.hpp"

namespace wdmlab::rtl {

// Bytes from the start of both blocks that are equal.
SIZE_T matching_bytes(const void* source1, const void* source2, SIZE_T length) {
  const auto* a = static_cast<const unsigned char*>(source1);
  const auto* b = static_cast<const unsigned char*>(source2);
  SIZE_T i = 0;
  while (i < length && a[i] == b[i]) ++i;
  return i;
}

// Bytes from the start of the block that repeat the ULONG pattern, in whole ULONGs; 0 if the
// block is not ULONG-aligned or its length is not a multiple of sizeof(ULONG), as documented.
SIZE_T bytes_matching_pattern(const void* source, SIZE_T length, ULONG pattern) {
  if (reinterpret_cast<std::uintptr_t>(source) % sizeof(ULONG) != 0 || length % sizeof(ULONG) != 0) return 0;
  const auto* words = static_cast<const ULONG*>(source);
  SIZE_T i = 0;
  while (i < length / sizeof(ULONG) && words[i] == pattern) ++i;
  return i * sizeof(ULONG);
}

}  // namespace wdmlab::rtl

extern "C" {

SIZE_T NTAPI RtlCompareMemory(const VOID* Source1, const VOID* Source2, SIZE_T Length) {
  wdmlab::sched::scheduling_point();
  return wdmlab::rtl::matching_bytes(Source1, Source2, Length);
}

SIZE_T NTAPI RtlCompareMemoryUlong(PVOID Source, SIZE_T Length, ULONG Pattern) {
  wdmlab::sched::scheduling_point();
  return wdmlab::rtl::bytes_matching_pattern(Source, Length, Pattern);
}

}  // extern "C"
