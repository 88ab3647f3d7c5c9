#include "sched/signals.hpp"

#include <execinfo.h>
#include <link.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string_view>

#include "base/check.hpp"
#include "sched/scheduler.hpp"

extern "C" void wdmlab_fault_entry();
extern "C" void wdmlab_watchdog_entry();

namespace wdmlab::sched {

namespace {

constexpr int kFaultSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};
constexpr std::size_t kAltStackSize = 256 * 1024;
constexpr std::uint32_t kBugUnexpectedKernelModeTrap = 0x7F;
constexpr std::uint64_t kExceptionDoubleFault = 8;

struct sigaction g_previous[NSIG];
std::once_flag g_install_once;
int g_watchdog_signal = 0;
std::uintptr_t g_libc_begin = 0, g_libc_end = 0;

thread_local bool t_in_handler = false;
thread_local std::uint64_t t_watchdog_progress = 0;
thread_local std::uint32_t t_watchdog_strikes = 0;
thread_local std::uint32_t t_watchdog_period_ms = 0;
thread_local std::uint32_t t_watchdog_limit_ms = 0;
thread_local void* t_alt_stack = nullptr;

// This thread's watchdog timer: made by its first watched run and deleted when the thread exits.
// A run arms it unless it is armed already, and it stays armed after the run: a tick while no
// context runs does nothing, and the first tick that finds no lab on the thread disarms it (from
// the handler; timer_settime is async-signal-safe). So a thread that runs lab after lab (the race
// explorer) makes no timer calls per lab, and one that stops gets at most one more tick.
struct ThreadWatchdogTimer {
  timer_t timer{};
  bool made = false;
  std::uint32_t armed_period_ms = 0;  // 0: disarmed
  ThreadWatchdogTimer() = default;
  ThreadWatchdogTimer(const ThreadWatchdogTimer&) = delete;
  ThreadWatchdogTimer& operator=(const ThreadWatchdogTimer&) = delete;
  ~ThreadWatchdogTimer() {
    if (made) ::timer_delete(timer);
  }
  void arm(std::uint32_t period_ms) {
    if (armed_period_ms == period_ms) return;
    if (!made) {
      sigevent event{};
      event.sigev_notify = SIGEV_THREAD_ID;
      event.sigev_signo = g_watchdog_signal;
      event._sigev_un._tid = static_cast<pid_t>(::syscall(SYS_gettid));
      made = ::timer_create(CLOCK_THREAD_CPUTIME_ID, &event, &timer) == 0;
      if (!made) return;
    }
    itimerspec spec{};
    spec.it_interval.tv_sec = period_ms / 1000;
    spec.it_interval.tv_nsec = static_cast<long>(period_ms % 1000) * 1'000'000L;
    spec.it_value = spec.it_interval;
    if (::timer_settime(timer, 0, &spec, nullptr) == 0) armed_period_ms = period_ms;
  }
  void disarm() {
    if (armed_period_ms == 0) return;
    const itimerspec disarmed{};
    ::timer_settime(timer, 0, &disarmed, nullptr);
    armed_period_ms = 0;
  }
};
thread_local ThreadWatchdogTimer t_watchdog_timer;

int find_libc(dl_phdr_info* info, std::size_t, void*) {
  std::string_view name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  if (name.find("/libc.so") == std::string_view::npos) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) != 0) {
      g_libc_begin = info->dlpi_addr + ph.p_vaddr;
      g_libc_end = g_libc_begin + ph.p_memsz;
    }
  }
  return 1;
}

void redirect(ucontext_t* uc, void (*target)()) {
  greg_t* regs = uc->uc_mcontext.gregs;
  auto sp = static_cast<std::uintptr_t>(regs[REG_RSP]) - sizeof(std::uint64_t);
  *reinterpret_cast<std::uint64_t*>(sp) = static_cast<std::uint64_t>(regs[REG_RIP]);
  regs[REG_RSP] = static_cast<greg_t>(sp);
  regs[REG_RIP] = static_cast<greg_t>(reinterpret_cast<std::uintptr_t>(target));
}

void record_fault(Context& context, int signal, const siginfo_t* info, const ucontext_t* uc) {
  const greg_t* regs = uc->uc_mcontext.gregs;
  FaultRecord& fault = context.fault;
  fault.signal = signal;
  fault.code = info->si_code;
  fault.address = reinterpret_cast<std::uintptr_t>(info->si_addr);
  fault.pc = static_cast<std::uintptr_t>(regs[REG_RIP]);
  // x86 page-fault error code: bit 1 = write, bit 4 = instruction fetch.
  const auto error = static_cast<std::uint64_t>(regs[REG_ERR]);
  fault.write = signal == SIGSEGV && (error & 0x2) != 0;
  fault.execute = signal == SIGSEGV && (error & 0x10) != 0;
  if (signal == SIGTRAP) fault.pc -= 1;  // int3 reports the next instruction
  const int order[] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI, REG_R8,
                       REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15, REG_RIP, REG_EFL};
  for (std::size_t i = 0; i < std::size(order); ++i) fault.registers[i] = static_cast<std::uint64_t>(regs[order[i]]);
}

