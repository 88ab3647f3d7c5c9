// Remove locks: IoInitializeRemoveLock, IoAcquireRemoveLock, IoReleaseRemoveLock and
// IoReleaseRemoveLockAndWait, their count and event as Windows keeps them, and the acquisitions
// the lab tracks for each lock (tag, file, line).
#include <gtest/gtest.h>
#include <wdm.h>

#include "io/driver.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

const io::RemoveLockRecord& record_of(const IO_REMOVE_LOCK& lock) {
  return *io::IoManager::require().remove_locks().find(&lock);
}

TEST(IoAcquireRemoveLock, CountsAcquisitionsAndRecordsEachTagWithItsSourceLine) {
  runs_clean([] {
    IO_REMOVE_LOCK lock;
    IoInitializeRemoveLock(&lock, 'kLmR', 1, 10);
    EXPECT_FALSE(lock.Common.Removed);
    EXPECT_EQ(lock.Common.IoCount, 1);
    int first = 0, second = 0;
    EXPECT_EQ(IoAcquireRemoveLock(&lock, &first), STATUS_SUCCESS);
    const int line = __LINE__ - 1;
    EXPECT_EQ(IoAcquireRemoveLock(&lock, &second), STATUS_SUCCESS);
    EXPECT_EQ(lock.Common.IoCount, 3);
    const io::RemoveLockRecord& record = record_of(lock);
    EXPECT_EQ(record.allocate_tag, static_cast<ULONG>('kLmR'));
    ASSERT_EQ(record.holds.size(), 2u);
    EXPECT_EQ(record.holds[0].tag, &first);
    EXPECT_EQ(record.holds[0].line, static_cast<ULONG>(line));
    EXPECT_NE(std::string(record.holds[0].file).find("RemoveLock_test.cpp"), std::string::npos);
    IoReleaseRemoveLock(&lock, &first);
    ASSERT_EQ(record.holds.size(), 1u);
    EXPECT_EQ(record.holds[0].tag, &second);
    IoReleaseRemoveLock(&lock, &first);  // not held any more: counted, the count still drops
    EXPECT_EQ(record.unmatched_releases, 1u);
    EXPECT_EQ(lock.Common.IoCount, 1);
  });
}

TEST(IoReleaseRemoveLockAndWait, WaitsForEveryOtherHolderThenRefusesNewAcquisitions) {
  Lab lab({.processors = 2, .seed = 3});
  IO_REMOVE_LOCK lock;
  int io_tag = 0, remove_tag = 0;
  std::uint64_t released_at = 0, waited_until = 0;
  NTSTATUS late = STATUS_SUCCESS;
  lab.spawn("setup", [&] {
    IoInitializeRemoveLock(&lock, 'kLmR', 1, 10);
    EXPECT_EQ(IoAcquireRemoveLock(&lock, &io_tag), STATUS_SUCCESS);
  });
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Idle);
  lab.spawn("io in progress", [&] {
    LARGE_INTEGER delay = relative_ms(20);
    KeDelayExecutionThread(KernelMode, FALSE, &delay);
    released_at = lab.now();
    IoReleaseRemoveLock(&lock, &io_tag);
  });
  lab.spawn("remove device", [&] {
    EXPECT_EQ(IoAcquireRemoveLock(&lock, &remove_tag), STATUS_SUCCESS);
    IoReleaseRemoveLockAndWait(&lock, &remove_tag);
    waited_until = lab.now();
    late = IoAcquireRemoveLock(&lock, &io_tag);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_GE(released_at, static_cast<std::uint64_t>(20 * kTicksPerMillisecond));
  EXPECT_GE(waited_until, released_at);
  EXPECT_EQ(late, STATUS_DELETE_PENDING);
  EXPECT_TRUE(lock.Common.Removed);
  EXPECT_EQ(lock.Common.IoCount, 0);
}

TEST(IoReleaseRemoveLockAndWait, ReturnsAtOnceWhenTheCallerIsTheOnlyHolder) {
  runs_clean([] {
    IO_REMOVE_LOCK lock;
    IoInitializeRemoveLock(&lock, 0, 0, 0);
    int tag = 0;
    EXPECT_EQ(IoAcquireRemoveLock(&lock, &tag), STATUS_SUCCESS);
    IoReleaseRemoveLockAndWait(&lock, &tag);
    EXPECT_EQ(lock.Common.IoCount, 0);
    EXPECT_TRUE(record_of(lock).holds.empty());
  });
}

}  // namespace
}  // namespace wdmlab::test
