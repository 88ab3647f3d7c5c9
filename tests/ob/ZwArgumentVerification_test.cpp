// Security Checks (0x100) on Zw routines' arguments: a user-mode address among them (0xC4/0xE3)
// and a malformed UNICODE_STRING (0xC4/0xE4); unverified, the routine answers as the kernel does.
#include <gtest/gtest.h>

#include "base/address_space.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

std::uint64_t number(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

TEST(ZwArgumentVerification, ObjectAttributesInUserMemoryAreE3) {
  void* user = nullptr;
  const Finding finding = bug_check_of([&] {
    auto* attributes =
        static_cast<POBJECT_ATTRIBUTES>(base::AddressSpace::current()->map_user(sizeof(OBJECT_ATTRIBUTES)));
    user = attributes;
    InitializeObjectAttributes(attributes, nullptr, OBJ_KERNEL_HANDLE, nullptr, nullptr);
    HANDLE handle = nullptr;
    ZwCreateEvent(&handle, EVENT_ALL_ACCESS, attributes, NotificationEvent, FALSE);
  });
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
  EXPECT_EQ(finding.parameters[0], 0xE3u);
  EXPECT_EQ(finding.parameters[1], number(user));
}

TEST(ZwArgumentVerification, ANameBufferInUserMemoryIsE3) {
  void* user = nullptr;
  const Finding finding = bug_check_of([&] {
    auto* characters = static_cast<PWCH>(base::AddressSpace::current()->map_user(16));
    user = characters;
    characters[0] = L'X';
    UNICODE_STRING name{2, 16, characters};
    OBJECT_ATTRIBUTES attributes;
    InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE, nullptr, nullptr);
    HANDLE handle = nullptr;
    ZwOpenEvent(&handle, EVENT_ALL_ACCESS, &attributes);
  });
  EXPECT_EQ(finding.parameters[0], 0xE3u);
  EXPECT_EQ(finding.parameters[1], number(user));
}

TEST(ZwArgumentVerification, AnOutputPointerInUserMemoryIsE3) {
  void* user = nullptr;
  const Finding finding = bug_check_of([&] {
    HANDLE event = nullptr;
    OBJECT_ATTRIBUTES attributes;
    InitializeObjectAttributes(&attributes, nullptr, OBJ_KERNEL_HANDLE, nullptr, nullptr);
    ZwCreateEvent(&event, EVENT_ALL_ACCESS, &attributes, NotificationEvent, FALSE);
    user = base::AddressSpace::current()->map_user(sizeof(LONG));
    ZwSetEvent(event, static_cast<PLONG>(user));
  });
  EXPECT_EQ(finding.parameters[0], 0xE3u);
  EXPECT_EQ(finding.parameters[1], number(user));
}

struct StringRow {
  std::string name;
  USHORT length;
  USHORT maximum_length;
};

class MalformedName : public ::testing::TestWithParam<StringRow> {};

TEST_P(MalformedName, IsE4NamingTheString) {
  const StringRow row = GetParam();
  static WCHAR characters[8] = {L'\\', L'E', L'v'};
  UNICODE_STRING* string = nullptr;
  const Finding finding = bug_check_of([&] {
    static UNICODE_STRING name;
    name = UNICODE_STRING{row.length, row.maximum_length, characters};
    string = &name;
    OBJECT_ATTRIBUTES attributes;
    InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE, nullptr, nullptr);
    HANDLE handle = nullptr;
    ZwCreateEvent(&handle, EVENT_ALL_ACCESS, &attributes, NotificationEvent, FALSE);
  });
  EXPECT_EQ(finding.parameters[0], 0xE4u);
  EXPECT_EQ(finding.parameters[1], number(string));
}

INSTANTIATE_TEST_SUITE_P(Table, MalformedName,
                         ::testing::Values(StringRow{"OddLength", 3, 16}, StringRow{"OddMaximumLength", 4, 15},
                                           StringRow{"LengthAboveMaximum", 8, 4}),
                         RowName());

TEST(ZwArgumentVerification, UnverifiedAMalformedNameIsTheKernelsStatus) {
  NTSTATUS status = STATUS_SUCCESS;
  runs_clean(
      [&] {
        static WCHAR characters[8] = {L'\\', L'E', L'v'};
        UNICODE_STRING name{3, 16, characters};
        OBJECT_ATTRIBUTES attributes;
        InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE, nullptr, nullptr);
        HANDLE handle = nullptr;
        status = ZwCreateEvent(&handle, EVENT_ALL_ACCESS, &attributes, NotificationEvent, FALSE);
        if (NT_SUCCESS(status)) ZwClose(handle);
      },
      1, 1, VerifierOptions::off());
  EXPECT_FALSE(NT_SUCCESS(status));
}

}  // namespace
}  // namespace wdmlab::test
