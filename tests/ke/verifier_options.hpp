// Running a test body under chosen Driver Verifier options: unverified (the kernel's own bug
// checks), or a flag set other than the standard one.
#pragma once

#include <gtest/gtest.h>

#include "support/lab_test.hpp"
#include "wdmlab/lab.hpp"

namespace wdmlab::test {

// Standard flags without DDI compliance checking: the automatic checks' own codes.
inline VerifierOptions without_ddi_compliance() {
  return VerifierOptions{.flags = kVerifierStandardFlags & ~kVerifierDdiCompliance};
}

// Runs `body` as the only thread of a fresh lab with `verifier` and returns the finding that
// stopped it.
template <class Body>
Finding bug_check_with(VerifierOptions verifier, Body body, unsigned processors = 1, std::uint64_t seed = 1) {
  LabOptions options;
  options.processors = processors;
  options.seed = seed;
  options.verifier = std::move(verifier);
  Lab lab(options);
  lab.spawn("caller", body);
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  return stop_finding(lab);
}

// The same on an unverified machine.
template <class Body>
Finding unverified_bug_check_of(Body body, unsigned processors = 1, std::uint64_t seed = 1) {
  return bug_check_with(VerifierOptions::off(), body, processors, seed);
}

}  // namespace wdmlab::test
