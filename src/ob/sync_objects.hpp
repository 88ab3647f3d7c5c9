// ob/sync_objects.hpp - the named synchronization objects: events (type "Event", body KEVENT,
// ExEventObjectType), semaphores ("Semaphore", KSEMAPHORE, ExSemaphoreObjectType) and mutants
// ("Mutant", KMUTANT: a mutex owned by a thread, abandoned when its owner ends; it does not
// disable APCs).
//
// These are the native services behind ZwCreateEvent & co. and behind the user-mode layer's
// CreateEventW, CreateSemaphoreW, CreateMutexW, SetEvent, WaitForSingleObject... `mode` is the
// caller's previous mode (by default the running thread's, see previous_mode.hpp): with UserMode a
// handle must grant the access the operation needs, kernel handles are refused, OBJ_KERNEL_HANDLE
// is ignored and OBJ_PERMANENT needs a privilege user mode does not have. Names in OBJECT_ATTRIBUTES
// may be anywhere in the namespace (\BaseNamedObjects\... for Win32's named objects); a named
// object's name lasts until its last handle is closed unless it was created OBJ_PERMANENT.
//
// IRQL: PASSIVE_LEVEL (the DDI shims check it); the waits block the calling thread.
#pragma once

#include <wdm.h>

#include "ob/previous_mode.hpp"

namespace wdmlab::ob {

NTSTATUS create_event(HANDLE* handle, ACCESS_MASK desired, const OBJECT_ATTRIBUTES* attributes, EVENT_TYPE type,
                      bool initial_state, KPROCESSOR_MODE mode = previous_mode());
NTSTATUS open_event(HANDLE* handle, ACCESS_MASK desired, const OBJECT_ATTRIBUTES* attributes,
                    KPROCESSOR_MODE mode = previous_mode());
// EVENT_MODIFY_STATE. `previous_state` (optional) receives the state before the call.
NTSTATUS set_event(HANDLE handle, LONG* previous_state, KPROCESSOR_MODE mode = previous_mode());
NTSTATUS reset_event(HANDLE handle, LONG* previous_state, KPROCESSOR_MODE mode = previous_mode());
NTSTATUS clear_event(HANDLE handle, KPROCESSOR_MODE mode = previous_mode());
NTSTATUS pulse_event(HANDLE handle, LONG* previous_state, KPROCESSOR_MODE mode = previous_mode());

// STATUS_INVALID_PARAMETER unless 0 <= initial_count <= maximum_count and maximum_count > 0.
NTSTATUS create_semaphore(HANDLE* handle, ACCESS_MASK desired, const OBJECT_ATTRIBUTES* attributes, LONG initial_count,
                          LONG maximum_count, KPROCESSOR_MODE mode = previous_mode());
NTSTATUS open_semaphore(HANDLE* handle, ACCESS_MASK desired, const OBJECT_ATTRIBUTES* attributes,
                        KPROCESSOR_MODE mode = previous_mode());
// SEMAPHORE_MODIFY_STATE. STATUS_SEMAPHORE_LIMIT_EXCEEDED (and no change) if the count would pass
// the maximum.
NTSTATUS release_semaphore(HANDLE handle, LONG release_count, LONG* previous_count,
                           KPROCESSOR_MODE mode = previous_mode());

// With `initial_owner` the calling thread owns the new mutant (it must be a lab thread).
NTSTATUS create_mutant(HANDLE* handle, ACCESS_MASK desired, const OBJECT_ATTRIBUTES* attributes, bool initial_owner,
                       KPROCESSOR_MODE mode = previous_mode());
NTSTATUS open_mutant(HANDLE* handle, ACCESS_MASK desired, const OBJECT_ATTRIBUTES* attributes,
                     KPROCESSOR_MODE mode = previous_mode());
// STATUS_MUTANT_NOT_OWNED unless the calling thread owns it. `previous_count` receives the signal
// state before the release (0 or less while owned).
NTSTATUS release_mutant(HANDLE handle, LONG* previous_count, KPROCESSOR_MODE mode = previous_mode());

// ZwWaitForSingleObject/WaitForSingleObject: SYNCHRONIZE access; STATUS_OBJECT_TYPE_MISMATCH for
// an object that cannot be waited on. `timeout` as KeWaitForSingleObject takes it.
NTSTATUS wait_for_single_object(HANDLE handle, bool alertable, LARGE_INTEGER* timeout,
                                KPROCESSOR_MODE mode = previous_mode());

}  // namespace wdmlab::ob
