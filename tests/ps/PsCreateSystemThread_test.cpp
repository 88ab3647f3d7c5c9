// PsCreateSystemThread: returns a handle and a client ID; the new thread runs its start routine
// with its context at PASSIVE_LEVEL, in the System process (process ID 4) or in the process a
// process handle names, where its handles go to that process's table unless OBJ_KERNEL_HANDLE;
// every thread gets its own ID.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "ob/object.hpp"
#include "ps/process.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

struct Seen {
  PVOID context = nullptr;
  KIRQL irql = 0xFF;
  HANDLE process_id = nullptr;
  PEPROCESS process = nullptr;
  HANDLE thread_id = nullptr;
  BOOLEAN system_thread = FALSE;
  bool ran = false;
};

void RecordStart(PVOID context) {
  auto* seen = static_cast<Seen*>(context);
  seen->context = context;
  seen->irql = KeGetCurrentIrql();
  seen->process_id = PsGetCurrentProcessId();
  seen->process = PsGetCurrentProcess();
  seen->thread_id = PsGetCurrentThreadId();
  seen->system_thread = PsIsSystemThread(PsGetCurrentThread());
  seen->ran = true;
}

TEST(PsCreateSystemThread, RunsTheStartRoutineAtPassiveLevelInTheSystemProcess) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    Seen seen;
    NTSTATUS status = -1;
    HANDLE handle = nullptr;
    CLIENT_ID client{};
    lab.spawn("creator", [&] {
      KIRQL old;
      KeRaiseIrql(PASSIVE_LEVEL, &old);
      status = PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, &client, RecordStart, &seen);
      if (NT_SUCCESS(status)) ZwClose(handle);
    });
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
    EXPECT_EQ(status, STATUS_SUCCESS);
    EXPECT_NE(handle, nullptr);
    ASSERT_TRUE(seen.ran);
    EXPECT_EQ(seen.context, &seen);
    EXPECT_EQ(seen.irql, PASSIVE_LEVEL);
    EXPECT_EQ(seen.process_id, reinterpret_cast<HANDLE>(4));
    EXPECT_EQ(seen.process, PsInitialSystemProcess);
    EXPECT_TRUE(seen.system_thread);
    EXPECT_EQ(client.UniqueProcess, reinterpret_cast<HANDLE>(4));
    EXPECT_EQ(client.UniqueThread, seen.thread_id);
    EXPECT_NE(client.UniqueThread, nullptr);
  }
}

TEST(PsCreateSystemThread, AcceptsTheCurrentProcessPseudoHandle) {
  Seen seen;
  NTSTATUS status = -1;
  runs_clean([&] {
    HANDLE handle;
    status = PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, NtCurrentProcess(), nullptr, RecordStart, &seen);
    if (NT_SUCCESS(status)) ZwClose(handle);
  });
  EXPECT_EQ(status, STATUS_SUCCESS);
  EXPECT_TRUE(seen.ran);
  EXPECT_EQ(seen.process_id, reinterpret_cast<HANDLE>(4));
}

TEST(PsCreateSystemThread, EveryThreadGetsItsOwnId) {
  constexpr int kThreads = 12;
  Lab lab({.processors = 4, .seed = 2});
  std::vector<Seen> seen(kThreads);
  std::vector<CLIENT_ID> clients(kThreads);
  HANDLE creator_id = nullptr;
  lab.spawn("creator", [&] {
    creator_id = PsGetCurrentThreadId();
    for (int i = 0; i < kThreads; ++i) {
      HANDLE handle;
      ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, &clients[i], RecordStart, &seen[i]),
                STATUS_SUCCESS);
      ZwClose(handle);
    }
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  std::set<HANDLE> ids{creator_id};
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_TRUE(seen[i].ran);
    EXPECT_EQ(seen[i].thread_id, clients[i].UniqueThread);
    ids.insert(clients[i].UniqueThread);
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kThreads + 1));
  EXPECT_EQ(ids.count(nullptr), 0u);
}

struct InProcess {
  Seen seen;
  HANDLE own_handle = nullptr;
  HANDLE kernel_handle = nullptr;
};

void MakeHandles(PVOID context) {
  auto* run = static_cast<InProcess*>(context);
  RecordStart(&run->seen);
  PsCreateSystemThread(
      &run->own_handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr, [](PVOID) {}, nullptr);
  OBJECT_ATTRIBUTES kernel;
  InitializeObjectAttributes(&kernel, nullptr, OBJ_KERNEL_HANDLE, nullptr, nullptr);
  PsCreateSystemThread(
      &run->kernel_handle, THREAD_ALL_ACCESS, &kernel, nullptr, nullptr, [](PVOID) {}, nullptr);
  ZwClose(run->kernel_handle);
}

TEST(PsCreateSystemThread, WithAProcessHandleRunsTheSystemThreadInThatProcess) {
  Lab lab({.processors = 2, .seed = 4});
  ps::ProcessManager& processes = ps::ProcessManager::require();
  _EPROCESS* process = processes.create_process("app.exe");
  InProcess run;
  NTSTATUS status = -1, terminated_status = -1;
  CLIENT_ID client{};
  lab.spawn("driver", [&] {
    HANDLE process_handle = nullptr, thread = nullptr;
    ObOpenObjectByPointer(process, OBJ_KERNEL_HANDLE, nullptr, PROCESS_ALL_ACCESS, *PsProcessType, KernelMode,
                          &process_handle);
    status = PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, nullptr, process_handle, &client, MakeHandles, &run);
    PVOID object = nullptr;
    ObReferenceObjectByHandle(thread, SYNCHRONIZE, *PsThreadType, KernelMode, &object, nullptr);
    KeWaitForSingleObject(object, Executive, KernelMode, FALSE, nullptr);
    ObDereferenceObject(object);
    ZwClose(thread);
    processes.terminate_process(*process, STATUS_SUCCESS);
    HANDLE late = nullptr;
    terminated_status = PsCreateSystemThread(
        &late, THREAD_ALL_ACCESS, nullptr, process_handle, nullptr, [](PVOID) {}, nullptr);
    ZwClose(process_handle);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(status, STATUS_SUCCESS);
  EXPECT_EQ(client.UniqueProcess, PsGetProcessId(process));
  EXPECT_EQ(run.seen.process, process);
  EXPECT_EQ(run.seen.process_id, PsGetProcessId(process));
  EXPECT_TRUE(run.seen.system_thread);
  EXPECT_EQ(run.seen.irql, PASSIVE_LEVEL);
  EXPECT_FALSE(ob::is_kernel_handle(run.own_handle));    // in the process's table...
  EXPECT_TRUE(ob::is_kernel_handle(run.kernel_handle));  // ...unless OBJ_KERNEL_HANDLE
  EXPECT_EQ(terminated_status, STATUS_PROCESS_IS_TERMINATING);
  ob::ObjectManager::require().dereference(process);
}

}  // namespace
}  // namespace wdmlab::test
