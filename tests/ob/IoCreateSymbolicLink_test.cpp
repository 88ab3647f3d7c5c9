// IoCreateSymbolicLink, IoCreateUnprotectedSymbolicLink and IoDeleteSymbolicLink, with
// ZwOpenSymbolicLinkObject and ZwQuerySymbolicLinkObject: a driver's user-visible name for its
// device in \??, reachable through \DosDevices and \GLOBAL??; a second link with the same name is
// STATUS_OBJECT_NAME_COLLISION; the link outlives every handle until IoDeleteSymbolicLink; all of
// them require PASSIVE_LEVEL.
#include <gtest/gtest.h>

#include <vector>

#include "object_names.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

// The target a link named `name` has, read the way a driver reads it; the status on failure.
NTSTATUS read_link(std::u16string name, std::u16string& target) {
  ObjectName link(std::move(name), OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE);
  HANDLE handle = nullptr;
  NTSTATUS status = ZwOpenSymbolicLinkObject(&handle, GENERIC_READ, link.get());
  if (!NT_SUCCESS(status)) return status;
  WCHAR buffer[128];
  UNICODE_STRING text{0, sizeof(buffer), buffer};
  ULONG length = 0;
  status = ZwQuerySymbolicLinkObject(handle, &text, &length);
  if (NT_SUCCESS(status)) target.assign(reinterpret_cast<const char16_t*>(text.Buffer), text.Length / sizeof(WCHAR));
  ZwClose(handle);
  return status;
}

TEST(IoCreateSymbolicLink, MakesTheUserVisibleNameOpenTheDeviceName) {
  NTSTATUS created = -1, deleted = -1, read_before = -1, read_dos = -1, read_global = -1, read_after = -1;
  std::u16string target, through_dos, through_global;
  runs_clean([&] {
    UNICODE_STRING link = counted(u"\\??\\SampleLink");
    UNICODE_STRING device = counted(u"\\Device\\Sample0");
    created = IoCreateSymbolicLink(&link, &device);
    read_before = read_link(u"\\??\\SampleLink", target);
    read_dos = read_link(u"\\DosDevices\\samplelink", through_dos);
    read_global = read_link(u"\\GLOBAL??\\SAMPLELINK", through_global);
    deleted = IoDeleteSymbolicLink(&link);
    std::u16string gone;
    read_after = read_link(u"\\??\\SampleLink", gone);
  });
  EXPECT_EQ(created, STATUS_SUCCESS);
  EXPECT_EQ(read_before, STATUS_SUCCESS);
  EXPECT_EQ(target, u"\\Device\\Sample0");
  EXPECT_EQ(read_dos, STATUS_SUCCESS);
  EXPECT_EQ(through_dos, u"\\Device\\Sample0");
  EXPECT_EQ(read_global, STATUS_SUCCESS);
  EXPECT_EQ(through_global, u"\\Device\\Sample0");
  EXPECT_EQ(deleted, STATUS_SUCCESS);
  EXPECT_EQ(read_after, STATUS_OBJECT_NAME_NOT_FOUND);
}

TEST(IoCreateSymbolicLink, ASecondLinkWithTheSameNameIsACollisionWhateverItsCase) {
  std::vector<NTSTATUS> statuses;
  runs_clean([&] {
    UNICODE_STRING link = counted(u"\\DosDevices\\COM7");
    UNICODE_STRING again = counted(u"\\??\\com7");
    UNICODE_STRING device = counted(u"\\Device\\Serial6");
    statuses.push_back(IoCreateSymbolicLink(&link, &device));
    statuses.push_back(IoCreateSymbolicLink(&again, &device));
    statuses.push_back(IoCreateUnprotectedSymbolicLink(&again, &device));
    statuses.push_back(IoDeleteSymbolicLink(&again));
    statuses.push_back(IoCreateUnprotectedSymbolicLink(&again, &device));
    statuses.push_back(IoDeleteSymbolicLink(&link));
  });
  EXPECT_EQ(statuses, (std::vector<NTSTATUS>{STATUS_SUCCESS, STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_NAME_COLLISION,
                                             STATUS_SUCCESS, STATUS_SUCCESS, STATUS_SUCCESS}));
}

TEST(IoCreateSymbolicLink, WithAParentThatDoesNotExistIsPathNotFound) {
  NTSTATUS status = -1;
  runs_clean([&] {
    UNICODE_STRING link = counted(u"\\NoSuchDirectory\\Link");
    UNICODE_STRING device = counted(u"\\Device\\Sample0");
    status = IoCreateSymbolicLink(&link, &device);
  });
  EXPECT_EQ(status, STATUS_OBJECT_PATH_NOT_FOUND);
}

TEST(IoDeleteSymbolicLink, OfALinkThatDoesNotExistIsNameNotFound) {
  NTSTATUS status = -1;
  runs_clean([&] {
    UNICODE_STRING link = counted(u"\\??\\NeverCreated");
    status = IoDeleteSymbolicLink(&link);
  });
  EXPECT_EQ(status, STATUS_OBJECT_NAME_NOT_FOUND);
}

