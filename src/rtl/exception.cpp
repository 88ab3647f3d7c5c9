#include "rtl/exception.hpp"

#include <execinfo.h>
#include <fmt/format.h>

#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "base/check.hpp"
#include "sched/scheduler.hpp"
#include "wdmlab/errors.hpp"

namespace wdmlab::rtl {

namespace {

enum FrameState : unsigned int { kInBody = 1, kLanded = 2, kDone = 3 };

struct SehState {
  EXCEPTION_RECORD record{};
  CONTEXT context{};
  EXCEPTION_POINTERS pointers{};
  bool landed = false;
  // Exceptions passing outwards through __finally blocks, innermost last.
  std::vector<std::pair<EXCEPTION_RECORD, CONTEXT>> unwinding;
};

struct Chain {
  wdmlab_seh_frame** top;
  SehState* state;
};

thread_local wdmlab_seh_frame* t_host_frames = nullptr;
thread_local SehState t_host_state;
UnhandledExceptionHandler g_unhandled = nullptr;

Chain chain() {
  if (sched::Scheduler* scheduler = sched::Scheduler::current()) {
    if (sched::Context* context = scheduler->running()) {
      if (!context->seh_state) context->seh_state = std::make_shared<SehState>();
      return {reinterpret_cast<wdmlab_seh_frame**>(&context->seh_frames),
              static_cast<SehState*>(context->seh_state.get())};
    }
  }
  return {&t_host_frames, &t_host_state};
}

[[noreturn]] void unhandled(const SehState& state) {
  if (g_unhandled != nullptr) g_unhandled(state.record, state.context);
  sched::Scheduler* scheduler = sched::Scheduler::current();
  if (scheduler == nullptr || scheduler->running() == nullptr) {
    throw UsageError(fmt::format("exception 0x{:08X} ({}) was raised on the host and nothing handled it",
                                 static_cast<std::uint32_t>(state.record.ExceptionCode),
                                 status_name(state.record.ExceptionCode)));
  }
  Finding finding;
  finding.code = 0x1E;
  finding.name = "KMODE_EXCEPTION_NOT_HANDLED";
  finding.parameters = {static_cast<std::uint32_t>(state.record.ExceptionCode),
                        reinterpret_cast<std::uintptr_t>(state.record.ExceptionAddress),
                        state.record.ExceptionInformation[0], state.record.ExceptionInformation[1]};
  finding.description = "A kernel-mode exception was not handled.";
  scheduler->stop(std::move(finding), reinterpret_cast<std::uintptr_t>(state.record.ExceptionAddress));
}

// Hands the exception in `chain.state` to the innermost frame, popping it first.
[[noreturn]] void dispatch(Chain current) {
  wdmlab_seh_frame* frame = *current.top;
  if (frame == nullptr) unhandled(*current.state);
  *current.top = frame->outer;
  frame->state = kLanded;
  longjmp(frame->resume, 1);
}

void fill_context_from_caller(CONTEXT& context, const void* address) {
  std::memset(&context, 0, sizeof(context));
  context.ContextFlags = CONTEXT_CONTROL;
  context.Rip = reinterpret_cast<std::uintptr_t>(address);
  context.Rsp = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
}

}  // namespace

void raise(const EXCEPTION_RECORD& record, const CONTEXT* context_record) {
  Chain current = chain();
  SehState& state = *current.state;
  state.record = record;
  state.record.ExceptionRecord = nullptr;
  if (context_record != nullptr) {
    state.context = *context_record;
  } else {
    fill_context_from_caller(state.context, record.ExceptionAddress);
  }
  state.pointers.ExceptionRecord = &state.record;
  state.pointers.ContextRecord = &state.context;
  dispatch(current);
}

void raise_status(NTSTATUS status, const void* address) {
  EXCEPTION_RECORD record{};
  record.ExceptionCode = status;
  record.ExceptionFlags = EXCEPTION_NONCONTINUABLE;
  record.ExceptionAddress = const_cast<void*>(address);
  raise(record);
}

void set_unhandled_exception_handler(UnhandledExceptionHandler handler) { g_unhandled = handler; }

std::size_t active_frame_count() {
  std::size_t count = 0;
  for (wdmlab_seh_frame* frame = *chain().top; frame != nullptr; frame = frame->outer) ++count;
  return count;
}

}  // namespace wdmlab::rtl

using namespace wdmlab::rtl;

// --- the C entry points behind the macros in excpt.h -------------------------------------------------

