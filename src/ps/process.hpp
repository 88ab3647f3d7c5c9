// ps/process.hpp - processes and threads as objects.
//
// An ETHREAD embeds the KTHREAD first (so PETHREAD and PKTHREAD are the same address) and adds
// its client ID and process. A running thread holds one reference on its ETHREAD, dropped when it
// terminates; the handle PsCreateSystemThread returns holds another. A thread in a user process
// holds a reference on its process until its ETHREAD is deleted.
//
// The System process (ID 4) owns the system threads drivers create; its handle table is the
// kernel handle table. User processes (create_process: the user-mode layer's simulated programs)
// each have their own handle table, their own part of the lab's user-mode address range and a
// unique ID; their threads are user threads (KTHREAD::system_thread false), and a driver can
// start a system thread in one (PsCreateSystemThread with a handle to it), whose handles then go
// to that process's table unless OBJ_KERNEL_HANDLE. Process and thread IDs come from one sequence
// of multiples of 4, as on Windows.
//
// Ending a process (terminate_process) closes every handle in its table through the object
// manager, marks it ended and signals it; its threads that are still running are not stopped
// (that is the caller's business) and handles they create afterwards are closed when the process
// object is deleted.
#pragma once

#include <wdm.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/address_space.hpp"
#include "ke/thread.hpp"
#include "ob/object.hpp"

struct _KPROCESS {
  DISPATCHER_HEADER Header;  // signaled when the process ends
};

struct _EPROCESS {
  _KPROCESS Pcb;
  HANDLE UniqueProcessId = nullptr;
  std::string image_name;
  wdmlab::ob::HandleTable* handles = nullptr;            // the kernel handle table for System
  std::unique_ptr<wdmlab::ob::HandleTable> own_handles;  // a user process's table
  wdmlab::base::UserRegion user_range{};                 // a user process's part of the user-mode address space
  NTSTATUS ExitStatus = STATUS_PENDING;
  std::size_t active_threads = 0;  // started and not yet ended
  bool terminated = false;
  bool system = false;
};

struct _ETHREAD {
  _KTHREAD Tcb;  // must stay first
  CLIENT_ID Cid{};
  _EPROCESS* process = nullptr;
  // IRPs the thread issued that are not finished (Irp->ThreadListEntry); io initializes it on
  // first use.
  LIST_ENTRY IrpList{};
  // A user thread's thread environment block: memory in its process's user range that the
  // user-mode layer owns (the Win32 last error, kernel32's buffers for system-service arguments).
  // Null until the layer first needs it, and for system threads.
  PVOID Teb = nullptr;
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

  // Creates a system thread running `body`, charged to `driver`, in `process` (the System process
  // when null). The returned ETHREAD carries one reference for the caller (besides the running
  // thread's own).
  _ETHREAD* create_system_thread(std::string name, std::function<void()> body, const base::DriverIdentity* driver,
                                 bool awaited, _EPROCESS* process = nullptr);

  // A new user process named `image_name` with its own handle table and `user_range_bytes` of the
  // user-mode address range. The EPROCESS carries one reference for the caller.
  static constexpr std::size_t kDefaultUserRange = std::size_t{256} << 20;
  _EPROCESS* create_process(std::string image_name, std::size_t user_range_bytes = kDefaultUserRange);
  // A user thread of `process` running `body` (simulated user-mode code, which enters the kernel
  // through SystemServiceScope). The ETHREAD carries one reference for the caller. `awaited`: the
  // lab's run_until_idle waits for it, as for Lab::spawn.
  _ETHREAD* create_user_thread(_EPROCESS& process, std::string name, std::function<void()> body, bool awaited);
  // Ends `process`: closes every handle in its table (ObjectManager::close_in, so each type's close
  // procedure runs), records `exit_status`, signals the process object. STATUS_PROCESS_IS_TERMINATING
  // if it already ended.
  NTSTATUS terminate_process(_EPROCESS& process, NTSTATUS exit_status);
  // `size` bytes of readable, writable, zeroed memory in `process`'s user range.
  void* map_user(_EPROCESS& process, std::size_t size);

  _ETHREAD* current_thread();
  _EPROCESS* current_process();

 private:
  ob::ObjectManager& objects_;
  _OBJECT_TYPE* thread_type_ = nullptr;
  _OBJECT_TYPE* process_type_ = nullptr;
  _EPROCESS* system_ = nullptr;
  std::vector<_ETHREAD*> idle_threads_;
  std::uintptr_t next_client_id_ = 0x100;  // process and thread IDs

  HANDLE next_client_id();
  _ETHREAD* start_thread(_EPROCESS& process, std::string name, std::function<void()> body,
                         const base::DriverIdentity* driver, bool awaited, bool system_thread);
};

}  // namespace wdmlab::ps
