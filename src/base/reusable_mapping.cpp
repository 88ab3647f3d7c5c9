// Large anonymous mappings an OS thread keeps for its next lab (base/reusable_mapping.hpp).
#include "base/reusable_mapping.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "base/check.hpp"

namespace wdmlab::base {

namespace {

int protection_of(const MappingLayout& layout) { return layout.accessible ? PROT_READ | PROT_WRITE : PROT_NONE; }

// False once this thread's cache is gone (a mapping destroyed later in the thread's exit, by a
// lab in a static or thread_local object, is unmapped instead).
thread_local bool t_cache_gone = false;

// The mappings released on this thread and not yet taken again; unmapped when the thread exits.
class ThreadCache {
 public:
  // Enough for one lab's regions and the fiber stacks of a scenario with a few dozen threads.
  static constexpr std::size_t kLimit = 96;

  ThreadCache() = default;
  ThreadCache(const ThreadCache&) = delete;
  ThreadCache& operator=(const ThreadCache&) = delete;
  ~ThreadCache() {
    t_cache_gone = true;
    for (const auto& [base, layout] : kept_) ::munmap(base, layout.bytes);
  }

  void* take(const MappingLayout& layout) {
    for (std::size_t i = kept_.size(); i-- > 0;) {
      if (kept_[i].second == layout) {
        void* base = kept_[i].first;
        kept_[i] = kept_.back();
        kept_.pop_back();
        return base;
      }
    }
    return nullptr;
  }

  void keep(void* base, const MappingLayout& layout) {
    if (kept_.size() < kLimit) {
      kept_.emplace_back(base, layout);
    } else {
      ::munmap(base, layout.bytes);
    }
  }

 private:
  std::vector<std::pair<void*, MappingLayout>> kept_;
};

ThreadCache& thread_cache() {
  static thread_local ThreadCache cache;
  return cache;
}

void release(void* base, const MappingLayout& layout) {
  if (t_cache_gone) {
    ::munmap(base, layout.bytes);
  } else {
    thread_cache().keep(base, layout);
  }
}

}  // namespace

ReusableMapping::ReusableMapping(const MappingLayout& layout, const char* what) : layout_(layout) {
  WDMLAB_CHECK(layout.guard_bytes < layout.bytes, "{}: a {}-byte mapping with a {}-byte guard", what, layout.bytes,
               layout.guard_bytes);
  if (!t_cache_gone) base_ = thread_cache().take(layout);
  if (base_ != nullptr) return;
  base_ = ::mmap(nullptr, layout.bytes, protection_of(layout), MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  WDMLAB_CHECK(base_ != MAP_FAILED, "cannot map {} bytes for {}: {}", layout.bytes, what, std::strerror(errno));
  if (layout.guard_bytes != 0) {
    const int rc = ::mprotect(base_, layout.guard_bytes, PROT_NONE);
    WDMLAB_CHECK(rc == 0, "cannot protect the guard of {}: {}", what, std::strerror(errno));
  }
}

ReusableMapping::~ReusableMapping() {
  if (base_ != nullptr) release(base_, layout_);
}

ReusableMapping::ReusableMapping(ReusableMapping&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)), layout_(other.layout_) {}

ReusableMapping& ReusableMapping::operator=(ReusableMapping&& other) noexcept {
  if (this != &other) {
    if (base_ != nullptr) release(base_, layout_);
    base_ = std::exchange(other.base_, nullptr);
    layout_ = other.layout_;
  }
  return *this;
}

void ReusableMapping::reset(std::size_t offset, std::size_t bytes) {
  if (bytes == 0) return;
  WDMLAB_CHECK(offset + bytes <= layout_.bytes && offset >= layout_.guard_bytes,
               "reset of [{:#x}, +{:#x}) outside a {}-byte mapping", offset, bytes, layout_.bytes);
  void* start = static_cast<char*>(base_) + offset;
  int rc = ::madvise(start, bytes, MADV_DONTNEED);
  WDMLAB_CHECK(rc == 0, "madvise of a reusable mapping failed: {}", std::strerror(errno));
  rc = ::mprotect(start, bytes, protection_of(layout_));
  WDMLAB_CHECK(rc == 0, "mprotect of a reusable mapping failed: {}", std::strerror(errno));
}

}  // namespace wdmlab::base