extern "C" {

void wdmlab_seh_enter(struct wdmlab_seh_frame* frame) {
  Chain current = chain();
  frame->outer = *current.top;
  frame->state = kInBody;
  *current.top = frame;
}

void wdmlab_seh_exit(struct wdmlab_seh_frame* frame) {
  if (frame->state == kInBody) {
    // Left by the end of the block, __leave, return, goto, break or continue.
    Chain current = chain();
    WDMLAB_CHECK(*current.top == frame, "__try frames left out of order");
    *current.top = frame->outer;
  }
  frame->state = kDone;
}

void wdmlab_seh_landed(struct wdmlab_seh_frame* frame) {
  frame->state = kLanded;
  chain().state->landed = true;
}

int wdmlab_seh_take_landed(void) { return std::exchange(chain().state->landed, false) ? 1 : 0; }

int wdmlab_seh_filter(int disposition) {
  Chain current = chain();
  SehState& state = *current.state;
  if (disposition == EXCEPTION_EXECUTE_HANDLER) return 1;
  if (disposition == EXCEPTION_CONTINUE_SEARCH) dispatch(current);
  if (disposition == EXCEPTION_CONTINUE_EXECUTION) {
    if ((state.record.ExceptionFlags & EXCEPTION_NONCONTINUABLE) != 0) {
      // As Windows does: continuing a noncontinuable exception raises a new one.
      EXCEPTION_RECORD nested{};
      nested.ExceptionCode = STATUS_NONCONTINUABLE_EXCEPTION;
      nested.ExceptionFlags = EXCEPTION_NONCONTINUABLE;
      nested.ExceptionAddress = state.record.ExceptionAddress;
      raise(nested);
    }
    wdmlab::sched::Scheduler* scheduler = wdmlab::sched::Scheduler::current();
    if (scheduler != nullptr && scheduler->running() != nullptr) {
      wdmlab::Finding finding;
      finding.code = WDMLAB_UNSUPPORTED;
      finding.name = "WDMLAB_UNSUPPORTED";
      finding.parameters = {1, reinterpret_cast<std::uintptr_t>(state.record.ExceptionAddress),
                            static_cast<std::uint32_t>(state.record.ExceptionCode), 0};
      finding.description = fmt::format(
          "An exception filter returned EXCEPTION_CONTINUE_EXECUTION for exception 0x{:08X}. The lab dispatches "
          "exceptions by unwinding to the __try frame before it evaluates the filter, so it cannot resume at the "
          "faulting instruction.",
          static_cast<std::uint32_t>(state.record.ExceptionCode));
      scheduler->stop(std::move(finding));
    }
    throw wdmlab::UsageError("EXCEPTION_CONTINUE_EXECUTION is not supported");
  }
  EXCEPTION_RECORD invalid{};
  invalid.ExceptionCode = STATUS_INVALID_DISPOSITION;
  invalid.ExceptionFlags = EXCEPTION_NONCONTINUABLE;
  invalid.ExceptionAddress = state.record.ExceptionAddress;
  raise(invalid);
}

struct wdmlab_seh_unwind wdmlab_seh_finally_enter(void) {
  Chain current = chain();
  struct wdmlab_seh_unwind unwind {};
  unwind.running = 1;
  unwind.abnormal = std::exchange(current.state->landed, false) ? 1 : 0;
  if (unwind.abnormal) current.state->unwinding.emplace_back(current.state->record, current.state->context);
  return unwind;
}

void wdmlab_seh_finally_exit(struct wdmlab_seh_unwind* unwind) {
  unwind->running = 0;
  if (unwind->abnormal == 0) return;
  Chain current = chain();
  SehState& state = *current.state;
  WDMLAB_CHECK(!state.unwinding.empty(), "a __finally block ended an unwind that was not recorded");
  std::tie(state.record, state.context) = state.unwinding.back();
  state.unwinding.pop_back();
  state.pointers.ExceptionRecord = &state.record;
  state.pointers.ContextRecord = &state.context;
  dispatch(current);
}

unsigned long wdmlab_seh_exception_code(void) {
  return static_cast<std::uint32_t>(chain().state->record.ExceptionCode);
}

void* wdmlab_seh_exception_info(void) { return &chain().state->pointers; }

// --- Rtl exception routines ------------------------------------------------------------------------

void NTAPI RtlRaiseStatus(NTSTATUS Status) {
  wdmlab::sched::scheduling_point();
  raise_status(Status, __builtin_return_address(0));
}

void NTAPI RtlRaiseException(PEXCEPTION_RECORD ExceptionRecord) {
  wdmlab::sched::scheduling_point();
  if (ExceptionRecord->ExceptionAddress == nullptr) ExceptionRecord->ExceptionAddress = __builtin_return_address(0);
  raise(*ExceptionRecord);
}

void NTAPI RtlCaptureContext(PCONTEXT ContextRecord) {
  fill_context_from_caller(*ContextRecord, __builtin_return_address(0));
  // The lab is built with frame pointers: our frame's saved RBP is the caller's.
  auto* frame = static_cast<std::uintptr_t*>(__builtin_frame_address(0));
  ContextRecord->Rbp = frame[0];
  ContextRecord->Rsp = reinterpret_cast<std::uintptr_t>(frame + 2);
}

USHORT NTAPI RtlCaptureStackBackTrace(ULONG FramesToSkip, ULONG FramesToCapture, PVOID* BackTrace,
                                      PULONG BackTraceHash) {
  constexpr int kMax = 128;
  void* frames[kMax];
  int count = ::backtrace(frames, kMax);
  ULONG captured = 0;
  ULONG hash = 0;
  for (int i = 1 + static_cast<int>(FramesToSkip); i < count && captured < FramesToCapture; ++i) {
    BackTrace[captured++] = frames[i];
    hash += static_cast<ULONG>(reinterpret_cast<std::uintptr_t>(frames[i]));
  }
  if (BackTraceHash != nullptr) *BackTraceHash = hash;
  return static_cast<USHORT>(captured);
}

void NTAPI RtlGetCallersAddress(PVOID* CallersAddress, PVOID* CallersCaller) {
  void* frames[3] = {};
  int count = ::backtrace(frames, 3);
  *CallersAddress = count > 1 ? frames[1] : nullptr;
  *CallersCaller = count > 2 ? frames[2] : nullptr;
}

}  // extern "C"
