// The IRQL each routine may be called at, as its documentation's "IRQL" requirement states: at the
// highest allowed level the call succeeds; one level higher, on an unverified machine, it is bug
// check 0xA IRQL_NOT_LESS_OR_EQUAL with parameter 2 = the caller's IRQL. Under Driver Verifier's
// standard flags it is 0xC4 with the DDI compliance rule's ID (the Irql* rule that covers the
// routine) or the verifier's own wait check (0x120-0x122). (The routines with a minimum IRQL,
// the ...AtDpcLevel spin lock routines, are in KeAcquireSpinLockAtDpcLevel_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <string>

#include "ke/bugcheck.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

struct IrqlRule {
  const char* name;
  KIRQL maximum;
  std::function<void()> call;  // called at the IRQL under test; leaves it as it found it
  // 0xC4 parameter 1 one level higher under the standard flags; 0: still bug check 0xA.
  std::uint64_t verified = 0;
};

KEVENT g_event;

void wait_on_signaled_event(PLARGE_INTEGER timeout) {
  KeInitializeEvent(&g_event, NotificationEvent, TRUE);
  KeWaitForSingleObject(&g_event, Executive, KernelMode, FALSE, timeout);
}

const IrqlRule kRules[] = {
    {"KeWaitForSingleObjectNoTimeout", APC_LEVEL, [] { wait_on_signaled_event(nullptr); }, 0x121},
    {"KeWaitForSingleObjectNonzeroTimeout", APC_LEVEL,
     [] {
       LARGE_INTEGER timeout = relative_ms(1);
       wait_on_signaled_event(&timeout);
     }, 0x122},
    {"KeWaitForSingleObjectZeroTimeout", DISPATCH_LEVEL,
     [] {
       LARGE_INTEGER timeout{};
       wait_on_signaled_event(&timeout);
     }, 0x120},
    {"KeWaitForMultipleObjects", APC_LEVEL,
     [] {
       KeInitializeEvent(&g_event, NotificationEvent, TRUE);
       PVOID objects[] = {&g_event};
       KeWaitForMultipleObjects(1, objects, WaitAll, Executive, KernelMode, FALSE, nullptr, nullptr);
     }, 0x121},
    {"KeDelayExecutionThread", APC_LEVEL,
     [] {
       LARGE_INTEGER delay = relative_ticks(10);
       KeDelayExecutionThread(KernelMode, FALSE, &delay);
     }, 0x0002000F},
    {"KeAcquireSpinLock", DISPATCH_LEVEL,
     [] {
       KSPIN_LOCK lock;
       KeInitializeSpinLock(&lock);
       KIRQL old;
       KeAcquireSpinLock(&lock, &old);
       KeReleaseSpinLock(&lock, old);
     }, 0x00020011},
    {"KeAcquireSpinLockForDpc", DISPATCH_LEVEL,
     [] {
       KSPIN_LOCK lock;
       KeInitializeSpinLock(&lock);
       const KIRQL old = KeAcquireSpinLockForDpc(&lock);
       KeReleaseSpinLockForDpc(&lock, old);
     }, 0x00020011},
    {"KeAcquireInStackQueuedSpinLock", DISPATCH_LEVEL,
     [] {
       KSPIN_LOCK lock;
       KeInitializeSpinLock(&lock);
       KLOCK_QUEUE_HANDLE handle;
       KeAcquireInStackQueuedSpinLock(&lock, &handle);
       KeReleaseInStackQueuedSpinLock(&handle);
     }, 0x00020011},
    {"ObReferenceObjectByHandle", APC_LEVEL,
     [] {
       PVOID thread = nullptr;
       if (ObReferenceObjectByHandle(NtCurrentThread(), 0, *PsThreadType, KernelMode, &thread, nullptr) ==
           STATUS_SUCCESS) {
         ObDereferenceObject(thread);
       }
     }, 0x0002001B},
    {"ZwClose", PASSIVE_LEVEL,
     [] {
       // An open handle: closing one that is not open is 0x93 with Miscellaneous Checks. The open
       // is allowed up to APC_LEVEL, so the row still tests ZwClose's own limit.
       HANDLE handle = nullptr;
       ObOpenObjectByPointer(PsGetCurrentThread(), OBJ_KERNEL_HANDLE, nullptr, 0, *PsThreadType, KernelMode, &handle);
       ZwClose(handle);
     },
     0x0002001F},
    {"PsCreateSystemThread", PASSIVE_LEVEL,
     [] {
       HANDLE handle;
       if (PsCreateSystemThread(
               &handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr, [](PVOID) {}, nullptr) == STATUS_SUCCESS) {
         ZwClose(handle);
       }
     }, 0x0002001C},
    {"PsTerminateSystemThread", PASSIVE_LEVEL, [] { PsTerminateSystemThread(STATUS_SUCCESS); }, 0x0002001C},
    {"KeFlushQueuedDpcs", PASSIVE_LEVEL, [] { KeFlushQueuedDpcs(); }},
};

class IrqlRules : public ::testing::TestWithParam<IrqlRule> {};

