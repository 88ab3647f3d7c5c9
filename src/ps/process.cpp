#include "ps/process.hpp"

#include <fmt/format.h>

#include "base/check.hpp"
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

void delete_thread(void* body) { static_cast<_ETHREAD*>(body)->~_ETHREAD(); }
void delete_process(void* body) { static_cast<_EPROCESS*>(body)->~_EPROCESS(); }

}  // namespace

ProcessManager::ProcessManager(ob::ObjectManager& objects) : objects_(objects) {
  if (t_current != nullptr) throw UsageError("a process manager already exists on this thread");
  thread_type_ = objects.create_type("Thread", &delete_thread, kThreadMapping, THREAD_ALL_ACCESS);
  process_type_ = objects.create_type("Process", &delete_process, kProcessMapping, PROCESS_ALL_ACCESS);
  system_ = new (objects.create_object(process_type_, sizeof(_EPROCESS))) _EPROCESS{};
  system_->Pcb.Header.Type = ProcessObject;
  InitializeListHead(&system_->Pcb.Header.WaitListHead);
  system_->UniqueProcessId = reinterpret_cast<HANDLE>(4);
  system_->image_name = "System";
  system_->handles = &objects.kernel_handles();
  system_->system = true;

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
  kernel.add_thread_exit_hook([this](_KTHREAD& thread) {
    // The running thread's own reference.
    objects_.dereference(reinterpret_cast<_ETHREAD*>(&thread));
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

  wdmlab_ps_thread_type = thread_type_;
  wdmlab_ps_process_type = process_type_;
  PsInitialSystemProcess = system_;
  t_current = this;
}

ProcessManager::~ProcessManager() {
  if (t_current == this) t_current = nullptr;
  objects_.resolve_pseudo_handle = nullptr;
  objects_.current_process_handles = nullptr;
  PsInitialSystemProcess = nullptr;
  wdmlab_ps_thread_type = nullptr;
  wdmlab_ps_process_type = nullptr;
}

ProcessManager* ProcessManager::current() { return t_current; }

ProcessManager& ProcessManager::require() {
  if (t_current == nullptr) throw UsageError("a process routine was called with no lab on this thread");
  return *t_current;
}

_ETHREAD* ProcessManager::create_system_thread(std::string name, std::function<void()> body,
                                               const base::DriverIdentity* driver, bool awaited) {
  auto* thread = new (objects_.create_object(thread_type_, sizeof(_ETHREAD))) _ETHREAD{};
  ke::initialize_thread(thread->Tcb);
  thread->process = system_;
  thread->Cid.UniqueProcess = system_->UniqueProcessId;
  thread->Cid.UniqueThread = reinterpret_cast<HANDLE>(next_thread_id_);
  next_thread_id_ += 4;
  thread->Tcb.system_thread = true;
  objects_.reference(thread);  // held by the running thread until it terminates
  ke::start_thread(thread->Tcb, std::move(name), std::move(body), driver, awaited);
  return thread;
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
