#include "ps/process.hpp"

#include <fmt/format.h>

#include "base/check.hpp"
#include "ke/apc.hpp"
#include "ke/bugcheck.hpp"
#include "ke/dispatcher.hpp"
#include "ke/kernel.hpp"
#include "wdmlab/errors.hpp"

extern "C" {
POBJECT_TYPE wdmlab_ps_thread_type = nullptr;
POBJECT_TYPE wdmlab_ps_process_type = nullptr;
POBJECT_TYPE* PsThreadType = &wdmlab_ps_thread_type;
POBJECT_TYPE* PsProcessType = &wdmlab_ps_process_type;
PEPROCESS PsInitialSystemProcess = nullptr;
}

namespace wdmlab::ps {

namespace {

thread_local ProcessManager* t_current = nullptr;

constexpr GENERIC_MAPPING kThreadMapping = {STANDARD_RIGHTS_READ | THREAD_GET_CONTEXT | THREAD_QUERY_INFORMATION,
                                            STANDARD_RIGHTS_WRITE | THREAD_TERMINATE | THREAD_SUSPEND_RESUME |
                                                THREAD_ALERT | THREAD_SET_CONTEXT | THREAD_SET_INFORMATION,
                                            STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE, THREAD_ALL_ACCESS};
constexpr GENERIC_MAPPING kProcessMapping = {STANDARD_RIGHTS_READ | PROCESS_VM_READ | PROCESS_QUERY_INFORMATION,
                                             STANDARD_RIGHTS_WRITE | PROCESS_CREATE_PROCESS | PROCESS_CREATE_THREAD |
                                                 PROCESS_VM_OPERATION | PROCESS_VM_WRITE | PROCESS_DUP_HANDLE |
                                                 PROCESS_TERMINATE | PROCESS_SET_QUOTA | PROCESS_SET_INFORMATION,
                                             STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE, PROCESS_ALL_ACCESS};

void delete_thread(void* body) {
  auto* thread = static_cast<_ETHREAD*>(body);
  _EPROCESS* process = thread->process;
  thread->~_ETHREAD();
  if (process != nullptr && !process->system) ob::ObjectManager::require().dereference(process);
}

void delete_process(void* body) {
  auto* process = static_cast<_EPROCESS*>(body);
  // Handles made by threads that outlived the process's end.
  if (process->own_handles) ob::ObjectManager::require().close_all(*process->own_handles);
  if (base::AddressSpace* space = base::AddressSpace::current();
      space != nullptr && process->user_range.limit > process->user_range.base) {
    space->unmap_user(reinterpret_cast<void*>(process->user_range.base),
                      process->user_range.limit - process->user_range.base);
  }
  process->~_EPROCESS();
}

void initialize_process_header(_EPROCESS& process) {
  process.Pcb.Header.Type = ProcessObject;
  process.Pcb.Header.Size = static_cast<UCHAR>(sizeof(_KPROCESS) / sizeof(LONG));
  InitializeListHead(&process.Pcb.Header.WaitListHead);
}

}  // namespace

ProcessManager::ProcessManager(ob::ObjectManager& objects) : objects_(objects) {
  if (t_current != nullptr) throw UsageError("a process manager already exists on this thread");
  thread_type_ = objects.create_type("Thread", &delete_thread, kThreadMapping, THREAD_ALL_ACCESS);
  process_type_ = objects.create_type("Process", &delete_process, kProcessMapping, PROCESS_ALL_ACCESS);
  thread_type_->wait_object_offset = 0;
  process_type_->wait_object_offset = 0;
  system_ = new (objects.create_object(process_type_, sizeof(_EPROCESS))) _EPROCESS{};
  initialize_process_header(*system_);
  system_->UniqueProcessId = reinterpret_cast<HANDLE>(4);
  system_->image_name = "System";
  system_->handles = &objects.kernel_handles();
  system_->system = true;
  objects.kernel_handles().set_owner(system_);

  ke::Kernel& kernel = ke::Kernel::require();
  for (std::size_t i = 0; i < kernel.scheduler().processors().size(); ++i) {
    // Idle threads belong to the Idle process (id 0); DPCs on an idle processor see them.
    auto* idle = new (objects.create_object(thread_type_, sizeof(_ETHREAD))) _ETHREAD{};
    ke::initialize_thread(idle->Tcb);
    idle->Cid.UniqueProcess = nullptr;
    idle->Cid.UniqueThread = nullptr;
    idle->process = system_;
    idle_threads_.push_back(idle);
  }
  kernel.set_idle_threads(idle_threads_.size(), [this](std::size_t i) { return &idle_threads_[i]->Tcb; });
  kernel.set_thread_rundown([this](_KTHREAD& thread) { run_down(*reinterpret_cast<_ETHREAD*>(&thread)); });
  kernel.add_thread_exit_hook([this](_KTHREAD& thread) {
    auto* ethread = reinterpret_cast<_ETHREAD*>(&thread);
    live_threads_.erase(reinterpret_cast<std::uintptr_t>(ethread->Cid.UniqueThread));
    objects_.dereference(ethread);  // the running thread's own reference
  });

  objects.resolve_pseudo_handle = [this](HANDLE handle) -> void* {
    if (handle == NtCurrentProcess()) return current_process();
    if (handle == NtCurrentThread()) return current_thread();
    return nullptr;
  };
  objects.current_process_handles = [this]() -> ob::HandleTable* {
    _EPROCESS* process = current_process();
    return process != nullptr ? process->handles : nullptr;
  };
  objects.process_type = process_type_;
  objects.process_handles = [](void* object) -> ob::HandleTable* {
    auto* process = static_cast<_EPROCESS*>(object);
    return process->terminated ? nullptr : process->handles;
  };

  wdmlab_ps_thread_type = thread_type_;
  wdmlab_ps_process_type = process_type_;
  PsInitialSystemProcess = system_;
  t_current = this;
}

ProcessManager::~ProcessManager() {
  if (t_current == this) t_current = nullptr;
  objects_.resolve_pseudo_handle = nullptr;
  objects_.current_process_handles = nullptr;
  objects_.process_type = nullptr;
  objects_.process_handles = nullptr;
  if (objects_.kernel_handles().owner() == system_) objects_.kernel_handles().set_owner(nullptr);
  PsInitialSystemProcess = nullptr;
  wdmlab_ps_thread_type = nullptr;
  wdmlab_ps_process_type = nullptr;
}

ProcessManager* ProcessManager::current() { return t_current; }

ProcessManager& ProcessManager::require() {
  if (t_current == nullptr) throw UsageError("a process routine was called with no lab on this thread");
  return *t_current;
}

HANDLE ProcessManager::next_client_id() {
  const auto id = reinterpret_cast<HANDLE>(next_client_id_);
  next_client_id_ += 4;
  return id;
}

_ETHREAD* ProcessManager::start_thread(_EPROCESS& process, std::string name, std::function<void()> body,
                                       const base::DriverIdentity* driver, bool awaited, bool system_thread) {
  auto* thread = new (objects_.create_object(thread_type_, sizeof(_ETHREAD))) _ETHREAD{};
  ke::initialize_thread(thread->Tcb);
  thread->process = &process;
  if (!process.system) objects_.reference(&process);  // dropped when the ETHREAD is deleted
  thread->Cid.UniqueProcess = process.UniqueProcessId;
  thread->Cid.UniqueThread = next_client_id();
  thread->Tcb.system_thread = system_thread;
  objects_.reference(thread);  // held by the running thread until it terminates
  ++process.active_threads;
  process.threads.push_back(thread);
  live_threads_[reinterpret_cast<std::uintptr_t>(thread->Cid.UniqueThread)] = thread;
  ke::start_thread(thread->Tcb, std::move(name), std::move(body), driver, awaited);
  return thread;
}

_ETHREAD* ProcessManager::create_system_thread(std::string name, std::function<void()> body,
                                               const base::DriverIdentity* driver, bool awaited, _EPROCESS* process) {
  _EPROCESS& owner = process != nullptr ? *process : *system_;
  WDMLAB_CHECK(!owner.terminated && !owner.exiting, "create_system_thread in a process that has ended");
  return start_thread(owner, std::move(name), std::move(body), driver, awaited, true);
}

_EPROCESS* ProcessManager::create_process(std::string image_name, std::size_t user_range_bytes) {
  base::AddressSpace* space = base::AddressSpace::current();
  if (space == nullptr) throw UsageError("create_process needs a lab on this thread");
  auto* process = new (objects_.create_object(process_type_, sizeof(_EPROCESS))) _EPROCESS{};
  initialize_process_header(*process);
  process->UniqueProcessId = next_client_id();
  process->image_name = std::move(image_name);
  process->own_handles = std::make_unique<ob::HandleTable>(false, process);
  process->handles = process->own_handles.get();
  process->user_range = space->reserve_region(user_range_bytes);
  return process;
}

_ETHREAD* ProcessManager::create_user_thread(_EPROCESS& process, std::string name, std::function<void()> body,
                                             bool awaited) {
  if (process.system) throw UsageError("user threads run in user processes; create one with create_process");
  if (process.terminated || process.exiting) {
    throw UsageError(fmt::format("the process '{}' has ended; it cannot start threads", process.image_name));
  }
  if (!body) throw UsageError("create_user_thread needs a body");
  return start_thread(process, std::move(name), std::move(body), nullptr, awaited, false);
}

NTSTATUS ProcessManager::terminate_process(_EPROCESS& process, NTSTATUS exit_status) {
  if (process.system) throw UsageError("the System process cannot be terminated");
  if (process.terminated || process.exiting) return STATUS_PROCESS_IS_TERMINATING;
  process.exiting = true;
  process.ExitStatus = exit_status;
  _ETHREAD* caller = current_thread();
  // terminate_thread only queues an APC to another thread: the list does not change meanwhile.
  for (_ETHREAD* thread : process.threads) {
    if (thread != caller && !thread->Tcb.system_thread) (void)terminate_thread(*thread, exit_status);
  }
  if (process.active_threads == 0) end_process(process, exit_status);
  return STATUS_SUCCESS;
}

namespace {

VOID NTAPI exit_apc_kernel_routine(PKAPC, PKNORMAL_ROUTINE*, PVOID*, PVOID*, PVOID*) {}

VOID NTAPI exit_apc_normal_routine(PVOID context, PVOID, PVOID) {
  ProcessManager::require().exit_current_thread(static_cast<NTSTATUS>(reinterpret_cast<std::intptr_t>(context)));
}

}  // namespace

NTSTATUS ProcessManager::terminate_thread(_ETHREAD& thread, NTSTATUS exit_status) {
  if (thread.Tcb.system_thread) return STATUS_ACCESS_DENIED;
  if (&thread == current_thread()) exit_current_thread(exit_status);
  if (thread.Tcb.terminated || thread.Tcb.exiting || thread.exit_requested) return STATUS_SUCCESS;
  thread.exit_requested = true;
  ke::initialize_apc(thread.exit_apc, thread.Tcb, &exit_apc_kernel_routine, nullptr, &exit_apc_normal_routine,
                     UserMode, reinterpret_cast<PVOID>(static_cast<std::intptr_t>(exit_status)));
  (void)ke::insert_queue_apc(thread.exit_apc, nullptr, nullptr, 0);
  ke::alert_for_user_apcs(thread.Tcb);
  return STATUS_SUCCESS;
}

void ProcessManager::exit_current_thread(NTSTATUS exit_status) {
  if (_ETHREAD* thread = current_thread()) thread->Tcb.PreviousMode = KernelMode;  // exit runs in kernel mode
  ke::terminate_current_thread(exit_status);
}

_ETHREAD* ProcessManager::find_thread(HANDLE id) const {
  const auto found = live_threads_.find(reinterpret_cast<std::uintptr_t>(id));
  return found != live_threads_.end() ? found->second : nullptr;
}

void ProcessManager::run_down(_ETHREAD& thread) {
  if (rundown_thread_io && ke::current_irql() == PASSIVE_LEVEL) rundown_thread_io(thread);
  _EPROCESS* process = thread.process;
  if (process == nullptr) return;
  std::erase(process->threads, &thread);
  --process->active_threads;
  if (process->active_threads == 0 && !process->system && !process->terminated) {
    end_process(*process, thread.Tcb.ExitStatus);
  }
}

void ProcessManager::end_process(_EPROCESS& process, NTSTATUS exit_status) {
  if (!process.exiting) process.ExitStatus = exit_status;
  process.exiting = true;
  process.terminated = true;
  objects_.close_all(*process.handles);
  process.Pcb.Header.SignalState = 1;
  ke::signal_waiters(&process.Pcb.Header);
}

void* ProcessManager::map_user(_EPROCESS& process, std::size_t size) {
  if (process.system) throw UsageError("the System process has no user-mode memory");
  base::AddressSpace* space = base::AddressSpace::current();
  if (space == nullptr) throw UsageError("map_user needs a lab on this thread");
  return space->map_in(process.user_range, size);
}

_ETHREAD* ProcessManager::current_thread() {
  ke::Kernel* kernel = ke::Kernel::current();
  return kernel != nullptr ? reinterpret_cast<_ETHREAD*>(kernel->current_thread()) : nullptr;
}

_EPROCESS* ProcessManager::current_process() {
  _ETHREAD* thread = current_thread();
  return thread != nullptr ? thread->process : system_;
}

}  // namespace wdmlab::ps
