// The object manager's exported routines.
#include <fmt/format.h>

#include "ke/bugcheck.hpp"
#include "ob/object.hpp"
#include "sched/scheduler.hpp"

using wdmlab::ob::ObjectManager;

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

NTSTATUS NTAPI ZwClose(HANDLE Handle) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "ZwClose", __builtin_return_address(0));
  return ObjectManager::require().close(Handle, KernelMode);
}


}  // extern "C"
