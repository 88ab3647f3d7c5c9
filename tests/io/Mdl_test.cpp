// MDLs and probing: IoAllocateMdl, MmBuildMdlForNonPagedPool, the MDL accessors,
// MmGetSystemAddressForMdlSafe, MmProbeAndLockPages / MmUnlockPages over user and kernel buffers,
// and ProbeForRead / ProbeForWrite, whose failures driver code catches with __try/__except.
#include <gtest/gtest.h>
#include <wdm.h>

#include <cstring>
#include <string>

#include "io/drivers/io_probe.h"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(IoAllocateMdl, DescribesTheBufferAndMmBuildMdlForNonPagedPoolMapsItWhereItIs) {
  runs_clean([] {
    auto* pool = static_cast<char*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 3 * PAGE_SIZE, 'tMoI'));
    char* start = pool + 100;
    const ULONG length = PAGE_SIZE + 200;
    PMDL mdl = IoAllocateMdl(start, length, FALSE, FALSE, nullptr);
    ASSERT_NE(mdl, nullptr);
    EXPECT_EQ(MmGetMdlVirtualAddress(mdl), start);
    EXPECT_EQ(MmGetMdlByteCount(mdl), length);
    EXPECT_EQ(MmGetMdlByteOffset(mdl), BYTE_OFFSET(start));
    EXPECT_EQ(mdl->StartVa, PAGE_ALIGN(start));
    EXPECT_EQ(mdl->Next, nullptr);
    MmBuildMdlForNonPagedPool(mdl);
    EXPECT_TRUE((mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL) != 0);
    EXPECT_EQ(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), start);
    IoFreeMdl(mdl);
    ExFreePoolWithTag(pool, 'tMoI');
  });
}

TEST(IoAllocateMdl, WithAnIrpBecomesItsMdlOrIsChainedAsASecondaryBuffer) {
  runs_clean([] {
    char buffer[64];
    PIRP irp = IoAllocateIrp(1, FALSE);
    PMDL first = IoAllocateMdl(buffer, 16, FALSE, FALSE, irp);
    PMDL second = IoAllocateMdl(buffer + 16, 16, TRUE, FALSE, irp);
    PMDL third = IoAllocateMdl(buffer + 32, 16, TRUE, FALSE, irp);
    EXPECT_EQ(irp->MdlAddress, first);
    EXPECT_EQ(first->Next, second);
    EXPECT_EQ(second->Next, third);
    EXPECT_EQ(third->Next, nullptr);
    IoFreeMdl(third);
    IoFreeMdl(second);
    IoFreeMdl(first);
    irp->MdlAddress = nullptr;
    IoFreeIrp(irp);
  });
}

