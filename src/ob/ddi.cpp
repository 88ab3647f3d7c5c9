// The object manager's exported routines: references, handles, names.
#include <fmt/format.h>

#include <cstring>

#include "ke/bugcheck.hpp"
#include "ob/object.hpp"
#include "ob/previous_mode.hpp"
#include "sched/scheduler.hpp"

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

}  // namespace

extern "C" {

NTSTATUS NTAPI ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                         KPROCESSOR_MODE AccessMode, PVOID* Object,
                                         POBJECT_HANDLE_INFORMATION HandleInformation) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(APC_LEVEL, "ObReferenceObjectByHandle", __builtin_return_address(0));
  return ObjectManager::require().reference_by_handle(Handle, DesiredAccess, ObjectType, AccessMode, Object,
                                                      HandleInformation);
}

NTSTATUS NTAPI ObReferenceObjectByHandleWithTag(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                                KPROCESSOR_MODE AccessMode, ULONG Tag, PVOID* Object,
                                                POBJECT_HANDLE_INFORMATION HandleInformation) {
  (void)Tag;
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(APC_LEVEL, "ObReferenceObjectByHandleWithTag", __builtin_return_address(0));
  return ObjectManager::require().reference_by_handle(Handle, DesiredAccess, ObjectType, AccessMode, Object,
                                                      HandleInformation);
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
  return ObjectManager::require().close(Handle, KernelMode);
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
  KernelModeCall kernel_call;
  return ObjectManager::require().duplicate(SourceProcessHandle, SourceHandle, TargetProcessHandle, TargetHandle,
                                            DesiredAccess, HandleAttributes, Options, KernelMode);
}

}  // extern "C"
