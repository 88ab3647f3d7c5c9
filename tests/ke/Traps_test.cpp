// What a fault or an exception in driver code becomes, decided as the Windows trap handlers
// decide: an invalid user-mode (or NULL-page) access below DISPATCH_LEVEL raises
// STATUS_ACCESS_VIOLATION, which __try/__except catches, with ExceptionInformation[0] = read (0)
// or write (1) and [1] = the address; an invalid kernel address is bug check 0x50 even inside
// __try; any invalid access at DISPATCH_LEVEL is bug check 0xD1; a divide by zero raises
// STATUS_INTEGER_DIVIDE_BY_ZERO and a breakpoint STATUS_BREAKPOINT; an exception nothing handles
// is 0x7E in a system thread and 0x1E in a DPC; a stack overflow is 0x7F with parameter 1 = 8.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include "ke/driver_scenario.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

constexpr ULONG_PTR kRead = 0, kWrite = 1;

// A kernel-space address (outside the lab's user range) that faults on any access: a page kept
// reserved without access for the whole test program, so nothing else is ever mapped there.
std::uintptr_t unmapped_kernel_address() {
  static void* const page = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  EXPECT_NE(page, MAP_FAILED);
  return reinterpret_cast<std::uintptr_t>(page) + 0x40;
}

struct UserAccess {
  const char* name;
  bool null_page;
  bool write;
};

class InvalidUserAccess : public ::testing::TestWithParam<UserAccess> {};

