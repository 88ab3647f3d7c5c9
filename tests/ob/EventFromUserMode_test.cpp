// The classic driver pattern with the event_client driver: an application creates an event and
// hands its handle to the driver (as in an IOCTL); the driver, in the application's thread,
// references it with ObReferenceObjectByHandle(..., EVENT_MODIFY_STATE, *ExEventObjectType,
// UserMode, ...); a system thread later sets it through the pointer and the application's wait on
// its handle returns. Handles without EVENT_MODIFY_STATE, kernel handles and handles to other
// object types are refused.
#include <gtest/gtest.h>

#include "ob/sync_objects.hpp"
#include "object_names.hpp"
#include "support/lab_test.hpp"
#include "user_threads.hpp"

extern "C" {
NTSTATUS EventClientRegister(HANDLE UserEvent);
BOOLEAN EventClientRegistered(VOID);
VOID EventClientSignal(VOID);
VOID EventClientRelease(VOID);
extern KPROCESSOR_MODE event_client_mode_seen;
}

namespace wdmlab::test {
namespace {

TEST(EventFromUserMode, TheDriverSetsTheApplicationsEventThroughTheObject) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    _EPROCESS* process = processes().create_process("app.exe");
    const std::uint64_t live_events = (*ExEventObjectType)->live_objects;
    NTSTATUS registered = -1, waited = -1;
    std::int64_t pointers_while_registered = -1;
    std::uint64_t live_after_release = 0;
    start_user_thread(process, "app", [&] {
      HANDLE event = nullptr;
      in_service([&] {
        ob::create_event(&event, SYNCHRONIZE | EVENT_MODIFY_STATE, nullptr, NotificationEvent, false);
        registered = EventClientRegister(event);  // the driver's IOCTL handling, in this thread
      });
      waited = in_service([&] { return ob::wait_for_single_object(event, false, nullptr); });
      in_service([&] {
        PVOID object = nullptr;
        ObReferenceObjectByHandle(event, 0, nullptr, UserMode, &object, nullptr);
        pointers_while_registered = pointer_count(object) - 1;  // without this reference
        ObDereferenceObject(object);
        ob::ObjectManager::require().close(event, UserMode);
      });
    });
    lab.spawn("driver worker", [&] {
      while (!EventClientRegistered()) {
        LARGE_INTEGER tick = relative_ticks(10);
        KeDelayExecutionThread(KernelMode, FALSE, &tick);
      }
      LARGE_INTEGER later = relative_ms(1);
      KeDelayExecutionThread(KernelMode, FALSE, &later);
      EventClientSignal();
      while (process->handles->size() != 0) {  // until the application closed its handle
        LARGE_INTEGER tick = relative_ticks(10);
        KeDelayExecutionThread(KernelMode, FALSE, &tick);
      }
      EventClientRelease();  // the last reference: the event goes
      live_after_release = (*ExEventObjectType)->live_objects;
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle) << "seed " << seed;
    for (const Finding& finding : lab.findings()) ADD_FAILURE() << finding.summary();
    EXPECT_EQ(registered, STATUS_SUCCESS);
    EXPECT_EQ(event_client_mode_seen, UserMode);
    EXPECT_EQ(waited, STATUS_SUCCESS);
    EXPECT_EQ(pointers_while_registered, 2);  // the handle's and the driver's
    EXPECT_EQ(live_after_release, live_events);
    ob::ObjectManager::require().dereference(process);
  }
}

TEST(EventFromUserMode, TheDriverRefusesHandlesUserModeCouldNotUseThatWay) {
  Lab lab({.processors = 1, .seed = 1});
  _EPROCESS* process = processes().create_process("app.exe");
  NTSTATUS no_modify = -1, kernel_handle = -1, not_an_event = -1;
  start_user_thread(process, "app", [&] {
    in_service([&] {
      HANDLE sync_only = nullptr;
      ob::create_event(&sync_only, SYNCHRONIZE, nullptr, NotificationEvent, false);
      no_modify = EventClientRegister(sync_only);
      ObjectName kernel_attributes(u"", OBJ_KERNEL_HANDLE);
      HANDLE kernel = nullptr;
      ZwCreateEvent(&kernel, EVENT_ALL_ACCESS, kernel_attributes.get(), NotificationEvent, FALSE);
      kernel_handle = EventClientRegister(kernel);
      ZwClose(kernel);
      HANDLE semaphore = nullptr;
      ob::create_semaphore(&semaphore, SEMAPHORE_ALL_ACCESS, nullptr, 0, 1);
      not_an_event = EventClientRegister(semaphore);
    });
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(no_modify, STATUS_ACCESS_DENIED);
  EXPECT_EQ(kernel_handle, STATUS_INVALID_HANDLE);
  EXPECT_EQ(not_an_event, STATUS_OBJECT_TYPE_MISMATCH);
  EXPECT_FALSE(EventClientRegistered());
  ob::ObjectManager::require().dereference(process);
}

}  // namespace
}  // namespace wdmlab::test
