#include "user/user_process.hpp"

#include <fmt/format.h>

#include "ke/thread.hpp"
#include "ob/object.hpp"
#include "ps/system_service.hpp"
#include "wdmlab/errors.hpp"

namespace wdmlab {

UserProcess::Impl::~Impl() {
  if (process != nullptr) {
    if (ob::ObjectManager* objects = ob::ObjectManager::current()) objects->dereference(process);
  }
}

UserProcess::UserProcess(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UserProcess::~UserProcess() = default;

const std::string& UserProcess::image_name() const { return impl_->process->image_name; }

std::uint32_t UserProcess::id() const {
  return static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(impl_->process->UniqueProcessId));
}

void UserProcess::run(std::string name, std::function<void()> body) {
  if (!body) throw UsageError("UserProcess::run needs a body");
  _EPROCESS& process = *impl_->process;
  if (process.terminated || process.exiting) {
    throw UsageError(fmt::format("the process '{}' (ID {}) has exited; it cannot run another thread (a process ends "
                                 "when its last thread ends: start every thread it needs before running the lab, "
                                 "or create a new process)",
                                 process.image_name, id()));
  }
  ps::ProcessManager& processes = ps::ProcessManager::require();
  _ETHREAD* thread = processes.create_user_thread(
      process, std::move(name),
      [body = std::move(body)] {
        body();
        user::end_user_thread(STATUS_SUCCESS);
      },
      true);
  ob::ObjectManager::require().dereference(thread);
}

void* UserProcess::alloc(std::size_t bytes) {
  if (impl_->process->terminated) {
    throw UsageError(fmt::format("the process '{}' has exited; its memory is gone", impl_->process->image_name));
  }
  return ps::ProcessManager::require().map_user(*impl_->process, bytes);
}

void* UserProcess::invalid_address() const {
  // The first page of a process's range is never mapped.
  return reinterpret_cast<void*>(impl_->process->user_range.base + 0x10);
}

void UserProcess::terminate(std::uint32_t exit_code) {
  _EPROCESS* process = impl_->process;
  if (process->terminated || process->exiting) return;
  // Closing the handles sends IRPs, so it happens on a thread of the machine, as
  // NtTerminateProcess from another process would run it.
  ps::ProcessManager::require().create_system_thread(
      fmt::format("TerminateProcess({})", process->image_name),
      [process, exit_code] {
        (void)ps::ProcessManager::require().terminate_process(*process, static_cast<NTSTATUS>(exit_code));
      },
      nullptr, true);
}

bool UserProcess::exited() const { return impl_->process->terminated; }

std::uint32_t UserProcess::exit_code() const {
  if (!impl_->process->terminated) {
    throw UsageError(fmt::format("the process '{}' has not exited; it has no exit code yet", impl_->process->image_name));
  }
  return static_cast<std::uint32_t>(impl_->process->ExitStatus);
}

namespace user {

std::unique_ptr<UserProcess> create_process(std::string image_name) {
  if (image_name.empty()) throw UsageError("create_process needs an image name, e.g. \"app.exe\"");
  auto impl = std::make_unique<UserProcess::Impl>();
  impl->process = ps::ProcessManager::require().create_process(std::move(image_name));
  return std::make_unique<UserProcess>(std::move(impl));
}

void end_user_thread(NTSTATUS status) { ps::ProcessManager::require().exit_current_thread(status); }

void exit_process(const void* service, UINT exit_code) {
  ps::ProcessManager& processes = ps::ProcessManager::require();
  _EPROCESS* process = processes.current_thread()->process;
  {
    ps::SystemServiceScope scope(service, "NtTerminateProcess");
    (void)processes.terminate_process(*process, static_cast<NTSTATUS>(exit_code));
  }
  processes.exit_current_thread(static_cast<NTSTATUS>(exit_code));
}

}  // namespace user
}  // namespace wdmlab