TEST_P(InvalidUserAccess, RaisesAccessViolationThatTryExceptCatches) {
  const UserAccess row = GetParam();
  Lab lab;
  auto* address = row.null_page ? static_cast<LONG*>(nullptr) : static_cast<LONG*>(lab.invalid_user_address());
  KTD_EXCEPTION caught{};
  bool continued = false;
  lab.spawn("prober", [&] {
    if (row.write) {
      KtdWrite(address, 5, &caught);
    } else {
      KtdRead(address, &caught);
    }
    continued = true;
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_TRUE(continued);
  EXPECT_TRUE(caught.Handled);
  EXPECT_EQ(caught.Code, STATUS_ACCESS_VIOLATION);
  EXPECT_EQ(caught.NumberParameters, 2u);
  EXPECT_EQ(caught.Information[0], row.write ? kWrite : kRead);
  EXPECT_EQ(caught.Information[1], reinterpret_cast<ULONG_PTR>(address));
}

INSTANTIATE_TEST_SUITE_P(Accesses, InvalidUserAccess,
                         ::testing::Values(UserAccess{"UserRead", false, false}, UserAccess{"UserWrite", false, true},
                                           UserAccess{"NullRead", true, false}, UserAccess{"NullWrite", true, true}),
                         RowName());

TEST(Traps, AtApcLevelAnInvalidUserReadIsStillACatchableException) {
  Lab lab;
  auto* address = static_cast<LONG*>(lab.invalid_user_address());
  KTD_EXCEPTION caught{};
  lab.spawn("prober", [&] {
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    KtdRead(address, &caught);
    KeLowerIrql(old);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(caught.Handled);
  EXPECT_EQ(caught.Code, STATUS_ACCESS_VIOLATION);
}

TEST(Traps, AValidUserBufferReadsWithoutAnException) {
  Lab lab;
  auto* buffer = static_cast<LONG*>(lab.map_user_buffer(64));
  buffer[3] = 77;
  KTD_EXCEPTION caught{};
  LONG value = 0;
  lab.spawn("reader", [&] { value = KtdRead(&buffer[3], &caught); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_EQ(value, 77);
  EXPECT_FALSE(caught.Handled);
  EXPECT_EQ(caught.Code, STATUS_SUCCESS);
}

TEST(Traps, AnInvalidKernelAddressIsBugCheck50EvenInsideTry) {
  for (bool write : {false, true}) {
    const std::uintptr_t address = unmapped_kernel_address();
    KTD_EXCEPTION caught{};
    const Finding finding = bug_check_of([&] {
      if (write) {
        KtdWrite(reinterpret_cast<LONG*>(address), 1, &caught);
      } else {
        KtdRead(reinterpret_cast<LONG*>(address), &caught);
      }
    });
    EXPECT_FALSE(caught.Handled);
    EXPECT_EQ(finding.code, PAGE_FAULT_IN_NONPAGED_AREA);
    EXPECT_EQ(finding.parameters[0], address);
    EXPECT_EQ(finding.parameters[1], write ? 2u : 0u);  // 0 read, 2 write
    EXPECT_EQ(finding.context.stack.front().function, write ? "KtdWrite" : "KtdRead");
  }
}

enum class Where { User, NullPage, Kernel };

TEST(Traps, AnyInvalidAccessAtDispatchLevelIsBugCheckD1) {
  for (Where where : {Where::User, Where::NullPage, Where::Kernel}) {
    Lab lab;
    const std::uintptr_t target = where == Where::User ? reinterpret_cast<std::uintptr_t>(lab.invalid_user_address())
                                  : where == Where::NullPage ? 0x20
                                                             : unmapped_kernel_address();
    KTD_EXCEPTION caught{};
    EXPECT_FALSE(run_in_driver(lab, [&] {
      KeRaiseIrqlToDpcLevel();
      KtdRead(reinterpret_cast<LONG*>(target), &caught);
    }));
    const Finding finding = stop_finding(lab);
    EXPECT_FALSE(caught.Handled);
    EXPECT_EQ(finding.code, DRIVER_IRQL_NOT_LESS_OR_EQUAL) << std::hex << target;
    EXPECT_EQ(finding.parameters[0], target);
    EXPECT_EQ(finding.parameters[1], DISPATCH_LEVEL);
    EXPECT_EQ(finding.parameters[2], kRead);
    EXPECT_EQ(finding.driver, kTestDriverName);
  }
}

TEST(Traps, AnUnhandledAccessViolationInASystemThreadIsBugCheck7E) {
  Lab lab;
  auto* address = static_cast<volatile LONG*>(lab.invalid_user_address());
  lab.spawn("careless", [&] { (void)*address; });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding finding = stop_finding(lab);
  EXPECT_EQ(finding.code, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED);
  EXPECT_EQ(finding.parameters[0], static_cast<std::uint32_t>(STATUS_ACCESS_VIOLATION));
}

TEST(Traps, IntegerDivideByZeroRaisesACatchableException) {
  KTD_EXCEPTION caught{};
  LONG quotient = -1, fine = 0;
  KTD_EXCEPTION none{};
  runs_clean([&] {
    quotient = KtdDivide(10, 0, &caught);
    fine = KtdDivide(10, 5, &none);
  });
  EXPECT_TRUE(caught.Handled);
  EXPECT_EQ(caught.Code, STATUS_INTEGER_DIVIDE_BY_ZERO);
  EXPECT_EQ(quotient, 0);
  EXPECT_FALSE(none.Handled);
  EXPECT_EQ(fine, 2);
}

TEST(Traps, DbgBreakPointWithoutADebuggerRaisesBreakpoint) {
  KTD_EXCEPTION caught{};
  runs_clean([&] { KtdBreakPoint(&caught); });
  EXPECT_TRUE(caught.Handled);
  EXPECT_EQ(caught.Code, STATUS_BREAKPOINT);
}

void RaiseInDpc(PKDPC, PVOID, PVOID, PVOID) { RtlRaiseStatus(STATUS_INVALID_PARAMETER); }

TEST(Traps, AnUnhandledExceptionInADpcIsBugCheck1E) {
  KDPC dpc;
  const Finding finding = bug_check_of([&] {
    KeInitializeDpc(&dpc, RaiseInDpc, nullptr);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
  });
  EXPECT_EQ(finding.code, KMODE_EXCEPTION_NOT_HANDLED);
  EXPECT_EQ(finding.parameters[0], static_cast<std::uint32_t>(STATUS_INVALID_PARAMETER));
}

TEST(Traps, InfiniteRecursionIsBugCheck7FDoubleFault) {
  const Finding finding = bug_check_of([] { KtdRecurse(0); });
  EXPECT_EQ(finding.code, UNEXPECTED_KERNEL_MODE_TRAP);
  EXPECT_EQ(finding.parameters[0], 8u);  // EXCEPTION_DOUBLE_FAULT
}

TEST(Traps, TheLabSurvivesAStackOverflowAndTheNextLabRuns) {
  bug_check_of([] { KtdRecurse(0); });
  int ran = 0;
  runs_clean([&] { ++ran; });
  EXPECT_EQ(ran, 1);
}

}  // namespace
}  // namespace wdmlab::test
