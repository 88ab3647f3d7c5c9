// PsCreateSystemThread: returns a handle and a client ID; the new thread runs its start routine
// with its context at PASSIVE_LEVEL, in the System process (process ID 4); every thread gets its
// own ID.
#include <gtest/gtest.h>

#include <set>
#include <vector>

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

}  // namespace
}  // namespace wdmlab::test
