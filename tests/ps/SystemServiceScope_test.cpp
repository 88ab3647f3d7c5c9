// A user thread's trip into the kernel (ps::SystemServiceScope) and ExGetPreviousMode: UserMode
// inside a service, KernelMode outside one, in system threads and for the duration of a Zw routine
// called inside a service. Returning to user mode at raised IRQL is bug check 0x4A
// IRQL_GT_ZERO_AT_SYSTEM_SERVICE; with APCs still disabled it is bug check 0x1 APC_INDEX_MISMATCH,
// both with Microsoft's parameters, reproduced by the same seed. Entering a service where user code
// cannot be is a UsageError.
#include <gtest/gtest.h>

#include "ob/object.hpp"
#include "ps/process.hpp"
#include "ps/system_service.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

// Stands for the system service a test enters (parameter 1 of the bug checks).
void TestService() {}
const void* service_address() { return reinterpret_cast<const void*>(&TestService); }

ps::ProcessManager& processes() { return ps::ProcessManager::require(); }

// Runs `body` as a user thread of a new process in a fresh lab; returns the lab's run status.
template <class Body>
RunStatus run_user_thread(Lab& lab, Body body) {
  _EPROCESS* process = processes().create_process("app.exe");
  ob::ObjectManager::require().dereference(processes().create_user_thread(*process, "main", body, true));
  const RunStatus status = lab.run_until_idle();
  ob::ObjectManager::require().dereference(process);
  return status;
}

KPROCESSOR_MODE g_mode_during_close = UserMode;
void record_mode(void*, void*, ACCESS_MASK, std::int64_t) { g_mode_during_close = ExGetPreviousMode(); }

TEST(ExGetPreviousMode, IsUserModeInsideASystemServiceAndKernelModeOutsideAndInZwRoutines) {
  Lab lab({.processors = 1, .seed = 1});
  ob::ObjectManager& objects = ob::ObjectManager::require();
  _OBJECT_TYPE* type = objects.create_type("ModeProbe", nullptr, {}, 0x1F0001);
  type->close_procedure = &record_mode;
  void* probe = objects.create_object(type, 8);
  KPROCESSOR_MODE before = UserMode, inside = KernelMode, after_zw = KernelMode, after = UserMode;
  NTSTATUS closed = -1;
  g_mode_during_close = UserMode;
  EXPECT_EQ(run_user_thread(lab,
                            [&] {
                              before = ExGetPreviousMode();
                              {
                                ps::SystemServiceScope scope(service_address(), "TestService");
                                inside = ExGetPreviousMode();
                                HANDLE handle = nullptr;
                                objects.open_object(probe, OBJ_KERNEL_HANDLE, 0x1, nullptr, KernelMode, &handle);
                                closed = ZwClose(handle);  // its close procedure runs in ZwClose
                                after_zw = ExGetPreviousMode();
                              }
                              after = ExGetPreviousMode();
                            }),
            RunStatus::Idle);
  EXPECT_EQ(before, KernelMode);
  EXPECT_EQ(inside, UserMode);
  EXPECT_EQ(closed, STATUS_SUCCESS);
  EXPECT_EQ(g_mode_during_close, KernelMode);
  EXPECT_EQ(after_zw, UserMode);
  EXPECT_EQ(after, KernelMode);
  objects.dereference(probe);
}

TEST(ExGetPreviousMode, IsKernelModeInSystemThreads) {
  KPROCESSOR_MODE mode = UserMode;
  runs_clean([&] { mode = ExGetPreviousMode(); });
  EXPECT_EQ(mode, KernelMode);
}

Finding leaving_finding(std::uint64_t seed, void (*misbehave)()) {
  Lab lab({.processors = 1, .seed = seed});
  EXPECT_EQ(run_user_thread(lab,
                            [misbehave] {
                              ps::SystemServiceScope scope(service_address(), "TestService");
                              misbehave();
                            }),
            RunStatus::Stopped);
  return stop_finding(lab);
}

