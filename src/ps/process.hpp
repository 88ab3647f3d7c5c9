// ps/process.hpp - processes and threads as objects.
//
// An ETHREAD embeds the KTHREAD first (so PETHREAD and PKTHREAD are the same address) and adds
// its client ID and process. The System process owns every system thread; its handle table is
// the kernel handle table. A running thread holds one reference on its ETHREAD, dropped when it
// terminates; the handle PsCreateSystemThread returns holds another.
#pragma once

#include <wdm.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ke/thread.hpp"
#include "ob/object.hpp"

struct _KPROCESS {
  DISPATCHER_HEADER Header;  // signaled when the process ends
};

struct _EPROCESS {
  _KPROCESS Pcb;
  HANDLE UniqueProcessId = nullptr;
  std::string image_name;
  wdmlab::ob::HandleTable* handles = nullptr;  // the kernel handle table for System
  bool system = false;
};

struct _ETHREAD {
  _KTHREAD Tcb;  // must stay first
  CLIENT_ID Cid{};
  _EPROCESS* process = nullptr;
};

namespace wdmlab::base {
struct DriverIdentity;
}

namespace wdmlab::ps {

class ProcessManager {
 public:
  explicit ProcessManager(ob::ObjectManager& objects);
  ~ProcessManager();
  ProcessManager(const ProcessManager&) = delete;
  ProcessManager& operator=(const ProcessManager&) = delete;

  static ProcessManager* current();
  static ProcessManager& require();

  _EPROCESS* system_process() { return system_; }
  _OBJECT_TYPE* thread_type() { return thread_type_; }
  _OBJECT_TYPE* process_type() { return process_type_; }

  // Creates a system thread in the System process running `body`, charged to `driver`. The
  // returned ETHREAD carries one reference for the caller (besides the running thread's own).
  _ETHREAD* create_system_thread(std::string name, std::function<void()> body, const base::DriverIdentity* driver,
                                 bool awaited);

  _ETHREAD* current_thread();
  _EPROCESS* current_process();

 private:
  ob::ObjectManager& objects_;
  _OBJECT_TYPE* thread_type_ = nullptr;
  _OBJECT_TYPE* process_type_ = nullptr;
  _EPROCESS* system_ = nullptr;
  std::vector<_ETHREAD*> idle_threads_;
  std::uintptr_t next_thread_id_ = 0x100;
};

}  // namespace wdmlab::ps
