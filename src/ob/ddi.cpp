// The object manager's exported routines: references, handles, names.
#include <fmt/format.h>

#include <cstring>

#include "ke/bugcheck.hpp"
#include "ob/object.hpp"
#include "ob/previous_mode.hpp"
#include "ob/zw_arguments.hpp"
#include "sched/scheduler.hpp"
#include "verifier/verifier.hpp"

using wdmlab::ob::KernelModeCall;
using wdmlab::ob::ObjectManager;

namespace {

// ObQueryNameString's result: the name's characters follow the structure in the caller's buffer.
NTSTATUS query_name(PVOID object, POBJECT_NAME_INFORMATION info, ULONG length, PULONG return_length) {
  const std::u16string name = ObjectManager::require().name_of(object);
  const std::size_t bytes = name.size() * sizeof(WCHAR);
  const std::size_t needed = sizeof(OBJECT_NAME_INFORMATION) + (name.empty() ? 0 : bytes + sizeof(WCHAR));
  *return_length = static_cast<ULONG>(needed);
  if (length < needed || info == nullptr) return STATUS_INFO_LENGTH_MISMATCH;
  if (name.empty()) {
    info->Name = UNICODE_STRING{0, 0, nullptr};
    return STATUS_SUCCESS;
  }
  auto* characters = reinterpret_cast<PWCH>(info + 1);
  std::memcpy(characters, name.data(), bytes);
  characters[name.size()] = 0;
  info->Name.Buffer = characters;
  info->Name.Length = static_cast<USHORT>(bytes);
  info->Name.MaximumLength = static_cast<USHORT>(bytes + sizeof(WCHAR));
  return STATUS_SUCCESS;
}

std::uint64_t number(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }
std::uint64_t number(HANDLE handle) { return reinterpret_cast<std::uintptr_t>(handle); }

bool is_pseudo_handle(HANDLE handle) { return handle == NtCurrentProcess() || handle == NtCurrentThread(); }

// Miscellaneous Checks (0x800) on the handle a verified driver passes to
// ObReferenceObjectByHandle, made before the reference: 0xF5 for NULL, 0xF6 for a handle of a
// user process's table referenced with KernelMode (the access check is skipped, so a caller in
// user mode could name any object it has a handle to), 0xF7 for a kernel handle referenced with
// UserMode in the System process. Each is fatal; when not reported the reference goes on.
void check_handle_for_reference(HANDLE handle, POBJECT_TYPE type, KPROCESSOR_MODE mode, const void* caller) {
  if (!wdmlab::verifier::active(wdmlab::kVerifierMiscellaneousChecks)) return;
  if (handle == nullptr) {
    wdmlab::verifier::violation({.parameters = {0xF5, 0, number(type), number(caller)},
                                 .description = "ObReferenceObjectByHandle was given a NULL handle."});
    return;
  }
  if (is_pseudo_handle(handle)) return;
  wdmlab::ob::HandleTable& table = ObjectManager::require().current_table();
  const bool system_process = &table == &ObjectManager::require().kernel_handles();
  const bool kernel_handle = wdmlab::ob::is_kernel_handle(handle);
  if (mode == KernelMode && !kernel_handle && !system_process) {
    wdmlab::verifier::violation(
        {.parameters = {0xF6, number(handle), number(table.owner()), number(caller)},
         .description = fmt::format("ObReferenceObjectByHandle referenced user-mode handle {} of process {} with "
                                    "AccessMode KernelMode: the access check is skipped for a handle user mode "
                                    "controls (use UserMode, or Irp->RequestorMode).",
                                    static_cast<void*>(handle), table.owner())});
  } else if (mode == UserMode && system_process && kernel_handle) {
    wdmlab::verifier::violation(
        {.parameters = {0xF7, number(handle), number(type), static_cast<std::uint64_t>(mode)},
         .description = fmt::format("ObReferenceObjectByHandle referenced kernel handle {} with AccessMode UserMode "
                                    "in the System process.",
                                    static_cast<void*>(handle))});
  }
}

// 0x3C after a KernelMode reference found no object: the handle is not valid in the kernel's view.
void check_reference_result(NTSTATUS status, HANDLE handle, POBJECT_TYPE type, KPROCESSOR_MODE mode) {
  if (status != STATUS_INVALID_HANDLE || mode != KernelMode || handle == nullptr) return;
  wdmlab::verifier::violation(
      {.parameters = {0x3C, number(handle), number(type), 0},
       .description = fmt::format("ObReferenceObjectByHandle was given handle {}, which names no object.",
                                  static_cast<void*>(handle))});
}

NTSTATUS reference_by_handle(HANDLE handle, ACCESS_MASK access, POBJECT_TYPE type, KPROCESSOR_MODE mode,
                             PVOID* object, POBJECT_HANDLE_INFORMATION information, const void* caller) {
  check_handle_for_reference(handle, type, mode, caller);
  const NTSTATUS status =
      ObjectManager::require().reference_by_handle(handle, access, type, mode, object, information);
  check_reference_result(status, handle, type, mode);
  return status;
}

}  // namespace

extern "C" {

NTSTATUS NTAPI ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                         KPROCESSOR_MODE AccessMode, PVOID* Object,
                                         POBJECT_HANDLE_INFORMATION HandleInformation) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(APC_LEVEL, "ObReferenceObjectByHandle", __builtin_return_address(0));
  return reference_by_handle(Handle, DesiredAccess, ObjectType, AccessMode, Object, HandleInformation,
                             __builtin_return_address(0));
}