void pass_on(int signal, siginfo_t* info, void* uc) {
  const struct sigaction& previous = g_previous[signal];
  if ((previous.sa_flags & SA_SIGINFO) != 0 && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(signal, info, uc);
    return;
  }
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN && previous.sa_handler != nullptr) {
    previous.sa_handler(signal);
    return;
  }
  // Restore the default action; returning re-executes the faulting instruction, which then
  // terminates the process as it would have without the lab.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(signal, &dfl, nullptr);
  if (signal == SIGTRAP || signal == SIGFPE) ::raise(signal);
}

void on_watchdog(Scheduler* scheduler, ucontext_t* uc) {
  if (scheduler == nullptr || scheduler->running() == nullptr) return;
  if (scheduler->progress() != t_watchdog_progress) {
    t_watchdog_progress = scheduler->progress();
    t_watchdog_strikes = 0;
    return;
  }
  ++t_watchdog_strikes;
  const std::uint32_t stuck_ms = t_watchdog_strikes * t_watchdog_period_ms;
  if (stuck_ms < t_watchdog_limit_ms) return;
  auto pc = static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
  // Inside the C library the context may hold its locks; wait for it to come back out.
  if (pc >= g_libc_begin && pc < g_libc_end) return;
  Context& context = *scheduler->running();
  context.fault = FaultRecord{};
  context.fault.pc = pc;
  context.fault.registers[0] = stuck_ms;
  t_watchdog_strikes = 0;
  redirect(uc, &wdmlab_watchdog_entry);
}

void on_signal(int signal, siginfo_t* info, void* raw) {
  auto* uc = static_cast<ucontext_t*>(raw);
  Scheduler* scheduler = Scheduler::current();
  if (signal == g_watchdog_signal) {
    if (scheduler == nullptr) {
      t_watchdog_timer.disarm();
      return;
    }
    on_watchdog(scheduler, uc);
    return;
  }
  Context* context = scheduler != nullptr ? scheduler->running() : nullptr;
  const auto sp = static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RSP]);
  if (context == nullptr || t_in_handler || !scheduler->stack_of(*context).contains(sp)) {
    pass_on(signal, info, raw);
    return;
  }
  record_fault(*context, signal, info, uc);
  if (signal == SIGSEGV && scheduler->stack_of(*context).overflowed_at(context->fault.address)) {
    // Nothing more can run on this stack: report from here, on the alternate signal stack.
    t_in_handler = true;
    Finding finding;
    finding.code = kBugUnexpectedKernelModeTrap;
    finding.name = "UNEXPECTED_KERNEL_MODE_TRAP";
    finding.parameters = {kExceptionDoubleFault, 0, 0, 0};
    finding.description =
        "Kernel stack overflow: the context used up its stack (parameter 1 = 8, EXCEPTION_DOUBLE_FAULT, "
        "which is how a kernel stack overflow stops Windows).";
    t_in_handler = false;
    scheduler->stop(std::move(finding), context->fault.pc);
  }
  redirect(uc, &wdmlab_fault_entry);
}

void install_once() {
  // backtrace() loads the unwinder on first use; do that now, not inside a signal handler.
  void* frames[4];
  (void)::backtrace(frames, 4);
  dl_iterate_phdr(&find_libc, nullptr);
  g_watchdog_signal = SIGRTMIN + 5;
  struct sigaction action {};
  action.sa_sigaction = &on_signal;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  for (int signal : kFaultSignals) ::sigaction(signal, &action, &g_previous[signal]);
  struct sigaction watchdog = action;
  watchdog.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  ::sigaction(g_watchdog_signal, &watchdog, &g_previous[g_watchdog_signal]);
}

}  // namespace

void install_fault_handling() {
  std::call_once(g_install_once, install_once);
  if (t_alt_stack == nullptr) {
    t_alt_stack = std::malloc(kAltStackSize);
    stack_t stack{};
    stack.ss_sp = t_alt_stack;
    stack.ss_size = kAltStackSize;
    int rc = ::sigaltstack(&stack, nullptr);
    WDMLAB_CHECK(rc == 0, "sigaltstack failed: {}", std::strerror(errno));
  }
}


Watchdog::Watchdog(Scheduler&, std::uint32_t limit_ms) {
  if (limit_ms == 0) return;
  t_watchdog_limit_ms = limit_ms;
  t_watchdog_period_ms = std::max<std::uint32_t>(limit_ms / 8, 5);
  t_watchdog_strikes = 0;
  t_watchdog_progress = 0;
  t_watchdog_timer.arm(t_watchdog_period_ms);
}

}  // namespace wdmlab::sched

using wdmlab::sched::Scheduler;

// Called by the trampolines, on the fiber that faulted or ran away.
extern "C" [[noreturn]] __attribute__((visibility("hidden"))) void wdmlab_fault_dispatch() {
  Scheduler* scheduler = Scheduler::current();
  auto* context = scheduler->running();
  auto handler = scheduler->fault_handler();
  WDMLAB_CHECK(handler != nullptr, "a fault on a fiber but no fault handler is installed (signal {} at {:#x})",
               context->fault.signal, context->fault.pc);
  handler(*context);
  WDMLAB_CHECK(false, "the fault handler returned");
  __builtin_unreachable();
}

extern "C" [[noreturn]] __attribute__((visibility("hidden"))) void wdmlab_watchdog_dispatch() {
  Scheduler* scheduler = Scheduler::current();
  auto* context = scheduler->running();
  scheduler->stop_stuck_context(context->fault.pc, context->fault.registers[0]);
}
