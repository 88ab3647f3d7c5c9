// io_stack_support.hpp - what the tests of IRPs, completion, device stacks and work items share:
// a lab with the io_stack driver loaded, and the driver's log lines.
#pragma once

#include <gtest/gtest.h>
#include <wdm.h>

#include <string>
#include <vector>

#include "io/drivers/io_stack.h"
#include "io/io_test_support.hpp"
#include "wdmlab/lab.hpp"

extern "C" DRIVER_INITIALIZE io_stack_DriverEntry;

namespace wdmlab::test {

struct StackLab {
  Lab lab;
  LoadedDriver* driver = nullptr;
  explicit StackLab(LabOptions options = {.processors = 2, .seed = 7}) : lab(std::move(options)) {
    driver = &lab.load_driver(io_stack_DriverEntry, "io_stack");
    EXPECT_TRUE(driver->loaded());
  }
  // Runs `body` as a system thread until the lab is idle.
  RunStatus run(std::function<void()> body) {
    lab.spawn("sender", std::move(body));
    return lab.run_until_idle();
  }
  std::vector<std::string> lines() const { return lines_with(lab.log(), "io_stack:"); }
  // No findings; if there are, the first one's report.
  void expect_clean() {
    EXPECT_TRUE(lab.findings().empty()) << lab.findings().front().to_text();
  }
  // IoStackSend to the top of the stack from a system thread; the run must end idle and clean.
  IOSTACK_RESULT send_to_top() {
    IOSTACK_RESULT result{};
    EXPECT_EQ(run([&] { IoStackSend(IoStackDevices[2], &result); }), RunStatus::Idle);
    expect_clean();
    return result;
  }
  // Runs `body` as a system thread; returns the finding that stopped the lab.
  Finding stop_of(std::function<void()> body) {
    EXPECT_EQ(run(std::move(body)), RunStatus::Stopped);
    const Finding* finding = lab.fatal_finding();
    if (finding == nullptr) {
      ADD_FAILURE() << "the lab did not stop on a fatal finding";
      return {};
    }
    return *finding;
  }
};

}  // namespace wdmlab::test
