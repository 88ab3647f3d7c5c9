// ob/previous_mode.hpp - the previous processor mode of the running thread.
//
// A thread's PreviousMode (in its KTHREAD) says where the current system service came from:
// UserMode while a user thread is inside a system service (ps::SystemServiceScope), KernelMode
// otherwise. A Zw routine called by kernel code runs with KernelMode for the duration of the call,
// as on Windows, so the handles and buffers it is given are trusted: KernelModeCall does that.
#pragma once

#include <wdm.h>

struct _KTHREAD;

namespace wdmlab::ob {

// ExGetPreviousMode: the running thread's previous mode; KernelMode on the host and for contexts
// with no thread.
KPROCESSOR_MODE previous_mode();

// Sets the running thread's previous mode to KernelMode until it goes out of scope, then restores
// it. Does nothing on the host.
class KernelModeCall {
 public:
  KernelModeCall();
  ~KernelModeCall();
  KernelModeCall(const KernelModeCall&) = delete;
  KernelModeCall& operator=(const KernelModeCall&) = delete;

 private:
  _KTHREAD* thread_ = nullptr;
  KPROCESSOR_MODE saved_ = KernelMode;
};

}  // namespace wdmlab::ob
