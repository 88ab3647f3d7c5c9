// The process and thread manager's exported routines.
#include <fmt/format.h>

#include "base/driver_identity.hpp"
#include "base/stack.hpp"
#include "ke/bugcheck.hpp"
#include "ke/kernel.hpp"
#include "ob/previous_mode.hpp"
#include "ps/process.hpp"
#include "sched/scheduler.hpp"

using wdmlab::ps::ProcessManager;

namespace {

// "sample!WorkerThread": the driver and the start routine, for logs and reports.
std::string thread_name(const wdmlab::base::DriverIdentity* driver, PKSTART_ROUTINE routine) {
  const auto address = reinterpret_cast<std::uintptr_t>(routine);
  const wdmlab::StackFrame frame = wdmlab::base::symbolizer().symbolize_one(address, true);
  const std::string function = frame.function.empty() ? fmt::format("{:#x}", address) : frame.function;
  return driver != nullptr ? fmt::format("{}!{}", driver->name, function) : function;
}

}  // namespace

extern "C" {

NTSTATUS NTAPI PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                                    HANDLE ProcessHandle, PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine,
                                    PVOID StartContext) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "PsCreateSystemThread", __builtin_return_address(0), nullptr, "IrqlPsPassive");
  ProcessManager& processes = ProcessManager::require();
  _EPROCESS* process = processes.system_process();
  PVOID referenced = nullptr;
  if (ProcessHandle == NtCurrentProcess()) {
    process = processes.current_process();
  } else if (ProcessHandle != nullptr) {
    NTSTATUS status = ObReferenceObjectByHandle(ProcessHandle, PROCESS_CREATE_THREAD, *PsProcessType, KernelMode,
                                                &referenced, nullptr);
    if (!NT_SUCCESS(status)) return status;
    process = static_cast<_EPROCESS*>(referenced);
  }
  if (process->terminated) {
    if (referenced != nullptr) ObfDereferenceObject(referenced);
    return STATUS_PROCESS_IS_TERMINATING;
  }
  const ULONG attributes = ObjectAttributes != nullptr ? ObjectAttributes->Attributes : 0;
  const wdmlab::base::DriverIdentity* driver = wdmlab::sched::calling_driver();
  _ETHREAD* thread = processes.create_system_thread(thread_name(driver, StartRoutine),
      [StartRoutine, StartContext] { StartRoutine(StartContext); }, driver, false, process);
  if (referenced != nullptr) ObfDereferenceObject(referenced);  // the thread holds its own
  *ThreadHandle = wdmlab::ob::ObjectManager::require().create_handle(
      thread, wdmlab::ob::map_generic(DesiredAccess, processes.thread_type()->mapping), attributes);
  wdmlab::ob::ObjectManager::require().dereference(thread);  // the creation reference; the handle holds one
  if (ClientId != nullptr) *ClientId = thread->Cid;
  return STATUS_SUCCESS;
}

NTSTATUS NTAPI PsTerminateSystemThread(NTSTATUS ExitStatus) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "PsTerminateSystemThread", __builtin_return_address(0), nullptr, "IrqlPsPassive");
  _ETHREAD* thread = ProcessManager::require().current_thread();
  if (thread == nullptr || !thread->Tcb.system_thread || thread->Tcb.context == nullptr) {
    return STATUS_INVALID_PARAMETER;
  }
  wdmlab::ke::terminate_current_thread(ExitStatus);
}

PETHREAD NTAPI PsGetCurrentThread(VOID) {
  wdmlab::sched::scheduling_point();
  return ProcessManager::require().current_thread();
}

PEPROCESS NTAPI PsGetCurrentProcess(VOID) {
  wdmlab::sched::scheduling_point();
  return ProcessManager::require().current_process();
}

HANDLE NTAPI PsGetCurrentThreadId(VOID) {
  wdmlab::sched::scheduling_point();
  _ETHREAD* thread = ProcessManager::require().current_thread();
  return thread != nullptr ? thread->Cid.UniqueThread : nullptr;
}

HANDLE NTAPI PsGetCurrentProcessId(VOID) {
  wdmlab::sched::scheduling_point();
  return ProcessManager::require().current_process()->UniqueProcessId;
}

HANDLE NTAPI PsGetThreadId(PETHREAD Thread) {
  wdmlab::sched::scheduling_point();
  return Thread->Cid.UniqueThread;
}

HANDLE NTAPI PsGetThreadProcessId(PETHREAD Thread) {
  wdmlab::sched::scheduling_point();
  return Thread->Cid.UniqueProcess;
}

HANDLE NTAPI PsGetProcessId(PEPROCESS Process) {
  wdmlab::sched::scheduling_point();
  return Process->UniqueProcessId;
}

BOOLEAN NTAPI PsIsSystemThread(PETHREAD Thread) {
  wdmlab::sched::scheduling_point();
  return Thread->Tcb.system_thread ? TRUE : FALSE;
}

BOOLEAN NTAPI PsIsThreadTerminating(PETHREAD Thread) {
  wdmlab::sched::scheduling_point();
  return Thread->Tcb.terminated ? TRUE : FALSE;
}

PEPROCESS NTAPI IoGetCurrentProcess(VOID) {
  wdmlab::sched::scheduling_point();
  return ProcessManager::require().current_process();
}

KPROCESSOR_MODE NTAPI ExGetPreviousMode(VOID) {
  wdmlab::sched::scheduling_point();
  return wdmlab::ob::previous_mode();
}

}  // extern "C"
