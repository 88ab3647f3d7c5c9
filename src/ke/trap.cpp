// Traps: what a fault in driver code becomes, decided the way the Windows trap handlers decide.
//
//  - An invalid access to a user-mode address at IRQL < DISPATCH_LEVEL raises
//    STATUS_ACCESS_VIOLATION, which the driver's __try/__except can catch (probing user buffers).
//  - Any invalid access at DISPATCH_LEVEL or above is bug check 0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL.
//  - An invalid access to a kernel address is bug check 0x50 PAGE_FAULT_IN_NONPAGED_AREA, which
//    no __try can catch.
//  - Divide errors, illegal instructions and breakpoints raise STATUS_INTEGER_DIVIDE_BY_ZERO,
//    STATUS_ILLEGAL_INSTRUCTION and STATUS_BREAKPOINT.
// An exception no __try handles is bug check 0x7E SYSTEM_THREAD_EXCEPTION_NOT_HANDLED in a
// system thread, 0x3B SYSTEM_SERVICE_EXCEPTION in a thread that entered the kernel from user
// mode, and 0x1E KMODE_EXCEPTION_NOT_HANDLED at DISPATCH_LEVEL or in a DPC.
#include <csignal>

#include <fmt/format.h>

#include "base/address_space.hpp"
#include "ke/bugcheck.hpp"
#include "ke/kernel.hpp"
#include "ke/thread.hpp"
#include "rtl/exception.hpp"

