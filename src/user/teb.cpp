#include "user/teb.hpp"

#include <fmt/format.h>

#include "ke/apc.hpp"
#include "ke/thread.hpp"
#include "mm/user_memory.hpp"
#include "ps/process.hpp"
#include "rtl/debug_print.hpp"
#include "wdmlab/errors.hpp"

namespace wdmlab::user {

namespace {

_ETHREAD* current_user_thread() {
  ps::ProcessManager* processes = ps::ProcessManager::current();
  sched::Scheduler* scheduler = sched::Scheduler::current();
  if (processes == nullptr || scheduler == nullptr || scheduler->running() == nullptr) return nullptr;
  _ETHREAD* thread = processes->current_thread();
  if (thread == nullptr || thread->Tcb.system_thread || thread->process == nullptr || thread->process->system) {
    return nullptr;
  }
  return thread;
}

}  // namespace

Teb& enter(const char* function) {
  _ETHREAD* thread = current_user_thread();
  if (thread == nullptr) {
    throw UsageError(fmt::format("{} was called outside a simulated user process; call the Win32 functions from "
                                 "a thread started with UserProcess::run",
                                 function));
  }
  // A thread that was terminated while it ran user-mode code leaves at its next call.
  if (thread->Tcb.user_apc_pending) ke::deliver_user_apcs();
  if (thread->process->terminated || thread->process->exiting) {
    ps::ProcessManager::require().exit_current_thread(thread->process->ExitStatus);
  }
  if (thread->Teb == nullptr) thread->Teb = ps::ProcessManager::require().map_user(*thread->process, sizeof(Teb));
  return *static_cast<Teb*>(thread->Teb);
}

void set_last_status(Teb& teb, NTSTATUS status) { teb.last_error = RtlNtStatusToDosError(status); }

BOOL succeeded(Teb& teb, NTSTATUS status) {
  if (NT_SUCCESS(status)) return TRUE;
  set_last_status(teb, status);
  return FALSE;
}

PLARGE_INTEGER timeout_of(Teb& teb, DWORD milliseconds) {
  if (milliseconds == INFINITE) return nullptr;
  teb.timeout.QuadPart = -static_cast<LONGLONG>(milliseconds) * 10'000;
  return &teb.timeout;
}

void return_to_user_mode(NTSTATUS status) {
  if (status == STATUS_USER_APC) ke::deliver_user_apcs();
}

void note_if_not_user(const char* function, const char* argument, const volatile void* pointer, std::size_t length) {
  if (pointer == nullptr || length == 0 || mm::is_user_address(pointer)) return;
  _ETHREAD* thread = current_user_thread();
  if (thread == nullptr) return;
  rtl::log_line(fmt::format("{}: {} {} is not user-mode memory of {} (allocate buffers with UserProcess::alloc or "
                            "VirtualAlloc); to the simulated machine it is a kernel-mode address, so the call fails "
                            "with ERROR_NOACCESS as it would on Windows",
                            function, argument, const_cast<const void*>(pointer), thread->process->image_name));
}

}  // namespace wdmlab::user
