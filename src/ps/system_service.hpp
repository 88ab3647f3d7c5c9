// ps/system_service.hpp - a user thread's trip into the kernel.
//
// The user-mode layer wraps each Win32 call that enters the kernel in a SystemServiceScope, the way
// a system call enters and leaves the kernel on Windows:
//
//   entering  the running thread must be a user thread (create_user_thread) at PASSIVE_LEVEL and
//             not already inside a service; its previous mode becomes UserMode, so ExGetPreviousMode
//             says UserMode and handles and buffers it passes are checked as coming from user mode.
//             Misuse is a UsageError.
//   leaving   as the thread returns to user mode: an IRQL above PASSIVE_LEVEL is bug check 0x4A
//             IRQL_GT_ZERO_AT_SYSTEM_SERVICE (service, IRQL, 0, 0); kernel or special APCs still
//             disabled (or enabled too often) relative to entry is bug check 0x1 APC_INDEX_MISMATCH
//             (service, ApcStateIndex = 0, CombinedApcDisable, 0 = a system call). Then the previous
//             mode is KernelMode again, and a thread alerted for its user APCs (being terminated:
//             ke::alert_for_user_apcs) takes them, which for termination does not return. When a C++ exception is leaving the scope only the previous
//             mode is restored.
//
// `service` is the address that stands for the system service (parameter 1 of both bug checks),
// e.g. the user-mode layer's own CreateFileW; `name` names it in reports.
#pragma once

#include <wdm.h>

struct _KTHREAD;

namespace wdmlab::ps {

class SystemServiceScope {
 public:
  explicit SystemServiceScope(const void* service, const char* name = "a system service");
  ~SystemServiceScope();
  SystemServiceScope(const SystemServiceScope&) = delete;
  SystemServiceScope& operator=(const SystemServiceScope&) = delete;

 private:
  _KTHREAD* thread_ = nullptr;
  const void* service_ = nullptr;
  const char* name_ = nullptr;
  SHORT kernel_apc_disable_ = 0;
  SHORT special_apc_disable_ = 0;
  int exceptions_ = 0;
};

}  // namespace wdmlab::ps
