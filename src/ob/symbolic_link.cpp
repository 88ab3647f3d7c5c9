// Symbolic link objects by OBJECT_ATTRIBUTES, and their exported routines (IoCreateSymbolicLink,
// IoCreateUnprotectedSymbolicLink, IoDeleteSymbolicLink, ZwCreateSymbolicLinkObject,
// ZwOpenSymbolicLinkObject, ZwQuerySymbolicLinkObject).
#include "ob/symbolic_link.hpp"

#include <cstring>

#include "ke/bugcheck.hpp"
#include "ob/object.hpp"
#include "sched/scheduler.hpp"
#include "ob/zw_arguments.hpp"

namespace wdmlab::ob {

NTSTATUS create_symbolic_link_object(HANDLE* handle, ACCESS_MASK desired, const OBJECT_ATTRIBUTES* attributes,
                                     std::u16string_view target, KPROCESSOR_MODE mode) {
  *handle = nullptr;
  ObjectManager& objects = ObjectManager::require();
  return objects.insert_object(objects.new_symbolic_link(target), attributes, desired, mode, handle);
}

NTSTATUS open_symbolic_link_object(HANDLE* handle, ACCESS_MASK desired, const OBJECT_ATTRIBUTES* attributes,
                                   KPROCESSOR_MODE mode) {
  ObjectManager& objects = ObjectManager::require();
  return objects.open_by_name(attributes, objects.symbolic_link_type(), desired, mode, nullptr, handle);
}

NTSTATUS query_symbolic_link(HANDLE handle, UNICODE_STRING* target, ULONG* returned_length, KPROCESSOR_MODE mode) {
  ObjectManager& objects = ObjectManager::require();
  void* link = nullptr;
  const NTSTATUS status =
      objects.reference_by_handle(handle, SYMBOLIC_LINK_QUERY, objects.symbolic_link_type(), mode, &link, nullptr);
  if (!NT_SUCCESS(status)) return status;
  const std::u16string& text = objects.link_target(link);
  const std::size_t bytes = text.size() * sizeof(WCHAR);
  if (returned_length != nullptr) *returned_length = static_cast<ULONG>(bytes + sizeof(WCHAR));
  if (target->MaximumLength < bytes) {
    objects.dereference(link);
    return STATUS_BUFFER_TOO_SMALL;
  }
  std::memcpy(target->Buffer, text.data(), bytes);
  target->Length = static_cast<USHORT>(bytes);
  if (target->MaximumLength >= bytes + sizeof(WCHAR)) target->Buffer[text.size()] = 0;
  objects.dereference(link);
  return STATUS_SUCCESS;
}

namespace {

// The two Io routines differ only in the security descriptor they give the link; the lab has none.
NTSTATUS create_device_link(PUNICODE_STRING link_name, PUNICODE_STRING device_name) {
  KernelModeCall kernel_call;
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, link_name, OBJ_CASE_INSENSITIVE | OBJ_PERMANENT | OBJ_KERNEL_HANDLE, nullptr,
                             nullptr);
  HANDLE handle = nullptr;
  const NTSTATUS status =
      create_symbolic_link_object(&handle, SYMBOLIC_LINK_ALL_ACCESS, &attributes, view_of(device_name), KernelMode);
  if (NT_SUCCESS(status)) ObjectManager::require().close(handle, KernelMode);
  return status;
}

}  // namespace

}  // namespace wdmlab::ob

using wdmlab::ob::KernelModeCall;
using wdmlab::ob::ObjectManager;

extern "C" {

NTSTATUS NTAPI IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "IoCreateSymbolicLink", __builtin_return_address(0), nullptr,
                                   "IrqlIoPassive3");
  return wdmlab::ob::create_device_link(SymbolicLinkName, DeviceName);
}

NTSTATUS NTAPI IoCreateUnprotectedSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "IoCreateUnprotectedSymbolicLink", __builtin_return_address(0),
                                   nullptr, "IrqlIoPassive4");
  return wdmlab::ob::create_device_link(SymbolicLinkName, DeviceName);
}

NTSTATUS NTAPI IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "IoDeleteSymbolicLink", __builtin_return_address(0), nullptr,
                                   "IrqlIoPassive4");
  KernelModeCall kernel_call;
  ObjectManager& objects = ObjectManager::require();
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, SymbolicLinkName, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, nullptr, nullptr);
  void* link = nullptr;
  const NTSTATUS status =
      objects.reference_by_name(&attributes, objects.symbolic_link_type(), DELETE, KernelMode, nullptr, &link);
  if (!NT_SUCCESS(status)) return status;
  objects.make_temporary(link);  // no handles: the name goes now, with its reference
  objects.dereference(link);
  return STATUS_SUCCESS;
}

NTSTATUS NTAPI ZwCreateSymbolicLinkObject(PHANDLE LinkHandle, ACCESS_MASK DesiredAccess,
                                          POBJECT_ATTRIBUTES ObjectAttributes, PUNICODE_STRING LinkTarget) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "ZwCreateSymbolicLinkObject", __builtin_return_address(0), nullptr,
                                   "IrqlZwPassive");
  wdmlab::ob::check_zw_arguments("ZwCreateSymbolicLinkObject", ObjectAttributes, {LinkHandle},
                                 __builtin_return_address(0), LinkTarget);
  KernelModeCall kernel_call;
  if (LinkTarget == nullptr || LinkTarget->Length % sizeof(WCHAR) != 0 ||
      LinkTarget->Length > LinkTarget->MaximumLength) {
    return STATUS_INVALID_PARAMETER;
  }
  return wdmlab::ob::create_symbolic_link_object(LinkHandle, DesiredAccess, ObjectAttributes,
                                                 wdmlab::ob::view_of(LinkTarget), KernelMode);
}

NTSTATUS NTAPI ZwOpenSymbolicLinkObject(PHANDLE LinkHandle, ACCESS_MASK DesiredAccess,
                                        POBJECT_ATTRIBUTES ObjectAttributes) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "ZwOpenSymbolicLinkObject", __builtin_return_address(0), nullptr,
                                   "IrqlZwPassive");
  wdmlab::ob::check_zw_arguments("ZwOpenSymbolicLinkObject", ObjectAttributes, {LinkHandle},
                                 __builtin_return_address(0));
  KernelModeCall kernel_call;
  return wdmlab::ob::open_symbolic_link_object(LinkHandle, DesiredAccess, ObjectAttributes, KernelMode);
}

NTSTATUS NTAPI ZwQuerySymbolicLinkObject(HANDLE LinkHandle, PUNICODE_STRING LinkTarget, PULONG ReturnedLength) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "ZwQuerySymbolicLinkObject", __builtin_return_address(0), nullptr,
                                   "IrqlZwPassive");
  wdmlab::ob::check_zw_arguments("ZwQuerySymbolicLinkObject", nullptr, {LinkTarget, ReturnedLength},
                                 __builtin_return_address(0));
  KernelModeCall kernel_call;
  return wdmlab::ob::query_symbolic_link(LinkHandle, LinkTarget, ReturnedLength, KernelMode);
}

}  // extern "C"
