// User processes and their threads (ProcessManager::create_process, create_user_thread,
// terminate_process, map_user): IDs are unique multiples of 4 shared by processes and threads; a
// user thread is not a system thread and PsGetCurrentProcess, PsGetCurrentProcessId and
// IoGetCurrentProcess name its process; each process has its own part of the user-mode address
// range; ending a process closes every handle in its table (the objects lose those references,
// each type's close procedure sees the close) and signals the process object.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "base/address_space.hpp"
#include "ob/object.hpp"
#include "ob/sync_objects.hpp"
#include "ps/process.hpp"
#include "ps/system_service.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

ps::ProcessManager& processes() { return ps::ProcessManager::require(); }

void start(_EPROCESS* process, std::string name, std::function<void()> body) {
  ob::ObjectManager::require().dereference(
      processes().create_user_thread(*process, std::move(name), std::move(body), true));
}

struct Seen {
  PEPROCESS process = nullptr;
  PEPROCESS io_process = nullptr;
  HANDLE process_id = nullptr;
  HANDLE thread_id = nullptr;
  HANDLE thread_process_id = nullptr;
  BOOLEAN system_thread = TRUE;
  KPROCESSOR_MODE previous_mode = UserMode;
};

Seen look_around() {
  Seen seen;
  seen.process = PsGetCurrentProcess();
  seen.io_process = IoGetCurrentProcess();
  seen.process_id = PsGetCurrentProcessId();
  seen.thread_id = PsGetCurrentThreadId();
  seen.thread_process_id = PsGetThreadProcessId(PsGetCurrentThread());
  seen.system_thread = PsIsSystemThread(PsGetCurrentThread());
  seen.previous_mode = ExGetPreviousMode();
  return seen;
}

