// user/user_process.hpp - the lab's side of wdmlab::UserProcess.
#pragma once

#include <memory>
#include <string>

#include "ps/process.hpp"
#include "wdmlab/user.hpp"

namespace wdmlab {

struct UserProcess::Impl {
  _EPROCESS* process = nullptr;  // holds one reference
  ~Impl();
};

namespace user {

// A new simulated user process (Lab::create_process).
std::unique_ptr<UserProcess> create_process(std::string image_name);

// The end of a user thread's body: the thread ends with `status` (ps::ProcessManager::
// exit_current_thread: its requests are cancelled and waited for; if it is the last thread of its
// process, the process ends with the same status and its handles are closed, as on Windows).
[[noreturn]] void end_user_thread(NTSTATUS status);

// Ends the calling thread's process with `exit_code` (NtTerminateProcess on the current process)
// and then the thread itself.
[[noreturn]] void exit_process(const void* service, UINT exit_code);

}  // namespace user
}  // namespace wdmlab
