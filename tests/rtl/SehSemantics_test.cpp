// Control flow through __try/__except/__finally in C driver code behaves as the Microsoft compiler
// defines it (docs/seh.md lists the few places where it cannot).
#include <gtest/gtest.h>

#include "wdmlab/lab.hpp"

extern "C" {
LONG SehLoopThenRaise(void);
LONG SehInSwitch(LONG selector);
LONG SehBreakInTry(void);
LONG SehContinueInTry(void);
LONG SehBreakInHandler(void);
LONG SehReturnThenRaise(void);
LONG SehUnbracedIf(BOOLEAN guard);
LONG SehNestedSearch(void);
LONG SehFinallyAndLeave(void);
LONG SehLowercaseSpellings(void);
}

namespace wdmlab {
namespace {

// Runs `body` in a lab thread and returns its result.
template <class Body>
LONG in_lab(Body body) {
  Lab lab;
  LONG result = -12345;
  lab.spawn("seh", [&] { result = body(); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  return result;
}

TEST(SehSemantics, TheHandlerSeesStateFromBeforeTheException) { EXPECT_EQ(in_lab(SehLoopThenRaise), 601); }

TEST(SehSemantics, TryAfterACaseLabel) {
  EXPECT_EQ(in_lab([] { return SehInSwitch(1); }), 2);
  EXPECT_EQ(in_lab([] { return SehInSwitch(2); }), 3);
}

TEST(SehSemantics, BreakInTheGuardedBlockLeavesTheLoop) { EXPECT_EQ(in_lab(SehBreakInTry), 33); }

TEST(SehSemantics, ContinueInTheGuardedBlockContinuesTheLoop) { EXPECT_EQ(in_lab(SehContinueInTry), 5); }

TEST(SehSemantics, BreakInTheHandlerLeavesTheLoop) { EXPECT_EQ(in_lab(SehBreakInHandler), 44); }

TEST(SehSemantics, ReturnFromTryLeavesNoStaleFrame) { EXPECT_EQ(in_lab(SehReturnThenRaise), 59); }

TEST(SehSemantics, TryAsTheUnbracedBodyOfAnIf) {
  EXPECT_EQ(in_lab([] { return SehUnbracedIf(TRUE); }), 2);
  EXPECT_EQ(in_lab([] { return SehUnbracedIf(FALSE); }), 0);
}

TEST(SehSemantics, ContinueSearchReachesTheOuterHandler) { EXPECT_EQ(in_lab(SehNestedSearch), 2); }

TEST(SehSemantics, FinallyRunsAbnormallyDuringUnwindAndLeaveIsNormal) {
  EXPECT_EQ(in_lab(SehFinallyAndLeave), 110 * 1000 + 11);
}

TEST(SehSemantics, LowercaseSpellings) { EXPECT_EQ(in_lab(SehLowercaseSpellings), 111); }

}  // namespace
}  // namespace wdmlab
