// ke/driver_scenario.hpp - running test code as the test driver, so that the lab charges what it
// does (faults, bug checks, IRQL rules that differ for drivers) to the driver "ke_test_driver".
#pragma once

#include <functional>

#include "ke/drivers/ke_test_driver.h"
#include "wdmlab/lab.hpp"

namespace wdmlab::test {

inline constexpr const char* kTestDriverName = "ke_test_driver";

// Loads the test driver into `lab`; its DriverEntry runs `body` and then returns STATUS_SUCCESS.
// Returns true if DriverEntry returned, false if the lab stopped while it ran (see findings()).
inline bool run_in_driver(Lab& lab, std::function<void()> body) {
  KtdScenario = [](PVOID context) { (*static_cast<std::function<void()>*>(context))(); };
  KtdScenarioContext = &body;
  bool returned = true;
  try {
    lab.load_driver(ke_test_driver_DriverEntry, kTestDriverName);
  } catch (const UsageError&) {
    returned = false;  // load_driver's way of saying the machine stopped inside DriverEntry
  }
  KtdScenario = nullptr;
  KtdScenarioContext = nullptr;
  return returned;
}

}  // namespace wdmlab::test
