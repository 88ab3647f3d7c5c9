// Driver Verifier's checks on handles and references (Miscellaneous Checks, 0x800, and the
// automatic checks): ObReferenceObjectByHandle given NULL (0xC4/0xF5), a user-mode handle with
// KernelMode (0xC4/0xF6), a kernel handle with UserMode in the System process (0xC4/0xF7), a
// handle that names nothing (0xC4/0x3C); ZwClose of a kernel handle that is not open (0x93);
// ObReferenceObject on an object whose count is 0 (0xC4/0x3F). Unverified, each keeps the
// kernel's own behaviour.
#include <gtest/gtest.h>

#include "ob/object.hpp"
#include "ob/sync_objects.hpp"
#include "support/lab_test.hpp"
#include "user_threads.hpp"

namespace wdmlab::test {
namespace {

std::uint64_t number(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

HANDLE new_kernel_event() {
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, nullptr, OBJ_KERNEL_HANDLE, nullptr, nullptr);
  HANDLE handle = nullptr;
  EXPECT_EQ(ZwCreateEvent(&handle, EVENT_ALL_ACCESS, &attributes, NotificationEvent, FALSE), STATUS_SUCCESS);
  return handle;
}

// A System thread references the handle `make` returns, as an event, with `mode`: the finding
// that stopped the lab, the handle and the event type.
struct Reference {
  Finding finding;
  HANDLE handle = nullptr;
  POBJECT_TYPE type = nullptr;
};

template <class Make>
Reference reference_in_system(Make make, KPROCESSOR_MODE mode) {
  Reference reference;
  reference.finding = bug_check_of([&] {
    reference.type = *ExEventObjectType;
    reference.handle = make();
    PVOID object = nullptr;
    ObReferenceObjectByHandle(reference.handle, 0, reference.type, mode, &object, nullptr);
  });
  return reference;
}

TEST(HandleVerification, ANullHandleIsF5) {
  const Reference reference = reference_in_system([] { return HANDLE{}; }, KernelMode);
  EXPECT_EQ(reference.finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
  EXPECT_EQ(reference.finding.parameters[0], 0xF5u);
  EXPECT_EQ(reference.finding.parameters[2], number(reference.type));
}

TEST(HandleVerification, AHandleThatNamesNothingIs3C) {
  const Reference reference = reference_in_system(
      [] {
        const HANDLE stale = new_kernel_event();
        ZwClose(stale);
        return stale;
      },
      KernelMode);
  EXPECT_EQ(reference.finding.parameters,
            (std::array<std::uint64_t, 4>{0x3C, number(reference.handle), number(reference.type), 0}));
}

TEST(HandleVerification, AKernelHandleWithUserModeInTheSystemProcessIsF7) {
  const Reference reference = reference_in_system(&new_kernel_event, UserMode);
  EXPECT_EQ(reference.finding.parameters,
            (std::array<std::uint64_t, 4>{0xF7, number(reference.handle), number(reference.type),
                                          static_cast<std::uint64_t>(UserMode)}));
}

TEST(HandleVerification, AUserHandleWithKernelModeIsF6NamingTheHandleAndItsProcess) {
  Lab lab({.processors = 1, .seed = 1});
  _EPROCESS* process = processes().create_process("app.exe");
  HANDLE handle = nullptr;
  start_user_thread(process, "main", [&] {
    in_service([&] {
      ob::create_event(&handle, EVENT_ALL_ACCESS, nullptr, NotificationEvent, false);
      PVOID object = nullptr;
      ObReferenceObjectByHandle(handle, EVENT_MODIFY_STATE, *ExEventObjectType, KernelMode, &object, nullptr);
    });
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding finding = stop_finding(lab);
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
  EXPECT_EQ(finding.parameters[0], 0xF6u);
  EXPECT_EQ(finding.parameters[1], number(handle));
  EXPECT_EQ(finding.parameters[2], number(process));
  EXPECT_NE(finding.parameters[3], 0u);  // the caller's address
}

TEST(HandleVerification, WithMiscellaneousChecksOffTheReferencesReturnTheKernelsStatus) {
  NTSTATUS null_handle = -1, user_mode = -1;
  runs_clean(
      [&] {
        PVOID object = nullptr;
        null_handle = ObReferenceObjectByHandle(nullptr, 0, nullptr, KernelMode, &object, nullptr);
        const HANDLE handle = new_kernel_event();
        user_mode = ObReferenceObjectByHandle(handle, 0, nullptr, UserMode, &object, nullptr);
        ZwClose(handle);
      },
      1, 1, VerifierOptions{.flags = kVerifierStandardFlags & ~kVerifierMiscellaneousChecks});
  EXPECT_EQ(null_handle, STATUS_INVALID_HANDLE);
  EXPECT_EQ(user_mode, STATUS_INVALID_HANDLE);
}

TEST(HandleVerification, ClosingAKernelHandleTwiceIs93) {
  HANDLE handle = nullptr;
  POBJECT_TYPE type = nullptr;
  const Finding finding = bug_check_of([&] {
    type = *ExEventObjectType;
    handle = new_kernel_event();
    ZwClose(handle);
    ZwClose(handle);
  });
  EXPECT_EQ(finding.code, INVALID_KERNEL_HANDLE);
  EXPECT_EQ(finding.parameters, (std::array<std::uint64_t, 4>{number(handle), 1, 0, 1}));
}

TEST(HandleVerification, ClosingAKernelHandleTwiceUnverifiedIsInvalidHandle) {
  NTSTATUS second = -1;
  runs_clean(
      [&] {
        const HANDLE handle = new_kernel_event();
        ZwClose(handle);
        second = ZwClose(handle);
      },
      1, 1, VerifierOptions::off());
  EXPECT_EQ(second, STATUS_INVALID_HANDLE);
}

// An object type whose delete procedure takes a new reference to the object being deleted.
void* g_dying = nullptr;
void reference_while_deleting(void* body) { ObfReferenceObject(body); }

Finding reference_from_delete_procedure(VerifierOptions verifier) {
  Lab lab({.processors = 1, .seed = 1, .verifier = std::move(verifier)});
  lab.spawn("caller", [] {
    ob::ObjectManager& objects = ob::ObjectManager::require();
    _OBJECT_TYPE* type = objects.create_type("Dying", &reference_while_deleting, GENERIC_MAPPING{}, 0);
    g_dying = objects.create_object(type, 16);
    objects.dereference(g_dying);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  return stop_finding(lab);
}

TEST(HandleVerification, AReferenceFromZeroToOneIs3F) {
  const Finding finding = reference_from_delete_procedure({});
  EXPECT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
  EXPECT_EQ(finding.parameters, (std::array<std::uint64_t, 4>{0x3F, number(g_dying), 1, 1}));
}

TEST(HandleVerification, AReferenceFromZeroToOneUnverifiedIsReferenceByPointer) {
  const Finding finding = reference_from_delete_procedure(VerifierOptions::off());
  EXPECT_EQ(finding.code, REFERENCE_BY_POINTER);
  EXPECT_EQ(finding.parameters[1], number(g_dying));
}

}  // namespace
}  // namespace wdmlab::test
