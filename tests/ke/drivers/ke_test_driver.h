/*
 * ke_test_driver.h - the ke tests' driver: code that must be driver code, because it uses
 * __try/__except/__finally (which the lab's own C++ cannot), or because the lab must charge what
 * it does to a driver. Built by wdmlab_add_driver as the driver "ke_test_driver".
 */
#ifndef KE_TEST_DRIVER_H
#define KE_TEST_DRIVER_H

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a __except filter saw. Code is STATUS_SUCCESS when nothing was raised. */
typedef struct _KTD_EXCEPTION {
  NTSTATUS Code;
  ULONG NumberParameters;
  ULONG_PTR Information[2];
  PVOID Address;
  BOOLEAN Handled; /* the __except block ran */
} KTD_EXCEPTION;

/* What happened around a __try/__finally. */
typedef struct _KTD_FINALLY {
  BOOLEAN BodyCompleted; /* the guarded block ran to its last statement */
  BOOLEAN FinallyRan;
  BOOLEAN Abnormal;   /* AbnormalTermination() inside the __finally block */
  BOOLEAN HandlerRan; /* the enclosing __except block ran */
} KTD_FINALLY;

/* DriverEntry calls KtdScenario(KtdScenarioContext) when it is set, so that everything the
 * scenario does runs as this driver. */
typedef VOID KTD_SCENARIO(PVOID Context);
extern KTD_SCENARIO *KtdScenario;
extern PVOID KtdScenarioContext;
DRIVER_INITIALIZE ke_test_driver_DriverEntry;

/* Each reads, writes or divides inside __try/__except(EXECUTE_HANDLER) and records the exception. */
LONG KtdRead(const volatile LONG *Address, KTD_EXCEPTION *Caught);
VOID KtdWrite(volatile LONG *Address, LONG Value, KTD_EXCEPTION *Caught);
LONG KtdDivide(LONG Numerator, LONG Denominator, KTD_EXCEPTION *Caught);
VOID KtdBreakPoint(KTD_EXCEPTION *Caught);
VOID KtdRaiseStatus(NTSTATUS Status, KTD_EXCEPTION *Caught);
LONG KtdReleaseSemaphore(PRKSEMAPHORE Semaphore, LONG Adjustment, KTD_EXCEPTION *Caught);
LONG KtdReleaseMutex(PRKMUTEX Mutex, KTD_EXCEPTION *Caught);

/* __try/__finally inside __try/__except; raises STATUS_INVALID_PARAMETER when Raise is set. */
VOID KtdFinally(BOOLEAN Raise, KTD_FINALLY *Result);
/* __leave out of a __try/__finally. */
VOID KtdLeave(KTD_FINALLY *Result);
/* An inner __except whose filter returns EXCEPTION_CONTINUE_SEARCH inside an outer one that
 * handles Status. Trace (at least 8 bytes) records in order: 'i' inner filter, 'I' inner handler,
 * 'o' outer filter, 'O' outer handler. */
VOID KtdNested(NTSTATUS Status, char *Trace);

/* Recurses until the stack runs out. */
ULONG KtdRecurse(ULONG Depth);
/* A pageable routine: starts with PAGED_CODE(). */
VOID KtdPagedRoutine(VOID);
/* Removes an entry whose neighbour no longer points back to it. */
VOID KtdRemoveCorruptEntry(VOID);
/* Calls KeBugCheckEx. */
DECLSPEC_NORETURN VOID KtdBugCheck(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4);

#ifdef __cplusplus
}
#endif

#endif /* KE_TEST_DRIVER_H */