TEST(UserProcess, UserThreadsRunInTheirProcessAndAreNotSystemThreads) {
  Lab lab({.processors = 2, .seed = 3});
  _EPROCESS* first = processes().create_process("first.exe");
  _EPROCESS* second = processes().create_process("second.exe");
  Seen a, b, c;
  start(first, "first main", [&] { a = look_around(); });
  start(first, "first worker", [&] { b = look_around(); });
  start(second, "second main", [&] { c = look_around(); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(a.process, first);
  EXPECT_EQ(a.io_process, first);
  EXPECT_EQ(b.process, first);
  EXPECT_EQ(c.process, second);
  EXPECT_EQ(a.process_id, PsGetProcessId(first));
  EXPECT_EQ(a.thread_process_id, a.process_id);
  EXPECT_EQ(c.process_id, PsGetProcessId(second));
  EXPECT_FALSE(a.system_thread);
  EXPECT_FALSE(c.system_thread);
  EXPECT_EQ(a.previous_mode, KernelMode);  // not inside a system service
  std::set<HANDLE> ids{PsGetProcessId(first), PsGetProcessId(second),
                       a.thread_id,           b.thread_id,
                       c.thread_id,           PsGetProcessId(PsInitialSystemProcess)};
  EXPECT_EQ(ids.size(), 6u);
  for (HANDLE id : ids) EXPECT_EQ(reinterpret_cast<ULONG_PTR>(id) % 4, 0u) << id;
  EXPECT_EQ(ids.count(nullptr), 0u);
  EXPECT_EQ(first->image_name, "first.exe");
  ob::ObjectManager::require().dereference(first);
  ob::ObjectManager::require().dereference(second);
}

TEST(UserProcess, EachProcessHasItsOwnPartOfTheUserModeAddressRange) {
  Lab lab({.processors = 1, .seed = 1});
  _EPROCESS* first = processes().create_process("first.exe", 1 << 20);
  _EPROCESS* second = processes().create_process("second.exe", 1 << 20);
  auto* in_first = static_cast<unsigned char*>(processes().map_user(*first, 100));
  auto* in_second = static_cast<unsigned char*>(processes().map_user(*second, 100));
  const auto at = [](const void* p) { return reinterpret_cast<std::uintptr_t>(p); };
  EXPECT_TRUE(first->user_range.contains(at(in_first)));
  EXPECT_FALSE(first->user_range.contains(at(in_second)));
  EXPECT_TRUE(second->user_range.contains(at(in_second)));
  EXPECT_TRUE(first->user_range.limit <= second->user_range.base || second->user_range.limit <= first->user_range.base);
  base::AddressSpace* space = base::AddressSpace::current();
  EXPECT_TRUE(space->is_user(at(in_first)));
  EXPECT_TRUE(space->is_user_range(at(in_second), 100));
  in_first[99] = 0x5A;         // mapped, writable
  EXPECT_EQ(in_second[0], 0);  // zeroed
  EXPECT_THROW(processes().map_user(*first, 2 << 20), UsageError);
  ob::ObjectManager::require().dereference(first);
  ob::ObjectManager::require().dereference(second);
}

// A made-up type whose close procedure records each close.
struct Close {
  void* process;
  std::int64_t remaining;
};
std::vector<Close> g_closes;
void record_close(void*, void* process, ACCESS_MASK, std::int64_t remaining) {
  g_closes.push_back({process, remaining});
}

TEST(UserProcess, TerminatingAProcessClosesEveryHandleInItsTableAndSignalsIt) {
  Lab lab({.processors = 2, .seed = 5});
  ob::ObjectManager& objects = ob::ObjectManager::require();
  _OBJECT_TYPE* type = objects.create_type("Recorder", nullptr, {}, 0x1F0001);
  type->close_procedure = &record_close;
  g_closes.clear();
  void* recorder = objects.create_object(type, 8);  // our own reference keeps it alive throughout
  _EPROCESS* process = processes().create_process("app.exe");
  // A thread that outlives "main" (a process ends with its last thread) and waits in user mode
  // until the process is terminated.
  KEVENT never;
  KeInitializeEvent(&never, NotificationEvent, FALSE);
  ob::ObjectManager::require().dereference(processes().create_user_thread(
      *process, "waiter",
      [&] {
        ps::SystemServiceScope scope(&never, "test service");
        KeWaitForSingleObject(&never, UserRequest, UserMode, FALSE, nullptr);
      },
      false));
  PVOID event = nullptr;
  std::int64_t event_pointers_before = -1;
  start(process, "main", [&] {
    ps::SystemServiceScope scope(&g_closes, "test service");
    HANDLE first = nullptr, second = nullptr, event_handle = nullptr;
    objects.open_object(recorder, 0, 0x1, nullptr, UserMode, &first);
    objects.open_object(recorder, 0, 0x1, nullptr, UserMode, &second);
    ob::create_event(&event_handle, EVENT_ALL_ACCESS, nullptr, NotificationEvent, false);
    ObReferenceObjectByHandle(event_handle, 0, nullptr, UserMode, &event, nullptr);
    event_pointers_before = ob::header_of(event)->pointer_count;
  });
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(process->handles->size(), 3u);
  EXPECT_EQ(ob::header_of(recorder)->handle_count, 2);

  NTSTATUS terminated = -1, again = -1, waited = -1;
  LONG signaled_before = -1;
  lab.spawn("terminator", [&] {
    signaled_before = process->Pcb.Header.SignalState;
    terminated = processes().terminate_process(*process, STATUS_UNSUCCESSFUL);
    again = processes().terminate_process(*process, STATUS_SUCCESS);
  });
  lab.spawn("waiter", [&] { waited = KeWaitForSingleObject(process, Executive, KernelMode, FALSE, nullptr); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(signaled_before, 0);
  EXPECT_EQ(terminated, STATUS_SUCCESS);
  EXPECT_EQ(again, STATUS_PROCESS_IS_TERMINATING);
  EXPECT_EQ(waited, STATUS_SUCCESS);
  EXPECT_TRUE(process->terminated);
  EXPECT_EQ(process->ExitStatus, STATUS_UNSUCCESSFUL);
  EXPECT_EQ(process->handles->size(), 0u);
  EXPECT_EQ(ob::header_of(recorder)->handle_count, 0);
  EXPECT_EQ(ob::header_of(recorder)->pointer_count, 1);                       // only ours is left
  EXPECT_EQ(ob::header_of(event)->pointer_count, event_pointers_before - 1);  // the handle's reference is gone
  ASSERT_EQ(g_closes.size(), 2u);
  EXPECT_EQ(g_closes[0].process, process);
  EXPECT_EQ(g_closes[0].remaining, 1);
  EXPECT_EQ(g_closes[1].remaining, 0);
  EXPECT_THROW(processes().create_user_thread(
                   *process, "late", [] {}, true),
               UsageError);
  ObDereferenceObject(event);
  objects.dereference(recorder);
  objects.dereference(process);
}

TEST(UserProcess, TheSystemProcessHasNoUserThreadsAndCannotBeTerminated) {
  Lab lab({.processors = 1, .seed = 1});
  _EPROCESS* system = processes().system_process();
  EXPECT_THROW(processes().create_user_thread(
                   *system, "user", [] {}, true),
               UsageError);
  EXPECT_THROW(processes().terminate_process(*system, STATUS_SUCCESS), UsageError);
}

}  // namespace
}  // namespace wdmlab::test
