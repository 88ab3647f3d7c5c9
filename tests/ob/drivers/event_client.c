/*
 * event_client - the classic pattern of a driver that signals an application's event: the
 * application creates an event and passes its handle in an IOCTL; the driver, running in the
 * application's thread, references the event by handle with UserMode access checks, and later a
 * system thread of the driver sets it through the object pointer. (The test calls the routines the
 * dispatch routine and the worker would call.)
 */
#include <ntddk.h>

static PKEVENT g_client_event;

KPROCESSOR_MODE event_client_mode_seen;

NTSTATUS EventClientRegister(HANDLE UserEvent) {
  PKEVENT event = NULL;
  NTSTATUS status;
  PAGED_CODE();
  event_client_mode_seen = ExGetPreviousMode();
  status = ObReferenceObjectByHandle(UserEvent, EVENT_MODIFY_STATE, *ExEventObjectType, event_client_mode_seen,
                                     (PVOID *)&event, NULL);
  if (!NT_SUCCESS(status)) return status;
  g_client_event = event;
  return STATUS_SUCCESS;
}

BOOLEAN EventClientRegistered(VOID) { return g_client_event != NULL; }

VOID EventClientSignal(VOID) { KeSetEvent(g_client_event, IO_NO_INCREMENT, FALSE); }

VOID EventClientRelease(VOID) {
  ObDereferenceObject(g_client_event);
  g_client_event = NULL;
}
