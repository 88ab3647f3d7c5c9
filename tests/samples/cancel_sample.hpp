// cancel_sample.hpp - the two cancellation samples, csq_queue and cancel_spinlock, as a test sees
// them: they speak one protocol (samples/cancel/csq_queue_public.h) under different names, so a
// test is written once and parameterised over both.
#pragma once

#include <gtest/gtest.h>
#include <wdm.h>

#include <ostream>

#include "cancel_spinlock_public.h"
#include "csq_queue_public.h"
#include "wdmlab/win32.hpp"

namespace wdmlab::test {

struct CancelSample {
  const char* name;      // the driver's name, which starts each of its log lines ("csq_queue: ")
  const char* image;     // the driver image
  const char16_t* path;  // what an application opens
  DWORD arm_timer;       // the control code that arms the timer
};

inline constexpr CancelSample kCsqQueue{"csq_queue", CSQ_QUEUE_IMAGE, u"\\\\.\\CsqQueue", IOCTL_CSQ_QUEUE_ARM_TIMER};
inline constexpr CancelSample kCancelSpinLock{"cancel_spinlock", CANCEL_SPINLOCK_IMAGE, u"\\\\.\\CancelSpinLock",
                                              IOCTL_CANCEL_SPINLOCK_ARM_TIMER};

inline auto cancel_samples() { return ::testing::Values(kCsqQueue, kCancelSpinLock); }

inline void PrintTo(const CancelSample& sample, std::ostream* out) { *out << sample.name; }

}  // namespace wdmlab::test
