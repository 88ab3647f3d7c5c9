// The current thread and process: PsGetCurrentThread() is KeGetCurrentThread() (an ETHREAD
// starts with its KTHREAD), its IDs match PsGetCurrentThreadId/PsGetCurrentProcessId, and system
// threads are system threads.
#include <gtest/gtest.h>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(PsGetCurrentThread, IsKeGetCurrentThread) {
  bool same = false, ids_match = false, process_matches = false;
  BOOLEAN system = FALSE;
  runs_clean([&] {
    PETHREAD thread = PsGetCurrentThread();
    same = reinterpret_cast<PVOID>(thread) == reinterpret_cast<PVOID>(KeGetCurrentThread());
    ids_match =
        PsGetThreadId(thread) == PsGetCurrentThreadId() && PsGetThreadProcessId(thread) == PsGetCurrentProcessId();
    process_matches = PsGetProcessId(PsGetCurrentProcess()) == PsGetCurrentProcessId();
    system = PsIsSystemThread(thread);
  });
  EXPECT_TRUE(same);
  EXPECT_TRUE(ids_match);
  EXPECT_TRUE(process_matches);
  EXPECT_TRUE(system);
}

TEST(PsGetCurrentThread, DiffersBetweenThreadsAndStaysTheSameWithinOne) {
  Lab lab({.processors = 2, .seed = 6});
  PETHREAD first[2] = {}, later[2] = {};
  for (int t = 0; t < 2; ++t) {
    lab.spawn("thread", [&, t] {
      first[t] = PsGetCurrentThread();
      LARGE_INTEGER delay = relative_ms(1);
      KeDelayExecutionThread(KernelMode, FALSE, &delay);  // may come back on another processor
      later[t] = PsGetCurrentThread();
    });
  }
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_NE(first[0], first[1]);
  EXPECT_EQ(first[0], later[0]);
  EXPECT_EQ(first[1], later[1]);
}

TEST(PsIsSystemThread, IsTrueForThreadsADriverCreates) {
  BOOLEAN created_is_system = FALSE;
  runs_clean([&] {
    HANDLE handle;
    PsCreateSystemThread(
        &handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
        [](PVOID result) { *static_cast<BOOLEAN*>(result) = PsIsSystemThread(PsGetCurrentThread()); },
        &created_is_system);
    PVOID thread;
    ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsThreadType, KernelMode, &thread, nullptr);
    ZwClose(handle);
    KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, nullptr);
    ObDereferenceObject(thread);
  });
  EXPECT_TRUE(created_is_system);
}

}  // namespace
}  // namespace wdmlab::test
