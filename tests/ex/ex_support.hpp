// Helpers shared by the executive's tests.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "base/driver_identity.hpp"
#include "ex/executive.hpp"
#include "wdmlab/lab.hpp"

namespace wdmlab::ex_test {

// Runs `body` as the DriverEntry of a driver called `name`, so that everything it does (and every
// thread or work item it starts) is charged to that driver, and runs the lab until it is idle. A
// bug check during the run is left in lab.findings().
void run_as_driver(Lab& lab, const std::string& name, std::function<void()> body);

// The finding that stopped the lab; fails the test when there is none.
const Finding& fatal(Lab& lab);

// Runs `body` on a system thread of a new lab made with `options` and returns the finding that
// stopped the lab; fails the test (and returns an empty finding) when the lab did not stop.
Finding stopping_finding(const LabOptions& options, const std::function<void()>& body);

// The pool's books of the lab on this thread.
inline const ex::PoolAccounting& pool_books() { return ex::Executive::require().pool().accounting(); }

// Bug check codes the tests look for (bugcodes.h has them all).
inline constexpr std::uint32_t kBadPoolCaller = 0xC2;
inline constexpr std::uint32_t kVerifier = 0xC4;
inline constexpr std::uint32_t kIrqlNotLessOrEqual = 0xA;
inline constexpr std::uint32_t kSystemThreadExceptionNotHandled = 0x7E;
inline constexpr std::uint32_t kDeadlock = 0x574C0001;  // WDMLAB_DEADLOCK
inline constexpr std::uint32_t kHang = 0x574C0002;      // WDMLAB_HANG

}  // namespace wdmlab::ex_test
