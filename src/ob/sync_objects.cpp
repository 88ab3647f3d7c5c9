#include "ob/sync_objects.hpp"

#include <new>

#include "ke/bugcheck.hpp"
#include "ke/dispatcher.hpp"
#include "ke/kernel.hpp"
#include "ke/thread.hpp"
#include "ob/object.hpp"
#include "sched/scheduler.hpp"
#include "wdmlab/errors.hpp"
#include "ob/zw_arguments.hpp"

extern "C" {
POBJECT_TYPE wdmlab_ob_event_type = nullptr;
POBJECT_TYPE wdmlab_ob_semaphore_type = nullptr;
POBJECT_TYPE* ExEventObjectType = &wdmlab_ob_event_type;
POBJECT_TYPE* ExSemaphoreObjectType = &wdmlab_ob_semaphore_type;
}

namespace wdmlab::ob {

namespace {

constexpr GENERIC_MAPPING kEventMapping = {STANDARD_RIGHTS_READ | EVENT_QUERY_STATE,
                                           STANDARD_RIGHTS_WRITE | EVENT_MODIFY_STATE,
                                           STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE, EVENT_ALL_ACCESS};
constexpr GENERIC_MAPPING kSemaphoreMapping = {STANDARD_RIGHTS_READ | SEMAPHORE_QUERY_STATE,
                                               STANDARD_RIGHTS_WRITE | SEMAPHORE_MODIFY_STATE,
                                               STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE, SEMAPHORE_ALL_ACCESS};
constexpr GENERIC_MAPPING kMutantMapping = {STANDARD_RIGHTS_READ | MUTANT_QUERY_STATE, STANDARD_RIGHTS_WRITE,
                                            STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE, MUTANT_ALL_ACCESS};

void delete_mutant(void* body) {
  auto* mutant = static_cast<KMUTANT*>(body);
  if (mutant->OwnerThread != nullptr) RemoveEntryList(&mutant->MutantListEntry);  // still owned: unlink it
}

void initialize_header(DISPATCHER_HEADER& header, UCHAR type, std::size_t size, LONG state) {
  header.Type = type;
  header.Size = static_cast<UCHAR>(size / sizeof(LONG));
  header.SignalState = state;
  InitializeListHead(&header.WaitListHead);
}

template <class Body>
NTSTATUS reference_body(HANDLE handle, ACCESS_MASK access, _OBJECT_TYPE* type, KPROCESSOR_MODE mode, Body** body) {
  void* object = nullptr;
  const NTSTATUS status = ObjectManager::require().reference_by_handle(handle, access, type, mode, &object, nullptr);
  *body = static_cast<Body*>(object);
  return status;
}

NTSTATUS open_typed(HANDLE* handle, ACCESS_MASK desired, const OBJECT_ATTRIBUTES* attributes, _OBJECT_TYPE* type,
                    KPROCESSOR_MODE mode) {
  return ObjectManager::require().open_by_name(attributes, type, desired, mode, nullptr, handle);
}

}  // namespace

void ObjectManager::create_synchronization_types() {
  event_type_ = create_type("Event", nullptr, kEventMapping, EVENT_ALL_ACCESS);
  event_type_->wait_object_offset = 0;
  semaphore_type_ = create_type("Semaphore", nullptr, kSemaphoreMapping, SEMAPHORE_ALL_ACCESS);
  semaphore_type_->wait_object_offset = 0;
  mutant_type_ = create_type("Mutant", &delete_mutant, kMutantMapping, MUTANT_ALL_ACCESS);
  mutant_type_->wait_object_offset = 0;
  wdmlab_ob_event_type = event_type_;
  wdmlab_ob_semaphore_type = semaphore_type_;
}

// --- events --------------------------------------------------------------------------------------

NTSTATUS create_event(HANDLE* handle, ACCESS_MASK desired, const OBJECT_ATTRIBUTES* attributes, EVENT_TYPE type,
                      bool initial_state, KPROCESSOR_MODE mode) {
  *handle = nullptr;
  if (type != NotificationEvent && type != SynchronizationEvent) return STATUS_INVALID_PARAMETER_4;
  ObjectManager& objects = ObjectManager::require();
  auto* event = static_cast<KEVENT*>(objects.create_object(objects.event_type(), sizeof(KEVENT)));
  initialize_header(event->Header, type == NotificationEvent ? EventNotificationObject : EventSynchronizationObject,
                    sizeof(KEVENT), initial_state ? 1 : 0);
  return objects.insert_object(event, attributes, desired, mode, handle);
}

NTSTATUS open_event(HANDLE* handle, ACCESS_MASK desired, const OBJECT_ATTRIBUTES* attributes, KPROCESSOR_MODE mode) {
  return open_typed(handle, desired, attributes, ObjectManager::require().event_type(), mode);
}

NTSTATUS set_event(HANDLE handle, LONG* previous_state, KPROCESSOR_MODE mode) {
  KEVENT* event = nullptr;
  const NTSTATUS status =
      reference_body(handle, EVENT_MODIFY_STATE, ObjectManager::require().event_type(), mode, &event);
  if (!NT_SUCCESS(status)) return status;
  const LONG previous = event->Header.SignalState;
  event->Header.SignalState = 1;
  ke::signal_waiters(&event->Header);
  if (previous_state != nullptr) *previous_state = previous;
  ObjectManager::require().dereference(event);
  return STATUS_SUCCESS;
}

NTSTATUS reset_event(HANDLE handle, LONG* previous_state, KPROCESSOR_MODE mode) {
  KEVENT* event = nullptr;
  const NTSTATUS status =
      reference_body(handle, EVENT_MODIFY_STATE, ObjectManager::require().event_type(), mode, &event);
  if (!NT_SUCCESS(status)) return status;
  if (previous_state != nullptr) *previous_state = event->Header.SignalState;
  event->Header.SignalState = 0;
  ObjectManager::require().dereference(event);
  return STATUS_SUCCESS;
}

NTSTATUS clear_event(HANDLE handle, KPROCESSOR_MODE mode) { return reset_event(handle, nullptr, mode); }

NTSTATUS pulse_event(HANDLE handle, LONG* previous_state, KPROCESSOR_MODE mode) {
  KEVENT* event = nullptr;
  const NTSTATUS status =
      reference_body(handle, EVENT_MODIFY_STATE, ObjectManager::require().event_type(), mode, &event);
  if (!NT_SUCCESS(status)) return status;
  if (previous_state != nullptr) *previous_state = event->Header.SignalState;
  event->Header.SignalState = 1;
  ke::signal_waiters(&event->Header);
  event->Header.SignalState = 0;
  ObjectManager::require().dereference(event);
  return STATUS_SUCCESS;
}

// --- semaphores -----------------------------------------------------------------------------------

NTSTATUS create_semaphore(HANDLE* handle, ACCESS_MASK desired, const OBJECT_ATTRIBUTES* attributes, LONG initial_count,
                          LONG maximum_count, KPROCESSOR_MODE mode) {
  *handle = nullptr;
  if (maximum_count <= 0 || initial_count < 0 || initial_count > maximum_count) return STATUS_INVALID_PARAMETER;
  ObjectManager& objects = ObjectManager::require();
  auto* semaphore = static_cast<KSEMAPHORE*>(objects.create_object(objects.semaphore_type(), sizeof(KSEMAPHORE)));
  initialize_header(semaphore->Header, SemaphoreObject, sizeof(KSEMAPHORE), initial_count);
  semaphore->Limit = maximum_count;
  return objects.insert_object(semaphore, attributes, desired, mode, handle);
}

NTSTATUS open_semaphore(HANDLE* handle, ACCESS_MASK desired, const OBJECT_ATTRIBUTES* attributes,
                        KPROCESSOR_MODE mode) {
  return open_typed(handle, desired, attributes, ObjectManager::require().semaphore_type(), mode);
}

NTSTATUS release_semaphore(HANDLE handle, LONG release_count, LONG* previous_count, KPROCESSOR_MODE mode) {
  if (release_count <= 0) return STATUS_INVALID_PARAMETER;
  KSEMAPHORE* semaphore = nullptr;
  NTSTATUS status =
      reference_body(handle, SEMAPHORE_MODIFY_STATE, ObjectManager::require().semaphore_type(), mode, &semaphore);
  if (!NT_SUCCESS(status)) return status;
  const LONG previous = semaphore->Header.SignalState;
  if (static_cast<long long>(previous) + release_count > semaphore->Limit) {
    status = STATUS_SEMAPHORE_LIMIT_EXCEEDED;
  } else {
    semaphore->Header.SignalState = previous + release_count;
    ke::signal_waiters(&semaphore->Header);
    if (previous_count != nullptr) *previous_count = previous;
  }
  ObjectManager::require().dereference(semaphore);
  return status;
}

// --- mutants -----------------------------------------------------------------------------------------

NTSTATUS create_mutant(HANDLE* handle, ACCESS_MASK desired, const OBJECT_ATTRIBUTES* attributes, bool initial_owner,
                       KPROCESSOR_MODE mode) {
  *handle = nullptr;
  _KTHREAD* owner = nullptr;
  if (initial_owner) {
    ke::Kernel* kernel = ke::Kernel::current();
    owner = kernel != nullptr ? kernel->current_thread() : nullptr;
    if (owner == nullptr || owner->context == nullptr) {
      throw UsageError("a mutant can only be created owned by a lab thread; create it from a thread the lab runs");
    }
  }
  ObjectManager& objects = ObjectManager::require();
  auto* mutant = static_cast<KMUTANT*>(objects.create_object(objects.mutant_type(), sizeof(KMUTANT)));
  initialize_header(mutant->Header, MutantObject, sizeof(KMUTANT), owner != nullptr ? 0 : 1);
  mutant->ApcDisable = 0;
  if (owner != nullptr) {
    mutant->OwnerThread = owner;
    InsertHeadList(&owner->MutantListHead, &mutant->MutantListEntry);
  }
  return objects.insert_object(mutant, attributes, desired, mode, handle);
}

NTSTATUS open_mutant(HANDLE* handle, ACCESS_MASK desired, const OBJECT_ATTRIBUTES* attributes, KPROCESSOR_MODE mode) {
  return open_typed(handle, desired, attributes, ObjectManager::require().mutant_type(), mode);
}

NTSTATUS release_mutant(HANDLE handle, LONG* previous_count, KPROCESSOR_MODE mode) {
  KMUTANT* mutant = nullptr;
  // Releasing needs no particular access: ownership is what counts.
  NTSTATUS status = reference_body(handle, 0, ObjectManager::require().mutant_type(), mode, &mutant);
  if (!NT_SUCCESS(status)) return status;
  ke::Kernel* kernel = ke::Kernel::current();
  _KTHREAD* thread = kernel != nullptr ? kernel->current_thread() : nullptr;
  if (thread == nullptr || mutant->OwnerThread != thread) {
    status = mutant->Abandoned != 0 ? STATUS_ABANDONED : STATUS_MUTANT_NOT_OWNED;
  } else {
    if (previous_count != nullptr) *previous_count = mutant->Header.SignalState;
    if (++mutant->Header.SignalState == 1) {
      mutant->OwnerThread = nullptr;
      RemoveEntryList(&mutant->MutantListEntry);
      thread->KernelApcDisable = static_cast<SHORT>(thread->KernelApcDisable + mutant->ApcDisable);
      ke::signal_waiters(&mutant->Header);
    }
  }
  ObjectManager::require().dereference(mutant);
  return status;
}

// --- waits ---------------------------------------------------------------------------------------------

NTSTATUS wait_for_single_object(HANDLE handle, bool alertable, LARGE_INTEGER* timeout, KPROCESSOR_MODE mode) {
  ObjectManager& objects = ObjectManager::require();
  void* object = nullptr;
  NTSTATUS status = objects.reference_by_handle(handle, SYNCHRONIZE, nullptr, mode, &object, nullptr);
  if (!NT_SUCCESS(status)) return status;
  const std::ptrdiff_t offset = header_of(object)->type->wait_object_offset;
  if (offset < 0) {
    objects.dereference(object);
    return STATUS_OBJECT_TYPE_MISMATCH;
  }
  PVOID objects_to_wait[1] = {static_cast<char*>(object) + offset};
  status = ke::wait_for_objects(1, objects_to_wait, WaitAny, mode, alertable ? TRUE : FALSE, timeout, nullptr,
                                __builtin_return_address(0));
  objects.dereference(object);
  return status;
}

}  // namespace wdmlab::ob

