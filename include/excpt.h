/*
 * excpt.h - structured exception handling for driver code: __try / __except / __finally /
 * __leave (and, in C, the try / except / finally / leave spellings), GetExceptionCode(),
 * GetExceptionInformation() and AbnormalTermination().
 *
 * How it works. `__try` opens a scope holding a frame that is pushed on the current lab context's
 * exception-frame chain and records the point to resume at (setjmp). A raised exception
 * (ExRaiseStatus, or a fault on a user-mode address, which the lab's trap handler turns into
 * STATUS_ACCESS_VIOLATION) jumps to the innermost frame. For __except the filter expression is
 * then evaluated in the function's own context: EXCEPTION_EXECUTE_HANDLER runs the handler,
 * EXCEPTION_CONTINUE_SEARCH passes the exception to the next frame out. For __finally the block
 * runs with AbnormalTermination() true and the exception then continues outwards. `__leave`
 * jumps to the end of the guarded block. A frame is popped on every exit from its scope (normal
 * end, __leave, return, goto, break, continue) by a cleanup attribute.
 *
 * Differences from the Microsoft compiler, all documented in docs/seh.md:
 *  - Locals changed inside __try and read in the handler after an exception must be volatile
 *    when the driver is built with optimisation (the C rule for setjmp). Drivers built by
 *    wdmlab_add_driver are built at -O0 unless asked otherwise, where this does not arise.
 *  - Leaving a __try block with return, goto, break or continue skips its __finally block
 *    (use __leave, as Microsoft recommends).
 *  - Filters and finally blocks run innermost-first during one pass: a __finally block below the
 *    handling frame runs before the outer filter is evaluated, not after.
 *  - EXCEPTION_CONTINUE_EXECUTION is honoured only for software exceptions that are continuable
 *    (none the kernel raises); for a fault it is reported as a WDMLAB_UNSUPPORTED finding.
 *  - A function whose every path inside __try/__except returns may still draw gcc's
 *    -Wreturn-type warning; add a final return.
 */
#ifndef _EXCPT_
#define _EXCPT_
#define WDMLAB_EXCPT_H

#include <wdk/compiler.h>
#include <setjmp.h>

WDMLAB_EXTERN_C_START

#define EXCEPTION_EXECUTE_HANDLER 1
#define EXCEPTION_CONTINUE_SEARCH 0
#define EXCEPTION_CONTINUE_EXECUTION (-1)

typedef enum _EXCEPTION_DISPOSITION {
  ExceptionContinueExecution,
  ExceptionContinueSearch,
  ExceptionNestedException,
  ExceptionCollidedUnwind
} EXCEPTION_DISPOSITION;

struct _EXCEPTION_POINTERS;

/* One frame per active __try block; lives in the guarded function's stack frame. */
struct wdmlab_seh_frame {
  struct wdmlab_seh_frame *outer;
  unsigned int state;
  jmp_buf resume;
};

/* The state a __finally block runs in. */
struct wdmlab_seh_unwind {
  int running;  /* the finally block has not finished yet */
  int abnormal; /* an exception is passing through */
};

void wdmlab_seh_enter(struct wdmlab_seh_frame *frame);
void wdmlab_seh_exit(struct wdmlab_seh_frame *frame);
void wdmlab_seh_landed(struct wdmlab_seh_frame *frame);
int wdmlab_seh_take_landed(void);
int wdmlab_seh_filter(int disposition);
struct wdmlab_seh_unwind wdmlab_seh_finally_enter(void);
void wdmlab_seh_finally_exit(struct wdmlab_seh_unwind *unwind);
unsigned long wdmlab_seh_exception_code(void);
void *wdmlab_seh_exception_info(void);

#define WDMLAB_SEH_GUARD_BEGIN \
  { \
    __label__ __wdmlab_seh_leave; \
    struct wdmlab_seh_frame __wdmlab_seh_frame __attribute__((__cleanup__(wdmlab_seh_exit))); \
    wdmlab_seh_enter(&__wdmlab_seh_frame); \
    if (_setjmp(__wdmlab_seh_frame.resume) != 0) \
      wdmlab_seh_landed(&__wdmlab_seh_frame); \
    else

#define WDMLAB_SEH_GUARD_END \
  ; \
  __wdmlab_seh_leave: __attribute__((__unused__)); \
  }

/* The keywords are for driver code. The lab's own C++ never uses them, and libstdc++ defines
 * __try/__catch as macros of its own, so they are left out there. C++ drivers that include
 * standard C++ library headers after wdm.h hit the same clash (the WDK does not support the C++
 * standard library in drivers either). */
#if !defined(WDMLAB_LAB_CODE)
#define __try WDMLAB_SEH_GUARD_BEGIN
#define __except(filter) \
  WDMLAB_SEH_GUARD_END \
  if (!(wdmlab_seh_take_landed() && wdmlab_seh_filter((int)(filter)))) \
    (void)0; \
  else
#define __finally \
  WDMLAB_SEH_GUARD_END \
  for (struct wdmlab_seh_unwind __wdmlab_seh_unwind = wdmlab_seh_finally_enter(); \
       __wdmlab_seh_unwind.running; wdmlab_seh_finally_exit(&__wdmlab_seh_unwind))
#define __leave goto __wdmlab_seh_leave

/* clang knows the _exception_code family as SEH builtins; macros keep them ours. */
#define _exception_code() wdmlab_seh_exception_code()
#define _exception_info() wdmlab_seh_exception_info()
#define GetExceptionCode() ((int)wdmlab_seh_exception_code())
#define GetExceptionInformation() ((struct _EXCEPTION_POINTERS *)wdmlab_seh_exception_info())
#define exception_code() GetExceptionCode()
#define exception_info() GetExceptionInformation()
#define _abnormal_termination() (__wdmlab_seh_unwind.abnormal)
#define AbnormalTermination() _abnormal_termination()
#define abnormal_termination() _abnormal_termination()

#endif /* !WDMLAB_LAB_CODE */

#if !defined(__cplusplus) && !defined(WDMLAB_LAB_CODE)
#define try __try
#define except __except
#define finally __finally
#define leave __leave
#endif

WDMLAB_EXTERN_C_END

#endif /* _EXCPT_ */
