// base/reusable_mapping.hpp - large anonymous mappings an OS thread keeps for its next lab.
//
// A lab maps its big regions (the IRP zone, the special pool, fiber stacks) when it is built and
// would unmap them when it is destroyed; a thread that runs lab after lab (the race explorer runs
// one lab per schedule) would then spend most of each lab's life in mmap, munmap and the page
// faults of fresh pages. A ReusableMapping instead goes back, when destroyed, to a small cache of
// its OS thread, and the next mapping of the same size and layout on that thread is taken from
// there. Addresses may therefore repeat from one lab to the next.
//
// Contract: a mapping is handed out as a fresh one would be: readable and writable except its
// guard (the first `guard_bytes`, inaccessible), and zero-filled, apart from what a layout marked
// `dirty_reuse` allows. Whoever owns it must give it back that way: before destruction it restores
// the protection of every page it changed and zeroes every byte it wrote (reset() is the blunt
// way: the whole mapping back to zero pages and its protections). A `dirty_reuse` layout (fiber
// stacks: their contents are never read before being written by the code that runs on them) keeps
// its contents but still must have its protections restored.
//
// Threading: one OS thread; a mapping must be destroyed on the thread that made it. The cache
// holds at most a few mappings per thread; the rest are unmapped. It is unmapped at thread exit.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wdmlab::base {

struct MappingLayout {
  std::size_t bytes = 0;        // the whole mapping, a multiple of the page size
  std::size_t guard_bytes = 0;  // inaccessible at its start (a stack's guard page); 0: none
  bool accessible = true;       // false: PROT_NONE everywhere (a reservation its owner opens up)
  bool dirty_reuse = false;     // may come back with the last owner's contents
  bool operator==(const MappingLayout&) const = default;
};

class ReusableMapping {
 public:
  ReusableMapping() = default;
  // From this thread's cache, or a new mapping (MAP_NORESERVE). `what` names it in the internal
  // error raised if the host refuses.
  ReusableMapping(const MappingLayout& layout, const char* what);
  ~ReusableMapping();
  ReusableMapping(ReusableMapping&& other) noexcept;
  ReusableMapping& operator=(ReusableMapping&& other) noexcept;
  ReusableMapping(const ReusableMapping&) = delete;
  ReusableMapping& operator=(const ReusableMapping&) = delete;

  std::uintptr_t base() const { return reinterpret_cast<std::uintptr_t>(base_); }
  void* data() const { return base_; }
  std::size_t size() const { return layout_.bytes; }
  const MappingLayout& layout() const { return layout_; }

  // Gives [offset, offset + bytes) back to the host (zero pages again) and restores its layout's
  // protection there: what an owner does when it cannot say cheaply what it changed.
  void reset(std::size_t offset, std::size_t bytes);

 private:
  void* base_ = nullptr;
  MappingLayout layout_;
};

}  // namespace wdmlab::base
