// wdmlab/lab.hpp - the lab: a simulated Windows machine a test creates, runs drivers in, and
// inspects. RAII: the first member of a test fixture, or a local in a test.
//
//   wdmlab::Lab lab({.processors = 2, .seed = 7});
//   auto& driver = lab.load_driver(DriverEntry, "sample");   // runs DriverEntry in a system thread
//   auto& other = lab.load_driver(OTHER_DRIVER_IMAGE);       // a driver image: lib/other.so
//   lab.spawn("client", [&] { ...kernel calls... });         // test code as a system thread
//   lab.run_until_idle();
//   EXPECT_TRUE(lab.findings().empty());
//   EXPECT_TRUE(lab.log().contains("hello"));
//
// A run is fully determined by (program, seed or policy, processor count). Nothing here waits
// for wall-clock time. One lab per OS thread at a time. Driver bugs are findings, never
// exceptions; misuse of this API throws wdmlab::UsageError.
#pragma once

#include <wdm.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "wdmlab/errors.hpp"
#include "wdmlab/finding.hpp"
#include "wdmlab/log.hpp"
#include "wdmlab/policy.hpp"
#include "wdmlab/trace.hpp"
#include "wdmlab/user.hpp"
#include "wdmlab/verifier.hpp"

namespace wdmlab {

struct LabOptions {
  unsigned processors = 1;
  std::uint64_t seed = 0;
  // The scheduling policy; when null, a random policy seeded with `seed`.
  std::shared_ptr<SchedulingPolicy> policy;
  std::uint64_t max_decisions = 20'000'000;  // per run call; exceeding it is a finding
  std::uint32_t watchdog_ms = 2000;  // CPU time a context may run without a kernel call; 0 = off
  std::size_t stack_size = 256 * 1024;
  bool record_schedule = false;
  // Record the event trace (wdmlab/trace.hpp, Lab::trace()): driver routines, DPCs and lock holds
  // as spans, IRP lifetimes, context switches and preemptions. Off, it costs one flag test per
  // hook; on, it never changes the schedule (equal schedule_digest() with and without it).
  bool trace = false;
  // Special pool for IRPs: a freed IRP stays inaccessible for a while (the last 512 freed), so a
  // driver touching an IRP after it was completed and freed is stopped with 0xD5
  // DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL at the faulting instruction. Costs two mprotect calls
  // per IRP (a few microseconds); turn it off for raw throughput.
  bool protect_freed_irps = true;
  // Driver Verifier: the standard set (0x209BB) for every driver unless told otherwise
  // (wdmlab/verifier.hpp; VerifierOptions::off() for an unverified machine).
  VerifierOptions verifier;
};

enum class RunStatus {
  Idle,         // nothing can run and every thread the test waits for has finished
  Stopped,      // a fatal finding stopped the machine (see findings())
  TimeElapsed,  // run_for reached the end of its interval
};

struct LoadedDriver {
  std::string name;
  PDRIVER_OBJECT object = nullptr;
  NTSTATUS entry_status = STATUS_PENDING;  // DriverEntry's return value
  std::filesystem::path image;             // the driver image it came from; empty for a linked-in driver
  bool loaded() const { return object != nullptr && entry_status >= 0; }
};

class Lab {
 public:
  explicit Lab(LabOptions options = {});
  ~Lab();
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  // Creates the driver object (\Driver\<name>) and runs DriverEntry with it and the driver's
  // registry path on a system thread at PASSIVE_LEVEL, running the machine until the lab is idle.
  // If DriverEntry fails, the driver is not loaded (its entry_status says why, a log line names
  // the driver and the status; DriverUnload is not called, as on Windows). Throws UsageError if
  // the run stopped on a fatal finding before DriverEntry returned (the finding is in findings()).
  LoadedDriver& load_driver(PDRIVER_INITIALIZE entry, std::string name = "driver");
  // Loads a driver image built by wdmlab_add_driver (a shared object exporting DriverEntry) with
  // dlopen, then does as above; DriverStart and DriverSize are the image's mapped range. `name`
  // defaults to the image's file name up to its first '.'. The lab keeps the image mapped until it
  // is destroyed, so each image can be loaded once per lab. Throws DriverLoadError, naming the
  // image and the reason, if the file is missing or not a shared object, an import is unresolved,
  // it exports no DriverEntry, or this lab or another live one holds it already.
  LoadedDriver& load_driver(const std::filesystem::path& image, std::string name = {});
  // Runs DriverUnload (if the driver set one) on a system thread and runs until idle.
  void unload_driver(LoadedDriver& driver);

  // A new simulated user process (its own handle table and user-mode address range) whose threads
  // run test code that calls the Win32 subset (wdmlab/user.hpp, wdmlab/win32.hpp). The reference
  // stays valid for the lab's lifetime.
  UserProcess& create_process(std::string image_name = "app.exe");
  // Runs `body` as a system thread at PASSIVE_LEVEL in the System process. The lab waits for it:
  // run_until_idle lets virtual time pass until it ends, and reports a hang if it never can.
  void spawn(std::string name, std::function<void()> body);

  RunStatus run_until_idle();
  RunStatus run_for(std::chrono::nanoseconds duration);

  const Log& log() const;
  // Every finding so far, in the order they were made.
  const std::vector<Finding>& findings();
  // The finding that stopped the machine, if one did.
  const Finding* fatal_finding();
  bool stopped() const;

  // Virtual time since boot, in 100 ns units.
  std::uint64_t now() const;
  std::uint64_t decisions() const;
  // Equal digests mean identical interleavings.
  std::uint64_t schedule_digest() const;
  // The context chosen at each decision (LabOptions::record_schedule).
  const std::vector<std::uint32_t>& schedule() const;
  // The events recorded so far (LabOptions::trace; empty when it is off), oldest first.
  const std::vector<TraceEvent>& trace() const;
  unsigned processors() const;

  // Driver Verifier counters of the driver(s) with this name (`!verifier`); "" = test code.
  VerifierCounters verifier_counters(const std::string& driver) const;

  // User-mode memory: a buffer a driver must treat as a user address (it faults with an
  // access violation if misused, and __try/__except catches that). Zeroed, page-granular,
  // followed by a guard page.
  void* map_user_buffer(std::size_t size);
  // An address in the user-mode range that is not mapped (accessing it raises
  // STATUS_ACCESS_VIOLATION in the driver).
  void* invalid_user_address() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wdmlab
