// ke/kernel.hpp - the kernel core's per-lab state and its helpers.
//
// One Kernel exists per lab; it installs ke's handlers in the scheduler (dispatch interrupt, APC
// interrupt, faults) and in rtl (unhandled exceptions), keeps the per-processor DPC queues, the
// timers and spin-lock waiters, and the boot time virtual time is measured from.
#pragma once

#include <wdm.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "sched/scheduler.hpp"

struct _KTHREAD;

namespace wdmlab::base {
struct DriverIdentity;
}

namespace wdmlab::ke {

struct KernelOptions {
  // System time at boot, in 100 ns units since 1601-01-01 UTC (the FILETIME epoch).
  // Default: 2026-01-01T00:00:00Z.
  std::int64_t boot_system_time = 134116992000000000LL;
};

class Kernel {
 public:
  Kernel(sched::Scheduler& scheduler, KernelOptions options = {});
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  // The kernel of the lab on this OS thread; require() throws UsageError when there is none.
  static Kernel* current();
  static Kernel& require();

  sched::Scheduler& scheduler() { return scheduler_; }
  std::int64_t boot_system_time() const { return options_.boot_system_time; }

  // The thread running on the current processor: the running thread, or for a DPC the thread it
  // interrupted, or the processor's idle thread. Null on the host.
  _KTHREAD* current_thread();
  _KTHREAD& idle_thread(std::uint32_t processor) { return *idle_[processor]; }
  // Lets ps give each processor an idle thread that is a full ETHREAD.
  void set_idle_threads(std::size_t count, const std::function<_KTHREAD*(std::size_t)>& thread_for);

  // Called as each thread context ends (ps drops its references here).
  void add_thread_exit_hook(std::function<void(_KTHREAD&)> hook) { exit_hooks_.push_back(std::move(hook)); }
  // The executive's part of thread exit (ps: I/O rundown, the process's end with its last
  // thread): runs first in terminate_current_thread, on the terminating thread, while it can
  // still wait. One is installed at a time.
  void set_thread_rundown(std::function<void(_KTHREAD&)> rundown) { thread_rundown_ = std::move(rundown); }
  // Consulted first for every memory fault on a lab context (address, write, faulting pc): a
  // subsystem that recognises the address as memory it keeps inaccessible on purpose (freed IRPs,
  // special pool) reports the fault with its own bug check and does not return; otherwise it
  // returns and the fault is handled the usual way.
  void add_memory_fault_check(std::function<void(std::uintptr_t, bool, std::uintptr_t)> check) {
    memory_fault_checks_.push_back(std::move(check));
  }
  const std::vector<std::function<void(std::uintptr_t, bool, std::uintptr_t)>>& memory_fault_checks() const {
    return memory_fault_checks_;
  }
  void run_thread_rundown(_KTHREAD& thread) {
    if (thread_rundown_) thread_rundown_(thread);
  }
  void run_thread_exit_hooks(_KTHREAD& thread);

  // DPCs.
  std::deque<KDPC*>& dpc_queue(std::uint32_t processor) { return dpc_queues_[processor]; }
  const base::DriverIdentity*& dpc_owner(const KDPC* dpc) { return dpc_owners_[dpc]; }

  // Timers: the scheduler timer behind each set KTIMER.
  struct TimerState {
    sched::Scheduler::TimerHandle handle;
    LARGE_INTEGER due_system_time{};
  };
  std::unordered_map<KTIMER*, TimerState>& timers() { return timers_; }

  // Contexts spinning on each contended spin lock.
  std::unordered_map<const KSPIN_LOCK*, std::vector<sched::Context*>>& spinners() { return spinners_; }

  // Names the lock built on a dispatcher object (the event inside a fast mutex) and the context
  // that owns it, so that wait reports and deadlock detection can follow the wait to its owner.
  // Layers above ke install one; it returns an empty WaitOwner for objects it does not know.
  struct WaitOwner {
    const sched::Context* owner = nullptr;
    const char* lock_kind = nullptr;  // e.g. "fast mutex"
    const void* lock = nullptr;       // the lock's address
  };
  using WaitOwnerResolver = WaitOwner (*)(const DISPATCHER_HEADER* object);
  void set_wait_owner_resolver(WaitOwnerResolver resolver) { wait_owner_resolver_ = resolver; }
  WaitOwnerResolver wait_owner_resolver() const { return wait_owner_resolver_; }

 private:
  sched::Scheduler& scheduler_;
  KernelOptions options_;
  std::vector<std::unique_ptr<_KTHREAD>> own_idle_threads_;
  std::vector<_KTHREAD*> idle_;
  std::vector<std::deque<KDPC*>> dpc_queues_;
  std::unordered_map<const KDPC*, const base::DriverIdentity*> dpc_owners_;
  std::unordered_map<KTIMER*, TimerState> timers_;
  std::unordered_map<const KSPIN_LOCK*, std::vector<sched::Context*>> spinners_;
  std::vector<std::function<void(_KTHREAD&)>> exit_hooks_;
  std::function<void(_KTHREAD&)> thread_rundown_;
  std::vector<std::function<void(std::uintptr_t, bool, std::uintptr_t)>> memory_fault_checks_;
  WaitOwnerResolver wait_owner_resolver_ = nullptr;
};

// Converts a Windows due time (negative = relative, in 100 ns; positive = absolute system time)
// into virtual time.
sched::Time due_time_to_virtual(const Kernel& kernel, LONGLONG due);

}  // namespace wdmlab::ke