TEST(SystemServiceScope, ReturningToUserModeAtDispatchLevelIsBugCheck4A) {
  const auto raise = [] {
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
  };
  const Finding finding = leaving_finding(1, raise);
  EXPECT_EQ(finding.code, IRQL_GT_ZERO_AT_SYSTEM_SERVICE);
  EXPECT_EQ(finding.name, "IRQL_GT_ZERO_AT_SYSTEM_SERVICE");
  EXPECT_EQ(finding.parameters[0], reinterpret_cast<std::uintptr_t>(service_address()));
  EXPECT_EQ(finding.parameters[1], DISPATCH_LEVEL);
  EXPECT_EQ(finding.parameters[2], 0u);
  EXPECT_EQ(finding.parameters[3], 0u);
  const Finding replayed = leaving_finding(1, raise);
  EXPECT_EQ(replayed.code, finding.code);
  EXPECT_EQ(replayed.parameters, finding.parameters);
}

TEST(SystemServiceScope, ReturningToUserModeInsideACriticalRegionIsBugCheck1) {
  const Finding finding = leaving_finding(2, [] { KeEnterCriticalRegion(); });
  EXPECT_EQ(finding.code, APC_INDEX_MISMATCH);
  EXPECT_EQ(finding.name, "APC_INDEX_MISMATCH");
  EXPECT_EQ(finding.parameters[0], reinterpret_cast<std::uintptr_t>(service_address()));
  EXPECT_EQ(finding.parameters[1], 0u);       // ApcStateIndex: never attached
  EXPECT_EQ(finding.parameters[2], 0xFFFFu);  // CombinedApcDisable: KernelApcDisable -1
  EXPECT_EQ(finding.parameters[3], 0u);       // a system call
  const Finding replayed = leaving_finding(2, [] { KeEnterCriticalRegion(); });
  EXPECT_EQ(replayed.parameters, finding.parameters);
}

TEST(SystemServiceScope, ReturningToUserModeInsideAGuardedRegionIsBugCheck1) {
  const Finding finding = leaving_finding(3, [] { KeEnterGuardedRegion(); });
  EXPECT_EQ(finding.code, APC_INDEX_MISMATCH);
  EXPECT_EQ(finding.parameters[2], 0xFFFF0000u);  // SpecialApcDisable -1 in the high 16 bits
}

TEST(SystemServiceScope, ABalancedCriticalRegionLeavesCleanly) {
  Lab lab({.processors = 1, .seed = 1});
  EXPECT_EQ(run_user_thread(lab,
                            [] {
                              ps::SystemServiceScope scope(service_address(), "TestService");
                              KeEnterCriticalRegion();
                              KeLeaveCriticalRegion();
                            }),
            RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(SystemServiceScope, OnlyAUserThreadAtPassiveLevelOutsideAnotherServiceCanEnterOne) {
  {
    Lab lab({.processors = 1, .seed = 1});
    lab.spawn("system", [] { ps::SystemServiceScope scope(service_address()); });
    EXPECT_THROW(lab.run_until_idle(), UsageError);
  }
  {
    Lab lab({.processors = 1, .seed = 1});
    EXPECT_THROW(run_user_thread(lab,
                                 [] {
                                   ps::SystemServiceScope outer(service_address());
                                   ps::SystemServiceScope inner(service_address());
                                 }),
                 UsageError);
  }
  {
    Lab lab({.processors = 1, .seed = 1});
    EXPECT_THROW(run_user_thread(lab,
                                 [] {
                                   KIRQL old;
                                   KeRaiseIrql(APC_LEVEL, &old);
                                   ps::SystemServiceScope scope(service_address());
                                 }),
                 UsageError);
  }
  {
    Lab lab({.processors = 1, .seed = 1});
    EXPECT_THROW(ps::SystemServiceScope scope(service_address()), UsageError);  // on the host
  }
}

}  // namespace
}  // namespace wdmlab::test
