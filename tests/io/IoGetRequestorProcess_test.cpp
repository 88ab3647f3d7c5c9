// The process behind a request and the current one: IoGetRequestorProcess(Id), IoIs32bitProcess,
// IoGetCurrentProcess, PsGetCurrentProcessId and PsGetCurrentThreadId, for a request from a
// simulated application that completes in a worker thread, and for a driver's own IRP.
#include <gtest/gtest.h>

#include "io/io_stack_support.hpp"
#include "wdmlab/win32.hpp"

namespace wdmlab::test {
namespace {

const HANDLE kSystemProcessId = reinterpret_cast<HANDLE>(4);

TEST(IoGetRequestorProcess, IsTheIssuingApplicationEvenWhereTheRequestCompletesInAWorker) {
  StackLab t;
  UserProcess& app = t.lab.create_process("app.exe");
  IoStackLevels[0].Action = IoStackPendWorkItem;
  BOOL ok = FALSE;
  DWORD bytes = 99;
  app.run("main", [&] {
    HANDLE device = win32::CreateFileW(u"\\\\.\\IoStack", GENERIC_READ, 0, nullptr, OPEN_EXISTING, 0, nullptr);
    ok = win32::DeviceIoControl(device, IOCTL_IOSTACK_PING, nullptr, 0, nullptr, 0, &bytes, nullptr);
    win32::CloseHandle(device);
  });
  EXPECT_EQ(t.lab.run_until_idle(), RunStatus::Idle);
  t.expect_clean();
  EXPECT_TRUE(ok);
  const IOSTACK_REQUESTOR& dispatch = IoStackRequestor[0];
  const IOSTACK_REQUESTOR& completion = IoStackRequestor[1];
  ASSERT_TRUE(dispatch.Recorded);
  ASSERT_TRUE(completion.Recorded);
  // In the dispatch routine the caller's thread is running: requestor and current process agree.
  EXPECT_EQ(dispatch.RequestorProcessId, app.id());
  EXPECT_EQ(dispatch.CurrentProcessId, reinterpret_cast<HANDLE>(static_cast<ULONG_PTR>(app.id())));
  EXPECT_EQ(dispatch.RequestorProcess, dispatch.CurrentProcess);
  EXPECT_FALSE(dispatch.Is32bit);
  // In the work item the System process is current, but the requestor is still the application.
  EXPECT_EQ(completion.RequestorProcessId, app.id());
  EXPECT_EQ(completion.RequestorProcess, dispatch.RequestorProcess);
  EXPECT_EQ(completion.CurrentProcessId, kSystemProcessId);
  EXPECT_EQ(completion.CurrentProcess, PsInitialSystemProcess);
  EXPECT_FALSE(completion.Is32bit);
}

TEST(IoGetRequestorProcess, IsNullForAnIrpNoThreadIssued) {
  StackLab t;
  t.send_to_top();
  const IOSTACK_REQUESTOR& dispatch = IoStackRequestor[0];
  ASSERT_TRUE(dispatch.Recorded);
  EXPECT_EQ(dispatch.RequestorProcess, nullptr);
  EXPECT_EQ(dispatch.RequestorProcessId, 0u);
  EXPECT_EQ(dispatch.CurrentProcessId, kSystemProcessId);
  EXPECT_FALSE(dispatch.Is32bit);
}

TEST(PsGetCurrentThreadId, DiffersBetweenSystemThreadsOfTheSystemProcess) {
  Lab lab({.processors = 2, .seed = 3});
  struct Seen {
    HANDLE thread = nullptr;
    HANDLE process = nullptr;
    PEPROCESS io_process = nullptr;
    PEPROCESS ps_process = nullptr;
  } seen[2];
  PEPROCESS system = nullptr;
  for (Seen& each : seen) {
    lab.spawn("thread", [&each, &system] {
      each = {PsGetCurrentThreadId(), PsGetCurrentProcessId(), IoGetCurrentProcess(), PsGetCurrentProcess()};
      system = PsInitialSystemProcess;
    });
  }
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_NE(seen[0].thread, nullptr);
  EXPECT_NE(seen[0].thread, seen[1].thread);
  for (const Seen& each : seen) {
    EXPECT_EQ(each.process, kSystemProcessId);
    EXPECT_EQ(each.io_process, system);
    EXPECT_EQ(each.ps_process, system);
  }
}

}  // namespace
}  // namespace wdmlab::test