// A body that calls `rule`'s routine at `irql`.
std::function<void()> call_at(KIRQL irql, const IrqlRule& rule) {
  return [irql, &rule] {
    KIRQL old;
    KeRaiseIrql(irql, &old);
    rule.call();
  };
}

TEST_P(IrqlRules, AtTheHighestAllowedIrqlTheCallSucceeds) {
  const IrqlRule& rule = GetParam();
  runs_clean([&] {
    KIRQL old;
    KeRaiseIrql(rule.maximum, &old);
    rule.call();
    KeLowerIrql(old);
  });
}

TEST_P(IrqlRules, OneLevelHigherUnverifiedIsBugCheckA) {
  const IrqlRule& rule = GetParam();
  const KIRQL too_high = static_cast<KIRQL>(rule.maximum + 1);
  const Finding finding = unverified_bug_check_of(call_at(too_high, rule));
  EXPECT_EQ(finding.code, IRQL_NOT_LESS_OR_EQUAL) << finding.summary();
  EXPECT_EQ(finding.parameters[1], too_high);
}

TEST_P(IrqlRules, OneLevelHigherVerifiedIsTheVerifiersCode) {
  const IrqlRule& rule = GetParam();
  const KIRQL too_high = static_cast<KIRQL>(rule.maximum + 1);
  const Finding finding = bug_check_of(call_at(too_high, rule));
  if (rule.verified == 0) {
    EXPECT_EQ(finding.code, IRQL_NOT_LESS_OR_EQUAL) << finding.summary();
    return;
  }
  ASSERT_EQ(finding.code, DRIVER_VERIFIER_DETECTED_VIOLATION) << finding.summary();
  EXPECT_EQ(finding.parameters[0], rule.verified) << finding.summary();
  if (rule.verified >= 0x20000) {
    // DDI compliance: P2 = the condition's text, P3 = the rule state (0), P4 = the caller.
    ASSERT_NE(finding.parameters[1], 0u);
    const std::string condition = reinterpret_cast<const char*>(finding.parameters[1]);
    EXPECT_NE(condition.find("should only be called at IRQL"), std::string::npos) << condition;
    EXPECT_EQ(finding.parameters[2], 0u);
    EXPECT_NE(finding.parameters[3], 0u);
    EXPECT_FALSE(finding.rule.empty());
  } else {
    EXPECT_EQ(finding.parameters[1], too_high);  // the waits: [IRQL, object, timeout]
  }
}

INSTANTIATE_TEST_SUITE_P(Routines, IrqlRules, ::testing::ValuesIn(kRules), RowName());

// The DDI manifest (src/ddi.yaml) and the DDI compliance rules agree: a routine an Irql* rule
// covers has, as the manifest's first IRQL bound, the level the rule names (Passive, ApcLte,
// Dispatch...). Where Microsoft's rule is stricter than the routine's documented contract, the
// lab keeps the contract (the rule fires only above it) and the row is listed here.
int level_named_by(std::string_view rule) {
  if (rule.find("Passive") != std::string_view::npos) return PASSIVE_LEVEL;
  if (rule.find("ApcLte") != std::string_view::npos) return APC_LEVEL;
  return DISPATCH_LEVEL;  // IrqlDispatch, IrqlKeDispatchLte, IrqlKeReleaseSpinLock, IrqlKeSetEvent, IrqlMmDispatch
}

int first_level_in(const std::string& contract) {
  for (const auto& [name, level] : {std::pair{"PASSIVE_LEVEL", PASSIVE_LEVEL}, std::pair{"APC_LEVEL", APC_LEVEL},
                                    std::pair{"DISPATCH_LEVEL", DISPATCH_LEVEL}}) {
    if (contract.find(name) != std::string::npos &&
        contract.find(name) == std::min({contract.find("PASSIVE_LEVEL"), contract.find("APC_LEVEL"),
                                         contract.find("DISPATCH_LEVEL")})) {
      return level;
    }
  }
  return -1;
}

TEST(IrqlRules, TheManifestsContractsAgreeWithTheDdiComplianceRules) {
  // The rule (IrqlIoPassive1: PASSIVE_LEVEL, with one routine allowed at APC_LEVEL) is stricter
  // than the contract the manifest records.
  const std::set<std::string> stricter = {"IoBuildDeviceIoControlRequest", "IoCreateDevice"};
  std::ifstream manifest(WDMLAB_DDI_MANIFEST);
  ASSERT_TRUE(manifest) << WDMLAB_DDI_MANIFEST;
  std::string line, routine;
  int checked = 0;
  while (std::getline(manifest, line)) {
    if (const auto at = line.find("- name: "); at != std::string::npos) routine = line.substr(at + 8);
    const auto at = line.find("irql: ");
    if (at == std::string::npos || routine.empty()) continue;
    const char* rule = ke::irql_rule_of(routine);
    if (rule == nullptr) continue;
    ++checked;
    const int documented = first_level_in(line.substr(at));
    if (stricter.contains(routine)) {
      EXPECT_LT(level_named_by(rule), documented) << routine << " " << rule;
    } else {
      EXPECT_EQ(level_named_by(rule), documented) << routine << " (" << rule << "): " << line;
    }
  }
  EXPECT_GT(checked, 30);
}

}  // namespace
}  // namespace wdmlab::test