TEST(IoDeleteSymbolicLink, DeletesTheLinkNotWhatItPointsTo) {
  NTSTATUS deleted = -1, read_inner = -1;
  std::u16string inner;
  runs_clean([&] {
    UNICODE_STRING inner_link = counted(u"\\??\\Inner");
    UNICODE_STRING outer_link = counted(u"\\??\\Outer");
    UNICODE_STRING device = counted(u"\\Device\\Sample0");
    UNICODE_STRING to_inner = counted(u"\\??\\Inner");
    IoCreateSymbolicLink(&inner_link, &device);
    IoCreateSymbolicLink(&outer_link, &to_inner);
    deleted = IoDeleteSymbolicLink(&outer_link);
    read_inner = read_link(u"\\??\\Inner", inner);
    IoDeleteSymbolicLink(&inner_link);
  });
  EXPECT_EQ(deleted, STATUS_SUCCESS);
  EXPECT_EQ(read_inner, STATUS_SUCCESS);
  EXPECT_EQ(inner, u"\\Device\\Sample0");
}

TEST(ZwQuerySymbolicLinkObject, WithABufferTooSmallIsBufferTooSmallAndSaysHowMuchIsNeeded) {
  NTSTATUS status = -1;
  ULONG length = 0;
  USHORT written = 0xFFFF;
  runs_clean([&] {
    UNICODE_STRING link = counted(u"\\??\\Small");
    UNICODE_STRING device = counted(u"\\Device\\Sample0");  // 15 characters
    IoCreateSymbolicLink(&link, &device);
    ObjectName name(u"\\??\\Small", OBJ_KERNEL_HANDLE);
    HANDLE handle = nullptr;
    ZwOpenSymbolicLinkObject(&handle, GENERIC_READ, name.get());
    WCHAR buffer[8];
    UNICODE_STRING text{0, sizeof(buffer), buffer};
    status = ZwQuerySymbolicLinkObject(handle, &text, &length);
    written = text.Length;
    ZwClose(handle);
    IoDeleteSymbolicLink(&link);
  });
  EXPECT_EQ(status, STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(length, 16u * sizeof(WCHAR));  // the target and its terminating null
  EXPECT_EQ(written, 0u);
}

TEST(ZwCreateSymbolicLinkObject, MakesATemporaryLinkThatGoesWithItsLastHandle) {
  NTSTATUS created = -1, while_open = -1, after_close = -1;
  std::u16string target;
  runs_clean([&] {
    ObjectName name(u"\\??\\Temporary", OBJ_KERNEL_HANDLE);
    UNICODE_STRING to = counted(u"\\Device\\Sample0");
    HANDLE handle = nullptr;
    created = ZwCreateSymbolicLinkObject(&handle, SYMBOLIC_LINK_ALL_ACCESS, name.get(), &to);
    while_open = read_link(u"\\??\\Temporary", target);
    ZwClose(handle);
    std::u16string gone;
    after_close = read_link(u"\\??\\Temporary", gone);
  });
  EXPECT_EQ(created, STATUS_SUCCESS);
  EXPECT_EQ(while_open, STATUS_SUCCESS);
  EXPECT_EQ(target, u"\\Device\\Sample0");
  EXPECT_EQ(after_close, STATUS_OBJECT_NAME_NOT_FOUND);
}

struct IrqlRow {
  std::string name;
  int routine;  // 0 IoCreateSymbolicLink, 1 IoCreateUnprotectedSymbolicLink, 2 IoDeleteSymbolicLink,
                // 3 ZwOpenSymbolicLinkObject
  const char* rule;
};

class SymbolicLinkRoutinesAboveIrqlPassive : public ::testing::TestWithParam<IrqlRow> {};

TEST_P(SymbolicLinkRoutinesAboveIrqlPassive, AreBugCheckA) {
  const IrqlRow row = GetParam();
  const Finding finding = unverified_bug_check_of([row] {
    UNICODE_STRING link = counted(u"\\??\\Raised");
    UNICODE_STRING device = counted(u"\\Device\\Sample0");
    ObjectName name(u"\\??\\Raised", OBJ_KERNEL_HANDLE);
    HANDLE handle = nullptr;
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    switch (row.routine) {
      case 0:
        IoCreateSymbolicLink(&link, &device);
        break;
      case 1:
        IoCreateUnprotectedSymbolicLink(&link, &device);
        break;
      case 2:
        IoDeleteSymbolicLink(&link);
        break;
      default:
        ZwOpenSymbolicLinkObject(&handle, GENERIC_READ, name.get());
        break;
    }
  });
  EXPECT_EQ(finding.code, IRQL_NOT_LESS_OR_EQUAL);
  EXPECT_EQ(finding.parameters[1], APC_LEVEL);
  EXPECT_EQ(finding.rule, row.rule);
}

INSTANTIATE_TEST_SUITE_P(Table, SymbolicLinkRoutinesAboveIrqlPassive,
                         ::testing::Values(IrqlRow{"IoCreateSymbolicLink", 0, "IrqlIoPassive3"},
                                           IrqlRow{"IoCreateUnprotectedSymbolicLink", 1, "IrqlIoPassive4"},
                                           IrqlRow{"IoDeleteSymbolicLink", 2, "IrqlIoPassive4"},
                                           IrqlRow{"ZwOpenSymbolicLinkObject", 3, "IrqlZwPassive"}),
                         RowName());

}  // namespace
}  // namespace wdmlab::test
