// The IRQL each routine may be called at, as its documentation's "IRQL" requirement states: at the
// highest allowed level the call succeeds; one level higher it is bug check 0xA
// IRQL_NOT_LESS_OR_EQUAL with parameter 2 = the caller's IRQL. (The routines with a minimum
// IRQL, the ...AtDpcLevel spin lock routines, are in KeAcquireSpinLockAtDpcLevel_test.cpp.)
#include <gtest/gtest.h>

#include <functional>

#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

struct IrqlRule {
  const char* name;
  KIRQL maximum;
  std::function<void()> call;  // called at the IRQL under test; leaves it as it found it
};

KEVENT g_event;

void wait_on_signaled_event(PLARGE_INTEGER timeout) {
  KeInitializeEvent(&g_event, NotificationEvent, TRUE);
  KeWaitForSingleObject(&g_event, Executive, KernelMode, FALSE, timeout);
}

const IrqlRule kRules[] = {
    {"KeWaitForSingleObjectNoTimeout", APC_LEVEL, [] { wait_on_signaled_event(nullptr); }},
    {"KeWaitForSingleObjectNonzeroTimeout", APC_LEVEL,
     [] {
       LARGE_INTEGER timeout = relative_ms(1);
       wait_on_signaled_event(&timeout);
     }},
    {"KeWaitForSingleObjectZeroTimeout", DISPATCH_LEVEL,
     [] {
       LARGE_INTEGER timeout{};
       wait_on_signaled_event(&timeout);
     }},
    {"KeWaitForMultipleObjects", APC_LEVEL,
     [] {
       KeInitializeEvent(&g_event, NotificationEvent, TRUE);
       PVOID objects[] = {&g_event};
       KeWaitForMultipleObjects(1, objects, WaitAll, Executive, KernelMode, FALSE, nullptr, nullptr);
     }},
    {"KeDelayExecutionThread", APC_LEVEL,
     [] {
       LARGE_INTEGER delay = relative_ticks(10);
       KeDelayExecutionThread(KernelMode, FALSE, &delay);
     }},
    {"KeAcquireSpinLock", DISPATCH_LEVEL,
     [] {
       KSPIN_LOCK lock;
       KeInitializeSpinLock(&lock);
       KIRQL old;
       KeAcquireSpinLock(&lock, &old);
       KeReleaseSpinLock(&lock, old);
     }},
    {"KeAcquireSpinLockForDpc", DISPATCH_LEVEL,
     [] {
       KSPIN_LOCK lock;
       KeInitializeSpinLock(&lock);
       const KIRQL old = KeAcquireSpinLockForDpc(&lock);
       KeReleaseSpinLockForDpc(&lock, old);
     }},
    {"KeAcquireInStackQueuedSpinLock", DISPATCH_LEVEL,
     [] {
       KSPIN_LOCK lock;
       KeInitializeSpinLock(&lock);
       KLOCK_QUEUE_HANDLE handle;
       KeAcquireInStackQueuedSpinLock(&lock, &handle);
       KeReleaseInStackQueuedSpinLock(&handle);
     }},
    {"ObReferenceObjectByHandle", APC_LEVEL,
     [] {
       PVOID thread = nullptr;
       if (ObReferenceObjectByHandle(NtCurrentThread(), 0, *PsThreadType, KernelMode, &thread, nullptr) ==
           STATUS_SUCCESS) {
         ObDereferenceObject(thread);
       }
     }},
    {"ZwClose", PASSIVE_LEVEL,
     [] {
       // An open handle: closing one that is not open is 0x93 with Miscellaneous Checks. The open
       // is allowed up to APC_LEVEL, so the row still tests ZwClose's own limit.
       HANDLE handle = nullptr;
       ObOpenObjectByPointer(PsGetCurrentThread(), OBJ_KERNEL_HANDLE, nullptr, 0, *PsThreadType, KernelMode, &handle);
       ZwClose(handle);
     }},
    {"PsCreateSystemThread", PASSIVE_LEVEL,
     [] {
       HANDLE handle;
       if (PsCreateSystemThread(
               &handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr, [](PVOID) {}, nullptr) == STATUS_SUCCESS) {
         ZwClose(handle);
       }
     }},
    {"PsTerminateSystemThread", PASSIVE_LEVEL, [] { PsTerminateSystemThread(STATUS_SUCCESS); }},
    {"KeFlushQueuedDpcs", PASSIVE_LEVEL, [] { KeFlushQueuedDpcs(); }},
};

class IrqlRules : public ::testing::TestWithParam<IrqlRule> {};

TEST_P(IrqlRules, AtTheHighestAllowedIrqlTheCallSucceeds) {
  const IrqlRule& rule = GetParam();
  runs_clean([&] {
    KIRQL old;
    KeRaiseIrql(rule.maximum, &old);
    rule.call();
    KeLowerIrql(old);
  });
}

TEST_P(IrqlRules, OneLevelHigherIsBugCheckA) {
  const IrqlRule& rule = GetParam();
  const KIRQL too_high = static_cast<KIRQL>(rule.maximum + 1);
  const Finding finding = bug_check_of([&] {
    KIRQL old;
    KeRaiseIrql(too_high, &old);
    rule.call();
  });
  EXPECT_EQ(finding.code, IRQL_NOT_LESS_OR_EQUAL) << finding.summary();
  EXPECT_EQ(finding.parameters[1], too_high);
}

INSTANTIATE_TEST_SUITE_P(Routines, IrqlRules, ::testing::ValuesIn(kRules), RowName());

}  // namespace
}  // namespace wdmlab::test
