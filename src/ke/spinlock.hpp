// ke/spinlock.hpp - what the rest of the kernel may ask about a spin lock.
//
// A held KSPIN_LOCK holds its owner's context (tagged with bit 0); see spinlock.cpp.
#pragma once

#include <wdm.h>

namespace wdmlab::ke {

// True if the running context holds `lock`.
bool held_by_running_context(const KSPIN_LOCK& lock);

}  // namespace wdmlab::ke