NTSTATUS NTAPI ObReferenceObjectByHandleWithTag(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                                KPROCESSOR_MODE AccessMode, ULONG Tag, PVOID* Object,
                                                POBJECT_HANDLE_INFORMATION HandleInformation) {
  (void)Tag;
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(APC_LEVEL, "ObReferenceObjectByHandleWithTag", __builtin_return_address(0));
  return reference_by_handle(Handle, DesiredAccess, ObjectType, AccessMode, Object, HandleInformation,
                             __builtin_return_address(0));
}

NTSTATUS NTAPI ObReferenceObjectByPointer(PVOID Object, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                          KPROCESSOR_MODE AccessMode) {
  (void)DesiredAccess;
  (void)AccessMode;
  wdmlab::sched::scheduling_point();
  wdmlab::ob::ObjectHeader* header = wdmlab::ob::header_of(Object);
  if (ObjectType != nullptr && header != nullptr && header->type != ObjectType) return STATUS_OBJECT_TYPE_MISMATCH;
  ObjectManager::require().reference(Object);
  return STATUS_SUCCESS;
}

LONG_PTR FASTCALL ObfReferenceObject(PVOID Object) {
  wdmlab::sched::scheduling_point();
  return ObjectManager::require().reference(Object);
}

LONG_PTR FASTCALL ObfDereferenceObject(PVOID Object) {
  wdmlab::sched::scheduling_point();
  return ObjectManager::require().dereference(Object);
}

LONG_PTR FASTCALL ObfReferenceObjectWithTag(PVOID Object, ULONG Tag) {
  (void)Tag;
  wdmlab::sched::scheduling_point();
  return ObjectManager::require().reference(Object);
}

LONG_PTR FASTCALL ObfDereferenceObjectWithTag(PVOID Object, ULONG Tag) {
  (void)Tag;
  wdmlab::sched::scheduling_point();
  return ObjectManager::require().dereference(Object);
}

LONG_PTR NTAPI ObDereferenceObjectDeferDelete(PVOID Object) { return ObfDereferenceObject(Object); }

LONG_PTR NTAPI ObDereferenceObjectDeferDeleteWithTag(PVOID Object, ULONG Tag) {
  return ObfDereferenceObjectWithTag(Object, Tag);
}

NTSTATUS NTAPI ObOpenObjectByPointer(PVOID Object, ULONG HandleAttributes, PACCESS_STATE PassedAccessState,
                                     ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode,
                                     PHANDLE Handle) {
  (void)PassedAccessState;
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(APC_LEVEL, "ObOpenObjectByPointer", __builtin_return_address(0), Object);
  return ObjectManager::require().open_object(Object, HandleAttributes, DesiredAccess, ObjectType, AccessMode, Handle);
}

NTSTATUS NTAPI ObQueryNameString(PVOID Object, POBJECT_NAME_INFORMATION ObjectNameInfo, ULONG Length,
                                 PULONG ReturnLength) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(APC_LEVEL, "ObQueryNameString", __builtin_return_address(0), Object);
  return query_name(Object, ObjectNameInfo, Length, ReturnLength);
}

NTSTATUS NTAPI ZwClose(HANDLE Handle) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "ZwClose", __builtin_return_address(0), nullptr, "IrqlZwPassive");
  KernelModeCall kernel_call;
  ObjectManager& objects = ObjectManager::require();
  const bool kernel_table =
      wdmlab::ob::is_kernel_handle(Handle) || &objects.current_table() == &objects.kernel_handles();
  const NTSTATUS status = objects.close(Handle, KernelMode);
  // With Miscellaneous Checks, closing a handle the kernel table does not hold stops the machine:
  // a stale kernel handle may by now name another object.
  if (status == STATUS_INVALID_HANDLE && kernel_table) {
    wdmlab::verifier::violation({.code = INVALID_KERNEL_HANDLE,
                                 .parameters = {number(Handle), 1, 0, 1},
                                 .description = fmt::format("ZwClose of kernel handle {}, which is not open.",
                                                            static_cast<void*>(Handle))});
  }
  return status;
}

NTSTATUS NTAPI ZwMakeTemporaryObject(HANDLE Handle) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "ZwMakeTemporaryObject", __builtin_return_address(0), nullptr,
                                   "IrqlZwPassive");
  KernelModeCall kernel_call;
  ObjectManager& objects = ObjectManager::require();
  PVOID object = nullptr;
  const NTSTATUS status = objects.reference_by_handle(Handle, DELETE, nullptr, KernelMode, &object, nullptr);
  if (!NT_SUCCESS(status)) return status;
  objects.make_temporary(object);
  objects.dereference(object);
  return STATUS_SUCCESS;
}

NTSTATUS NTAPI ZwDuplicateObject(HANDLE SourceProcessHandle, HANDLE SourceHandle, HANDLE TargetProcessHandle,
                                 PHANDLE TargetHandle, ACCESS_MASK DesiredAccess, ULONG HandleAttributes,
                                 ULONG Options) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "ZwDuplicateObject", __builtin_return_address(0), nullptr,
                                   "IrqlZwPassive");
  wdmlab::ob::check_zw_arguments("ZwDuplicateObject", nullptr, {TargetHandle}, __builtin_return_address(0));
  KernelModeCall kernel_call;
  return ObjectManager::require().duplicate(SourceProcessHandle, SourceHandle, TargetProcessHandle, TargetHandle,
                                            DesiredAccess, HandleAttributes, Options, KernelMode);
}

}  // extern "C"
