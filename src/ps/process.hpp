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
// Ending a thread (ke::terminate_current_thread, which every exit path reaches) first runs the
// thread's rundown here: the I/O manager cancels the requests the thread issued and waits for
// them (rundown_thread_io), then, if it was the last thread of a user process, the process ends:
// every handle in its table is closed through the object manager (cleanup and close requests go
// out from this thread) and the process object is signalled.
//
// Terminating another thread (terminate_thread) is asynchronous, as on Windows: a user APC that
// ends the thread is queued to it and the thread is alerted for it, so a UserMode wait it is in
// ends (alertable or not) and it exits on its way back to user mode; a thread blocked in a
// KernelMode wait (inside a driver) exits only once the driver lets it go. Terminating a process
// terminates each of its user threads that way; the process ends with its last thread (or at
// once if it has none).
#pragma once

#include <wdm.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
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
  std::size_t active_threads = 0;  // started and not yet through their rundown
  std::vector<_ETHREAD*> threads;  // the same threads
  bool exiting = false;     // terminate_process was called: its threads are being terminated
  bool terminated = false;  // ended: handles closed, process object signalled
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
  // terminate_thread: the user APC that ends the thread, once queued.
  KAPC exit_apc{};
  bool exit_requested = false;
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
  // Terminates `process` with `exit_status`: each of its user threads other than the caller is
  // terminated (terminate_thread); the process ends when the last of its threads has run down, at
  // once if it has none. A caller that is a thread of the process exits itself afterwards
  // (exit_current_thread). STATUS_PROCESS_IS_TERMINATING if it is ending or ended already.
  NTSTATUS terminate_process(_EPROCESS& process, NTSTATUS exit_status);
  // Terminates `thread` with `exit_status` (asynchronously; see above). The running thread itself
  // exits at once (does not return). STATUS_ACCESS_DENIED for a system thread (those end only by
  // themselves, PsTerminateSystemThread); STATUS_SUCCESS if it is ending already.
  NTSTATUS terminate_thread(_ETHREAD& thread, NTSTATUS exit_status);
  // Ends the running thread: its rundown, then ke::terminate_current_thread.
  [[noreturn]] void exit_current_thread(NTSTATUS exit_status);
  // The live thread with client ID `id` (not referenced), or null.
  _ETHREAD* find_thread(HANDLE id) const;
  // The I/O manager's part of a thread's rundown (io installs it): cancel and wait for the
  // thread's requests. Called on the terminating thread at PASSIVE_LEVEL.
  std::function<void(_ETHREAD&)> rundown_thread_io;
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
  std::unordered_map<std::uintptr_t, _ETHREAD*> live_threads_;  // by client ID
  std::uintptr_t next_client_id_ = 0x100;  // process and thread IDs

  HANDLE next_client_id();
  void run_down(_ETHREAD& thread);
  void end_process(_EPROCESS& process, NTSTATUS exit_status);
  _ETHREAD* start_thread(_EPROCESS& process, std::string name, std::function<void()> body,
                         const base::DriverIdentity* driver, bool awaited, bool system_thread);
};

}  // namespace wdmlab::ps
