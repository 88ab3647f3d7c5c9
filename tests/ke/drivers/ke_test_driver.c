/*
 * ke_test_driver - see ke_test_driver.h.
 */
#include "ke_test_driver.h"

KTD_SCENARIO *KtdScenario;
PVOID KtdScenarioContext;

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNREFERENCED_PARAMETER(DriverObject);
  UNREFERENCED_PARAMETER(RegistryPath);
  if (KtdScenario != NULL) {
    KtdScenario(KtdScenarioContext);
  }
  return STATUS_SUCCESS;
}

static LONG KtdCapture(PEXCEPTION_POINTERS Pointers, KTD_EXCEPTION *Caught) {
  PEXCEPTION_RECORD record = Pointers->ExceptionRecord;
  Caught->Code = record->ExceptionCode;
  Caught->NumberParameters = record->NumberParameters;
  Caught->Information[0] = record->NumberParameters > 0 ? record->ExceptionInformation[0] : 0;
  Caught->Information[1] = record->NumberParameters > 1 ? record->ExceptionInformation[1] : 0;
  Caught->Address = record->ExceptionAddress;
  return EXCEPTION_EXECUTE_HANDLER;
}

LONG KtdRead(const volatile LONG *Address, KTD_EXCEPTION *Caught) {
  LONG value = 0;
  RtlZeroMemory(Caught, sizeof(*Caught));
  __try {
    value = *Address;
  } __except (KtdCapture(GetExceptionInformation(), Caught)) {
    Caught->Handled = TRUE;
  }
  return value;
}

VOID KtdWrite(volatile LONG *Address, LONG Value, KTD_EXCEPTION *Caught) {
  RtlZeroMemory(Caught, sizeof(*Caught));
  __try {
    *Address = Value;
  } __except (KtdCapture(GetExceptionInformation(), Caught)) {
    Caught->Handled = TRUE;
  }
}

LONG KtdDivide(LONG Numerator, LONG Denominator, KTD_EXCEPTION *Caught) {
  volatile LONG divisor = Denominator;
  LONG quotient = 0;
  RtlZeroMemory(Caught, sizeof(*Caught));
  __try {
    quotient = Numerator / divisor;
  } __except (KtdCapture(GetExceptionInformation(), Caught)) {
    Caught->Handled = TRUE;
  }
  return quotient;
}

VOID KtdBreakPoint(KTD_EXCEPTION *Caught) {
  RtlZeroMemory(Caught, sizeof(*Caught));
  __try {
    DbgBreakPoint();
  } __except (KtdCapture(GetExceptionInformation(), Caught)) {
    Caught->Handled = TRUE;
  }
}

VOID KtdRaiseStatus(NTSTATUS Status, KTD_EXCEPTION *Caught) {
  RtlZeroMemory(Caught, sizeof(*Caught));
  __try {
    RtlRaiseStatus(Status);
  } __except (KtdCapture(GetExceptionInformation(), Caught)) {
    Caught->Handled = TRUE;
  }
}

LONG KtdReleaseSemaphore(PRKSEMAPHORE Semaphore, LONG Adjustment, KTD_EXCEPTION *Caught) {
  LONG previous = -1;
  RtlZeroMemory(Caught, sizeof(*Caught));
  __try {
    previous = KeReleaseSemaphore(Semaphore, SEMAPHORE_INCREMENT, Adjustment, FALSE);
  } __except (KtdCapture(GetExceptionInformation(), Caught)) {
    Caught->Handled = TRUE;
  }
  return previous;
}

LONG KtdReleaseMutex(PRKMUTEX Mutex, KTD_EXCEPTION *Caught) {
  LONG previous = -1;
  RtlZeroMemory(Caught, sizeof(*Caught));
  __try {
    previous = KeReleaseMutex(Mutex, FALSE);
  } __except (KtdCapture(GetExceptionInformation(), Caught)) {
    Caught->Handled = TRUE;
  }
  return previous;
}

VOID KtdFinally(BOOLEAN Raise, KTD_FINALLY *Result) {
  RtlZeroMemory(Result, sizeof(*Result));
  __try {
    __try {
      if (Raise) {
        RtlRaiseStatus(STATUS_INVALID_PARAMETER);
      }
      Result->BodyCompleted = TRUE;
    } __finally {
      Result->FinallyRan = TRUE;
      Result->Abnormal = (BOOLEAN)(AbnormalTermination() != 0);
    }
  } __except (EXCEPTION_EXECUTE_HANDLER) {
    Result->HandlerRan = TRUE;
  }
}

VOID KtdLeave(KTD_FINALLY *Result) {
  RtlZeroMemory(Result, sizeof(*Result));
  __try {
    __try {
      if (Result != NULL) {
        __leave;
      }
      Result->BodyCompleted = TRUE;
    } __finally {
      Result->FinallyRan = TRUE;
      Result->Abnormal = (BOOLEAN)(AbnormalTermination() != 0);
    }
  } __except (EXCEPTION_EXECUTE_HANDLER) {
    Result->HandlerRan = TRUE;
  }
}

static LONG KtdMark(char *Trace, char Mark, LONG Disposition) {
  size_t length = strlen(Trace);
  Trace[length] = Mark;
  Trace[length + 1] = 0;
  return Disposition;
}

VOID KtdNested(NTSTATUS Status, char *Trace) {
  Trace[0] = 0;
  __try {
    __try {
      RtlRaiseStatus(Status);
    } __except (KtdMark(Trace, 'i', EXCEPTION_CONTINUE_SEARCH)) {
      KtdMark(Trace, 'I', 0);
    }
  } __except (KtdMark(Trace, 'o',
                      GetExceptionCode() == Status ? EXCEPTION_EXECUTE_HANDLER : EXCEPTION_CONTINUE_SEARCH)) {
    KtdMark(Trace, 'O', 0);
  }
}

ULONG KtdRecurse(ULONG Depth) {
  volatile UCHAR frame[512];
  frame[0] = (UCHAR)Depth;
  if (Depth == MAXULONG) {
    return frame[0];
  }
  return KtdRecurse(Depth + 1) + frame[0];
}

VOID KtdPagedRoutine(VOID) { PAGED_CODE(); }

VOID KtdRemoveCorruptEntry(VOID) {
  LIST_ENTRY head;
  LIST_ENTRY first;
  LIST_ENTRY second;
  InitializeListHead(&head);
  InsertTailList(&head, &first);
  InsertTailList(&head, &second);
  first.Flink = &head; /* a stray write: second's predecessor no longer points to it */
  RemoveEntryList(&second);
}

VOID KtdBugCheck(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4) {
  KeBugCheckEx(Code, P1, P2, P3, P4);
}