namespace wdmlab::ke {

namespace {


CONTEXT context_from(const sched::FaultRecord& fault) {
  CONTEXT context{};
  context.ContextFlags = CONTEXT_CONTROL | CONTEXT_INTEGER;
  ULONG64* integer[] = {&context.Rax, &context.Rcx, &context.Rdx, &context.Rbx, &context.Rsp, &context.Rbp,
                        &context.Rsi, &context.Rdi, &context.R8,  &context.R9,  &context.R10, &context.R11,
                        &context.R12, &context.R13, &context.R14, &context.R15, &context.Rip};
  for (std::size_t i = 0; i < std::size(integer); ++i) *integer[i] = fault.registers[i];
  context.EFlags = static_cast<ULONG>(fault.registers[17]);
  context.Rip = fault.pc;
  return context;
}

bool is_user_address(std::uintptr_t address) {
  if (base::AddressSpace* space = base::AddressSpace::current()) return space->is_user(address);
  return address < base::AddressSpace::kNullRegionEnd;
}

const char* access_kind(const sched::FaultRecord& fault) {
  return fault.execute ? "execution" : fault.write ? "write" : "read";
}

[[noreturn]] void raise_fault_exception(NTSTATUS code, const sched::FaultRecord& fault, ULONG parameters,
                                        ULONG_PTR p0, ULONG_PTR p1) {
  EXCEPTION_RECORD record{};
  record.ExceptionCode = code;
  record.ExceptionAddress = reinterpret_cast<PVOID>(fault.pc);
  record.NumberParameters = parameters;
  record.ExceptionInformation[0] = p0;
  record.ExceptionInformation[1] = p1;
  CONTEXT context = context_from(fault);
  rtl::raise(record, &context);
}

[[noreturn]] void on_fault(sched::Context& context) {
  const sched::FaultRecord fault = context.fault;
  sched::Scheduler& scheduler = Kernel::require().scheduler();
  const sched::Irql irql = scheduler.irql();
  switch (fault.signal) {
    case SIGSEGV:
    case SIGBUS: {
      for (const auto& check : Kernel::require().memory_fault_checks()) check(fault.address, fault.write, fault.pc);
      const ULONG_PTR access = fault.execute ? 8 : fault.write ? 1 : 0;
      if (irql >= DISPATCH_LEVEL) {
        const bool in_driver = context.driver() != nullptr;
        bug_check(in_driver ? DRIVER_IRQL_NOT_LESS_OR_EQUAL : IRQL_NOT_LESS_OR_EQUAL, fault.address, irql, access, fault.pc,
                  fmt::format("Invalid {} of address {:#x} at IRQL {}. At DISPATCH_LEVEL or above no page fault can "
                              "be resolved, whatever the address.",
                              access_kind(fault), fault.address, irql),
                  {}, fault.pc);
      }
      if (is_user_address(fault.address)) {
        raise_fault_exception(fault.signal == SIGBUS ? STATUS_IN_PAGE_ERROR : STATUS_ACCESS_VIOLATION, fault, 2,
                              access, fault.address);
      }
      const ULONG_PTR operation = fault.execute ? 10 : fault.write ? 2 : 0;
      bug_check(PAGE_FAULT_IN_NONPAGED_AREA, fault.address, operation, fault.pc, 2,
                fmt::format("Invalid {} of kernel address {:#x}. A bad kernel-mode address is not an exception a "
                            "__try block can catch; the system stops.",
                            access_kind(fault), fault.address),
                {}, fault.pc);
    }
    case SIGFPE: {
      NTSTATUS code = STATUS_INTEGER_DIVIDE_BY_ZERO;
      if (fault.code == FPE_INTOVF) code = STATUS_INTEGER_OVERFLOW;
      if (fault.code == FPE_FLTDIV) code = STATUS_FLOAT_DIVIDE_BY_ZERO;
      if (fault.code == FPE_FLTOVF) code = STATUS_FLOAT_OVERFLOW;
      if (fault.code == FPE_FLTUND) code = STATUS_FLOAT_UNDERFLOW;
      if (fault.code == FPE_FLTRES) code = STATUS_FLOAT_INEXACT_RESULT;
      if (fault.code == FPE_FLTINV) code = STATUS_FLOAT_INVALID_OPERATION;
      raise_fault_exception(code, fault, 0, 0, 0);
    }
    case SIGILL:
      raise_fault_exception(STATUS_ILLEGAL_INSTRUCTION, fault, 0, 0, 0);
    case SIGTRAP:
      raise_fault_exception(STATUS_BREAKPOINT, fault, 1, 0, 0);
    default:
      bug_check(0x7F, 0, 0, 0, 0, fmt::format("Unexpected signal {} in driver code.", fault.signal), {}, fault.pc);
  }
}

std::string exception_text(const EXCEPTION_RECORD& record) {
  const auto code = static_cast<std::uint32_t>(record.ExceptionCode);
  std::string text = fmt::format("Exception 0x{:08X} ({}) at {}", code, status_name(record.ExceptionCode),
                                 record.ExceptionAddress);
  if ((record.ExceptionCode == STATUS_ACCESS_VIOLATION || record.ExceptionCode == STATUS_IN_PAGE_ERROR) &&
      record.NumberParameters >= 2) {
    text += fmt::format(": invalid {} of address {:#x}",
                        record.ExceptionInformation[0] == 8   ? "execution"
                        : record.ExceptionInformation[0] == 1 ? "write"
                                                              : "read",
                        record.ExceptionInformation[1]);
  }
  return text + ", and no __try/__except block handled it.";
}

[[noreturn]] void on_unhandled_exception(const EXCEPTION_RECORD& record, const CONTEXT& context) {
  sched::Scheduler& scheduler = Kernel::require().scheduler();
  sched::Context* running = scheduler.running();
  const auto address = reinterpret_cast<std::uintptr_t>(record.ExceptionAddress);
  const auto code = static_cast<std::uint32_t>(record.ExceptionCode);
  _KTHREAD* thread = running != nullptr ? thread_of(*running) : nullptr;
  if (running == nullptr || running->kind() == sched::ContextKind::DpcStack || scheduler.irql() >= DISPATCH_LEVEL ||
      thread == nullptr) {
    bug_check(KMODE_EXCEPTION_NOT_HANDLED, code, address, record.ExceptionInformation[0], record.ExceptionInformation[1],
              exception_text(record), {}, address);
  }
  if (!thread->system_thread) {
    bug_check(SYSTEM_SERVICE_EXCEPTION, code, address, reinterpret_cast<std::uintptr_t>(&context), 0,
              exception_text(record), {}, address);
  }
  bug_check(SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, code, address, reinterpret_cast<std::uintptr_t>(&record),
            reinterpret_cast<std::uintptr_t>(&context), exception_text(record), {}, address);
}

}  // namespace

void install_trap_handlers(sched::Scheduler& scheduler) {
  scheduler.set_fault_handler(&on_fault);
  rtl::set_unhandled_exception_handler(&on_unhandled_exception);
}

}  // namespace wdmlab::ke
