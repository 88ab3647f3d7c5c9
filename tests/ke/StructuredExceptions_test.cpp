// __try/__except/__finally/__leave in driver code, and RtlRaiseStatus: a __finally block runs
// with AbnormalTermination() TRUE while an exception unwinds through it and FALSE otherwise;
// __leave ends the guarded block normally; a filter returning EXCEPTION_CONTINUE_SEARCH passes
// the exception to the next frame out.
#include <gtest/gtest.h>

#include <string>

#include "ke/drivers/ke_test_driver.h"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(TryFinally, WithoutAnExceptionTheFinallyBlockRunsNormally) {
  KTD_FINALLY result{};
  runs_clean([&] { KtdFinally(FALSE, &result); });
  EXPECT_TRUE(result.BodyCompleted);
  EXPECT_TRUE(result.FinallyRan);
  EXPECT_FALSE(result.Abnormal);
  EXPECT_FALSE(result.HandlerRan);
}

TEST(TryFinally, AnExceptionRunsTheFinallyBlockAbnormallyThenTheHandler) {
  KTD_FINALLY result{};
  runs_clean([&] { KtdFinally(TRUE, &result); });
  EXPECT_FALSE(result.BodyCompleted);
  EXPECT_TRUE(result.FinallyRan);
  EXPECT_TRUE(result.Abnormal);
  EXPECT_TRUE(result.HandlerRan);
}

TEST(TryLeave, EndsTheGuardedBlockNormally) {
  KTD_FINALLY result{};
  runs_clean([&] { KtdLeave(&result); });
  EXPECT_FALSE(result.BodyCompleted);  // the statement after __leave did not run
  EXPECT_TRUE(result.FinallyRan);
  EXPECT_FALSE(result.Abnormal);
  EXPECT_FALSE(result.HandlerRan);
}

TEST(TryExcept, ContinueSearchPassesTheExceptionToTheOuterHandler) {
  char trace[8] = {};
  runs_clean([&] { KtdNested(STATUS_INSUFFICIENT_RESOURCES, trace); });
  EXPECT_EQ(std::string(trace), "ioO");
}

TEST(RtlRaiseStatus, RaisesTheStatusAsANoncontinuableExceptionWithoutParameters) {
  for (NTSTATUS status : {STATUS_INVALID_PARAMETER, STATUS_INSUFFICIENT_RESOURCES, STATUS_ACCESS_DENIED}) {
    KTD_EXCEPTION caught{};
    runs_clean([&] { KtdRaiseStatus(status, &caught); });
    EXPECT_TRUE(caught.Handled);
    EXPECT_EQ(caught.Code, status);
    EXPECT_EQ(caught.NumberParameters, 0u);
  }
}

TEST(RtlRaiseStatus, UnhandledInASystemThreadIsBugCheck7E) {
  const Finding finding = bug_check_of([] { RtlRaiseStatus(STATUS_DEVICE_NOT_READY); });
  EXPECT_EQ(finding.code, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED);
  EXPECT_EQ(finding.parameters[0], static_cast<std::uint32_t>(STATUS_DEVICE_NOT_READY));
}

}  // namespace
}  // namespace wdmlab::test
