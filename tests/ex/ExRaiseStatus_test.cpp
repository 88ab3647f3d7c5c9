// ExRaiseStatus, ExRaiseAccessViolation, ExRaiseDatatypeMisalignment, and the pool routines that
// raise: caught by driver-side __try/__except (seh_helpers.c), and unhandled.
#include "ex_support.hpp"

extern "C" {
NTSTATUS ExTestCatchRaiseStatus(NTSTATUS Status);
NTSTATUS ExTestCatchAccessViolation(VOID);
NTSTATUS ExTestCatchDatatypeMisalignment(VOID);
NTSTATUS ExTestCatchPool2Failure(VOID);
NTSTATUS ExTestCatchQuotaFailure(VOID);
NTSTATUS ExTestCatchLookasideFailure(VOID);
}

namespace wdmlab {
namespace {

TEST(ExRaiseStatus, ADriversExceptHandlerCatchesTheStatus) {
  Lab lab;
  lab.spawn("driver code", [] {
    EXPECT_EQ(ExTestCatchRaiseStatus(STATUS_INVALID_PARAMETER), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(ExTestCatchRaiseStatus(STATUS_DEVICE_NOT_READY), STATUS_DEVICE_NOT_READY);
    EXPECT_EQ(ExTestCatchAccessViolation(), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(ExTestCatchDatatypeMisalignment(), STATUS_DATATYPE_MISALIGNMENT);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExRaiseStatus, PoolFailuresRaiseInsufficientResources) {
  Lab lab;
  lab.spawn("driver code", [] {
    EXPECT_EQ(ExTestCatchPool2Failure(), STATUS_INSUFFICIENT_RESOURCES);
    EXPECT_EQ(ExTestCatchQuotaFailure(), STATUS_INSUFFICIENT_RESOURCES);
    EXPECT_EQ(ExTestCatchLookasideFailure(), STATUS_INSUFFICIENT_RESOURCES);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExRaiseStatus, UnhandledInASystemThreadIsBugCheck7E) {
  for (auto raise : {+[] { ExRaiseStatus(STATUS_UNSUCCESSFUL); }, +[] { ExRaiseAccessViolation(); },
                     +[] { ExRaiseDatatypeMisalignment(); }}) {
    Lab lab;
    lab.spawn("raiser", raise);
    EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
    const Finding& finding = ex_test::fatal(lab);
    EXPECT_EQ(finding.code, ex_test::kSystemThreadExceptionNotHandled);
    EXPECT_NE(finding.parameters[0], 0u);
    EXPECT_NE(finding.parameters[1], 0u);  // the exception address: the call site in the test
  }
}

TEST(ExRaiseStatus, TheExceptionCodeIsParameter1) {
  Lab lab;
  lab.spawn("raiser", [] { ExRaiseStatus(STATUS_DEVICE_NOT_READY); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  EXPECT_EQ(ex_test::fatal(lab).parameters[0], static_cast<std::uint32_t>(STATUS_DEVICE_NOT_READY));
}

}  // namespace
}  // namespace wdmlab