// --- exported routines -----------------------------------------------------------------------------------

using wdmlab::ob::KernelModeCall;

extern "C" {

NTSTATUS NTAPI ZwCreateEvent(PHANDLE EventHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                             EVENT_TYPE EventType, BOOLEAN InitialState) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "ZwCreateEvent", __builtin_return_address(0), nullptr,
                                   "IrqlZwPassive");
  wdmlab::ob::check_zw_arguments("ZwCreateEvent", ObjectAttributes, {EventHandle}, __builtin_return_address(0));
  KernelModeCall kernel_call;
  return wdmlab::ob::create_event(EventHandle, DesiredAccess, ObjectAttributes, EventType, InitialState != FALSE,
                                  KernelMode);
}

NTSTATUS NTAPI ZwOpenEvent(PHANDLE EventHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "ZwOpenEvent", __builtin_return_address(0), nullptr, "IrqlZwPassive");
  wdmlab::ob::check_zw_arguments("ZwOpenEvent", ObjectAttributes, {EventHandle}, __builtin_return_address(0));
  KernelModeCall kernel_call;
  return wdmlab::ob::open_event(EventHandle, DesiredAccess, ObjectAttributes, KernelMode);
}

NTSTATUS NTAPI ZwSetEvent(HANDLE EventHandle, PLONG PreviousState) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "ZwSetEvent", __builtin_return_address(0), nullptr, "IrqlZwPassive");
  wdmlab::ob::check_zw_arguments("ZwSetEvent", nullptr, {PreviousState}, __builtin_return_address(0));
  KernelModeCall kernel_call;
  return wdmlab::ob::set_event(EventHandle, PreviousState, KernelMode);
}

