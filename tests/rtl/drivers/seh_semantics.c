/*
 * seh_semantics - control flow through __try/__except/__finally as the Microsoft compiler defines
 * it, exercised from C driver code. Each function returns a number the test compares.
 */
#include <ntddk.h>

static __declspec(noinline) VOID MaybeRaise(ULONG Value, ULONG When) {
  if (Value == When) {
    RtlRaiseStatus(STATUS_INVALID_PARAMETER);
  }
}

/* The count of iterations before the exception is kept; the handler sees the exception code. */
LONG SehLoopThenRaise(VOID) {
  volatile LONG count = 0;
  LONG result = 0;
  ULONG i;
  __try {
    for (i = 0; i < 10; ++i) {
      count++;
      MaybeRaise(i, 5);
    }
    result = -1;
  } __except (EXCEPTION_EXECUTE_HANDLER) {
    result = count * 100 + (GetExceptionCode() == STATUS_INVALID_PARAMETER ? 1 : 0);
  }
  return result;
}

/* A __try directly after a case label. */
LONG SehInSwitch(LONG Selector) {
  LONG result = 0;
  switch (Selector) {
    case 1:
      __try {
        result = 1;
        MaybeRaise(5, 5);
      } __except (EXCEPTION_EXECUTE_HANDLER) {
        result = 2;
      }
      break;
    case 2:
      result = 3;
      break;
    default:
      break;
  }
  return result;
}

/* break inside the guarded block leaves the enclosing loop. */
LONG SehBreakInTry(VOID) {
  LONG n = 0;
  ULONG i;
  for (i = 0; i < 10; ++i) {
    __try {
      if (i == 3) {
        break;
      }
      n++;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
      n = -1;
    }
  }
  return n * 10 + (LONG)i;
}

/* continue inside the guarded block continues the enclosing loop. */
LONG SehContinueInTry(VOID) {
  LONG n = 0;
  ULONG i;
  for (i = 0; i < 10; ++i) {
    __try {
      if (i % 2 != 0) {
        continue;
      }
      n++;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
      n = -1;
    }
  }
  return n;
}

/* break inside a handler leaves the enclosing loop. */
LONG SehBreakInHandler(VOID) {
  LONG n = 0;
  ULONG i;
  for (i = 0; i < 10; ++i) {
    __try {
      MaybeRaise(i, 4);
      n++;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
      break;
    }
  }
  return n * 10 + (LONG)i;
}

static LONG ReturnFromTry(VOID) {
  __try {
    return 5;
  } __except (EXCEPTION_EXECUTE_HANDLER) {
    return 6;
  }
  return 7;
}

/* After a return from inside __try, no stale frame catches a later exception. */
LONG SehReturnThenRaise(VOID) {
  LONG first = ReturnFromTry();
  LONG second = 0;
  __try {
    MaybeRaise(1, 1);
  } __except (EXCEPTION_EXECUTE_HANDLER) {
    second = 9;
  }
  return first * 10 + second;
}

/* A __try as the unbraced body of an if. */
LONG SehUnbracedIf(BOOLEAN Guard) {
  LONG result = 0;
  if (Guard)
    __try {
      result = 1;
      MaybeRaise(1, 1);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
      result = 2;
    }
  return result;
}

/* A filter that declines passes the exception outwards. */
LONG SehNestedSearch(VOID) {
  LONG result = 0;
  __try {
    __try {
      MaybeRaise(1, 1);
    } __except (GetExceptionCode() == STATUS_ACCESS_VIOLATION ? EXCEPTION_EXECUTE_HANDLER
                                                              : EXCEPTION_CONTINUE_SEARCH) {
      result = 1;
    }
  } __except (EXCEPTION_EXECUTE_HANDLER) {
    result = 2;
  }
  return result;
}

/* __finally runs on the way out of an exception, and __leave ends the block normally. */
LONG SehFinallyAndLeave(VOID) {
  volatile LONG unwound = 0;
  LONG left = 0;
  __try {
    __try {
      MaybeRaise(1, 1);
    } __finally {
      unwound = AbnormalTermination() ? 10 : 20;
    }
  } __except (EXCEPTION_EXECUTE_HANDLER) {
    unwound += 100;
  }
  __try {
    left = 1;
    __leave;
    left = 2;
  } __finally {
    left += AbnormalTermination() ? 100 : 10;
  }
  return unwound * 1000 + left;
}

/* The excpt.h spellings without underscores, available in C. */
LONG SehLowercaseSpellings(VOID) {
  LONG result = 0;
  try {
    MaybeRaise(2, 2);
  } except (EXCEPTION_EXECUTE_HANDLER) {
    result = 1;
  }
  try {
    result += 10;
    leave;
  } finally {
    result += abnormal_termination() ? 1000 : 100;
  }
  return result;
}
