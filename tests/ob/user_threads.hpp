// user_threads.hpp - running test code as a simulated user process's thread, and inside a system
// service (previous mode UserMode), the way the user-mode layer does.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "ob/object.hpp"
#include "ps/process.hpp"
#include "ps/system_service.hpp"

namespace wdmlab::test {

inline ps::ProcessManager& processes() { return ps::ProcessManager::require(); }

// Starts `body` as a user thread of `process` (the lab's run_until_idle waits for it).
inline void start_user_thread(_EPROCESS* process, std::string name, std::function<void()> body) {
  _ETHREAD* thread = processes().create_user_thread(*process, std::move(name), std::move(body), true);
  ob::ObjectManager::require().dereference(thread);  // the caller's reference; the running thread keeps its own
}

// Keeps `process` from ending when the threads a test starts in it end (a process ends with its
// last thread): a thread of it that waits in user mode until the process is terminated. The lab
// does not wait for it.
inline void keep_alive(_EPROCESS* process) {
  auto never = std::make_shared<KEVENT>();
  KeInitializeEvent(never.get(), NotificationEvent, FALSE);
  _ETHREAD* thread = processes().create_user_thread(
      *process, "keep-alive",
      [never] {
        static const char tag = 0;
        ps::SystemServiceScope scope(&tag, "a test's system service");
        KeWaitForSingleObject(never.get(), UserRequest, UserMode, FALSE, nullptr);
      },
      false);
  ob::ObjectManager::require().dereference(thread);
}

// Runs `body` inside a system service of the running user thread.
template <class Body>
auto in_service(Body body) {
  static const char tag = 0;
  ps::SystemServiceScope scope(&tag, "a test's system service");
  return body();
}

}  // namespace wdmlab::test