NTSTATUS NTAPI ZwResetEvent(HANDLE EventHandle, PLONG PreviousState) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "ZwResetEvent", __builtin_return_address(0), nullptr,
                                   "IrqlZwPassive");
  wdmlab::ob::check_zw_arguments("ZwResetEvent", nullptr, {PreviousState}, __builtin_return_address(0));
  KernelModeCall kernel_call;
  return wdmlab::ob::reset_event(EventHandle, PreviousState, KernelMode);
}

NTSTATUS NTAPI ZwClearEvent(HANDLE EventHandle) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "ZwClearEvent", __builtin_return_address(0), nullptr,
                                   "IrqlZwPassive");
  KernelModeCall kernel_call;
  return wdmlab::ob::clear_event(EventHandle, KernelMode);
}

NTSTATUS NTAPI ZwWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable, PLARGE_INTEGER Timeout) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "ZwWaitForSingleObject", __builtin_return_address(0), nullptr,
                                   "IrqlZwPassive");
  wdmlab::ob::check_zw_arguments("ZwWaitForSingleObject", nullptr, {Timeout}, __builtin_return_address(0));
  KernelModeCall kernel_call;
  return wdmlab::ob::wait_for_single_object(Handle, Alertable != FALSE, Timeout, KernelMode);
}

}  // extern "C"
