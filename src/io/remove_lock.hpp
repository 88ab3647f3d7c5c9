// io/remove_lock.hpp - remove locks: IoInitializeRemoveLock(Ex), IoAcquireRemoveLock(Ex),
// IoReleaseRemoveLock(Ex), IoReleaseRemoveLockAndWait(Ex).
//
// The lock itself is the driver's IO_REMOVE_LOCK in its free-build layout (Removed, IoCount
// biased by one, RemoveEvent), updated exactly as Windows updates it. What a checked build's debug
// block would hold is kept here instead, per lock: its allocation tag and limits, how often it was
// initialized, and every acquisition still held (tag, source file and line, driver, virtual time),
// so that tag mismatches and locks held too long can be checked against it. A release whose tag
// matches no held acquisition is counted, and under I/O verification reported (0xC4 / 0xD5, 0xD6).
#pragma once

#include <wdm.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace wdmlab::base {
struct DriverIdentity;
}

namespace wdmlab::io {

struct RemoveLockHold {
  PVOID tag = nullptr;
  const char* file = nullptr;
  ULONG line = 0;
  const base::DriverIdentity* driver = nullptr;
  std::uint64_t acquired_at = 0;  // virtual time, 100 ns units
};

struct RemoveLockRecord {
  ULONG allocate_tag = 0;
  ULONG max_locked_minutes = 0;
  ULONG high_watermark = 0;
  unsigned initializations = 0;
  unsigned unmatched_releases = 0;  // releases whose tag no held acquisition had
  std::vector<RemoveLockHold> holds;
};

class RemoveLockTable {
 public:
  RemoveLockRecord& record(const IO_REMOVE_LOCK* lock) { return locks_[lock]; }
  const RemoveLockRecord* find(const IO_REMOVE_LOCK* lock) const {
    const auto found = locks_.find(lock);
    return found != locks_.end() ? &found->second : nullptr;
  }

 private:
  std::unordered_map<const IO_REMOVE_LOCK*, RemoveLockRecord> locks_;
};

}  // namespace wdmlab::io
