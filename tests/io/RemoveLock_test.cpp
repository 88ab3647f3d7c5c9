// Remove locks: IoInitializeRemoveLock, IoAcquireRemoveLock, IoReleaseRemoveLock and
// IoReleaseRemoveLockAndWait, their count and event as Windows keeps them, and the acquisitions
// the lab tracks for each lock (tag, file, line).
#include <gtest/gtest.h>
#include <wdm.h>

#include <vector>

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
    IoReleaseRemoveLock(&lock, &second);
    EXPECT_TRUE(record.holds.empty());
    EXPECT_EQ(record.unmatched_releases, 0u);
    EXPECT_EQ(lock.Common.IoCount, 1);
  });
}

// Runs `body` as the only thread of a lab with `options`; returns the lab's findings.
template <class Body>
std::vector<Finding> findings_of(LabOptions options, Body body, RunStatus expected) {
  Lab lab(std::move(options));
  lab.spawn("caller", body);
  EXPECT_EQ(lab.run_until_idle(), expected);
  return lab.findings();
}

struct RemoveLockMisuse {
  const char* name;
  std::uint64_t subcode;  // 0xC4 parameter 1 under I/O verification
  // Initialises `lock`, acquires it with `held`, then misuses it (with `stray` as the wrong tag).
  void (*misuse)(IO_REMOVE_LOCK& lock, int& held, int& stray);
};

const RemoveLockMisuse kRemoveLockMisuses[] = {
    {"ReleaseWithATagNoAcquisitionUsed", 0xD5,
     [](IO_REMOVE_LOCK& lock, int&, int& stray) { IoReleaseRemoveLock(&lock, &stray); }},
    {"ReleaseAndWaitWithATagNoAcquisitionUsed", 0xD6,
     [](IO_REMOVE_LOCK& lock, int&, int& stray) { IoReleaseRemoveLockAndWait(&lock, &stray); }},
    {"InitializeALockInUse", 0xD7,
     [](IO_REMOVE_LOCK& lock, int&, int&) { IoInitializeRemoveLock(&lock, 'kLmR', 1, 10); }},
};

class RemoveLockMisuseTest : public ::testing::TestWithParam<RemoveLockMisuse> {};

// Under I/O verification (in the standard flags) each misuse is Driver Verifier's fatal 0xC4 stop
// [lock, tag released, tag still held] (0xD7: [lock, acquisitions held, 0]).
TEST_P(RemoveLockMisuseTest, IsDriverVerifierDetectedViolationUnderIoVerification) {
  const RemoveLockMisuse& row = GetParam();
  IO_REMOVE_LOCK lock;
  int held = 0, stray = 0;
  const std::vector<Finding> findings = findings_of(
      LabOptions{.seed = 1},
      [&] {
        IoInitializeRemoveLock(&lock, 'kLmR', 1, 10);
        EXPECT_EQ(IoAcquireRemoveLock(&lock, &held), STATUS_SUCCESS);
        row.misuse(lock, held, stray);
      },
      RunStatus::Stopped);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& finding = findings[0];
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << finding.summary();
  EXPECT_EQ(finding.severity, Severity::Fatal);
  EXPECT_EQ(finding.parameters[0], row.subcode);
  EXPECT_EQ(finding.parameters[1], reinterpret_cast<std::uintptr_t>(&lock));
  if (row.subcode == 0xD7) {
    EXPECT_EQ(finding.parameters[2], 1u);
  } else {
    EXPECT_EQ(finding.parameters[2], reinterpret_cast<std::uintptr_t>(&stray));
    EXPECT_EQ(finding.parameters[3], reinterpret_cast<std::uintptr_t>(&held));
    EXPECT_EQ(finding.rule, "RemoveLockRelease");
  }
}

// A driver that is not verified gets Windows' free-build behaviour: nothing is reported; a stray
// release is counted and the count still drops.
TEST_P(RemoveLockMisuseTest, IsNotReportedWithoutTheVerifier) {
  const RemoveLockMisuse& row = GetParam();
  IO_REMOVE_LOCK lock;
  int held = 0, stray = 0;
  unsigned unmatched = 0;
  const std::vector<Finding> findings = findings_of(
      LabOptions{.seed = 1, .verifier = VerifierOptions::off()},
      [&] {
        IoInitializeRemoveLock(&lock, 'kLmR', 1, 10);
        EXPECT_EQ(IoAcquireRemoveLock(&lock, &held), STATUS_SUCCESS);
        row.misuse(lock, held, stray);
        unmatched = record_of(lock).unmatched_releases;
      },
      RunStatus::Idle);
  EXPECT_TRUE(findings.empty()) << findings.front().summary();
  EXPECT_EQ(unmatched, row.subcode == 0xD7 ? 0u : 1u);
}

INSTANTIATE_TEST_SUITE_P(IoRemoveLock, RemoveLockMisuseTest, ::testing::ValuesIn(kRemoveLockMisuses), RowName());

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