TEST(MmProbeAndLockPages, LocksAUserBufferAndItsSystemAddressWritesTheUsersMemory) {
  Lab lab({.processors = 1, .seed = 4});
  auto* user = static_cast<char*>(lab.map_user_buffer(2 * PAGE_SIZE));
  char* start = user + PAGE_SIZE - 8;  // across a page boundary
  NTSTATUS status = STATUS_PENDING;
  IOPROBE_MDL seen{};
  lab.spawn("driver", [&] { status = IoProbeLockAndFill(start, 16, UserMode, IoWriteAccess, 'W', &seen); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_EQ(status, STATUS_SUCCESS);
  EXPECT_EQ(seen.VirtualAddress, start);
  EXPECT_EQ(seen.ByteCount, 16u);
  EXPECT_EQ(seen.ByteOffset, PAGE_SIZE - 8);
  EXPECT_TRUE((seen.LockedFlags & MDL_PAGES_LOCKED) != 0);
  EXPECT_TRUE((seen.LockedFlags & MDL_WRITE_OPERATION) != 0);
  EXPECT_NE(seen.SystemAddress, nullptr);
  EXPECT_NE(seen.SystemAddress, static_cast<PVOID>(start));  // a system-space alias of the user pages
  EXPECT_EQ((seen.UnlockedFlags & (MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA)), 0);
  EXPECT_EQ(std::string(start, 16), std::string(16, 'W'));
  EXPECT_EQ(start[-1], 0);
  EXPECT_EQ(start[16], 0);
}

TEST(MmProbeAndLockPages, RaisesAccessViolationForAnInvalidUserAddressOrAKernelAddressFromUserMode) {
  Lab lab({.processors = 1, .seed = 4});
  void* invalid = lab.invalid_user_address();
  NTSTATUS unmapped = STATUS_PENDING, kernel_as_user = STATUS_PENDING, kernel_as_kernel = STATUS_PENDING;
  IOPROBE_MDL unmapped_seen{}, kernel_seen{}, ignored{};
  lab.spawn("driver", [&] {
    unmapped = IoProbeLockAndFill(invalid, 8, UserMode, IoReadAccess, 0, &unmapped_seen);
    auto* pool = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'tMoI');
    kernel_as_user = IoProbeLockAndFill(pool, 64, UserMode, IoReadAccess, 0, &kernel_seen);
    kernel_as_kernel = IoProbeLockAndFill(pool, 64, KernelMode, IoWriteAccess, 'K', &ignored);
    ExFreePoolWithTag(pool, 'tMoI');
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_EQ(unmapped, STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(unmapped_seen.LockedFlags & MDL_PAGES_LOCKED, 0);  // nothing was locked
  EXPECT_EQ(kernel_as_user, STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(kernel_seen.LockedFlags & MDL_PAGES_LOCKED, 0);
  EXPECT_EQ(kernel_as_kernel, STATUS_SUCCESS);
}

struct ProbeRow {
  const char* name;
  enum Where { UserBuffer, UserBufferEnd, Invalid, Kernel, Null } where;
  std::ptrdiff_t offset;
  SIZE_T length;
  ULONG alignment;
  NTSTATUS read;   // ProbeForRead raises this (STATUS_SUCCESS: nothing)
  NTSTATUS write;  // ProbeForWrite
};

class Probe : public ::testing::TestWithParam<ProbeRow> {};

TEST_P(Probe, RaisesWhatTheDocumentationSays) {
  const ProbeRow& row = GetParam();
  Lab lab({.processors = 1, .seed = 4});
  auto* user = static_cast<char*>(lab.map_user_buffer(PAGE_SIZE));
  char* invalid = static_cast<char*>(lab.invalid_user_address());
  NTSTATUS read = STATUS_PENDING, write = STATUS_PENDING;
  lab.spawn("driver", [&] {
    char* kernel = static_cast<char*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'tPoI'));
    char* base = nullptr;
    switch (row.where) {
      case ProbeRow::UserBuffer: base = user; break;
      case ProbeRow::UserBufferEnd: base = user + PAGE_SIZE; break;
      case ProbeRow::Invalid: base = invalid; break;
      case ProbeRow::Kernel: base = kernel; break;
      case ProbeRow::Null: base = nullptr; break;
    }
    char* address = base + row.offset;
    read = IoProbe(address, row.length, row.alignment, FALSE);
    write = IoProbe(address, row.length, row.alignment, TRUE);
    ExFreePoolWithTag(kernel, 'tPoI');
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_EQ(read, row.read);
  EXPECT_EQ(write, row.write);
}

constexpr NTSTATUS kOk = STATUS_SUCCESS;
constexpr NTSTATUS kAv = STATUS_ACCESS_VIOLATION;
constexpr NTSTATUS kMisaligned = STATUS_DATATYPE_MISALIGNMENT;

INSTANTIATE_TEST_SUITE_P(
    ProbeForReadAndWrite, Probe,
    ::testing::Values(ProbeRow{"UserBuffer", ProbeRow::UserBuffer, 0, 64, 8, kOk, kOk},
                      ProbeRow{"UserBufferUnaligned", ProbeRow::UserBuffer, 2, 64, 4, kMisaligned, kMisaligned},
                      ProbeRow{"UserBufferByteAligned", ProbeRow::UserBuffer, 3, 8, 1, kOk, kOk},
                      ProbeRow{"KernelAddress", ProbeRow::Kernel, 0, 16, 1, kAv, kAv},
                      // Page 0 is in the user range: ProbeForRead lets NULL through, ProbeForWrite faults.
                      ProbeRow{"NullPointer", ProbeRow::Null, 0, 4, 1, kOk, kAv},
                      ProbeRow{"ZeroLengthKernelAddress", ProbeRow::Kernel, 0, 0, 1, kOk, kOk},
                      ProbeRow{"ZeroLengthUnaligned", ProbeRow::UserBuffer, 1, 0, 4, kOk, kOk},
                      // ProbeForRead checks the range only; ProbeForWrite touches the pages.
                      ProbeRow{"UnmappedUserPage", ProbeRow::Invalid, 0, 4, 4, kOk, kAv},
                      ProbeRow{"RunsIntoTheGuardPage", ProbeRow::UserBufferEnd, -8, 16, 1, kOk, kAv},
                      ProbeRow{"WrapsAround", ProbeRow::UserBuffer, 0, ~SIZE_T{0}, 1, kAv, kAv}),
    RowName());

}  // namespace
}  // namespace wdmlab::test
