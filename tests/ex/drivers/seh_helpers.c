/*
 * seh_helpers - driver-side code for the executive tests that need __try/__except, which the lab's
 * own C++ does not have: each helper provokes an exception and returns the code it caught.
 */
#include <ntddk.h>

NTSTATUS ExTestCatchRaiseStatus(NTSTATUS Status) {
  __try {
    ExRaiseStatus(Status);
  } __except (EXCEPTION_EXECUTE_HANDLER) {
    return GetExceptionCode();
  }
  return STATUS_SUCCESS;
}

NTSTATUS ExTestCatchAccessViolation(VOID) {
  __try {
    ExRaiseAccessViolation();
  } __except (EXCEPTION_EXECUTE_HANDLER) {
    return GetExceptionCode();
  }
  return STATUS_SUCCESS;
}

NTSTATUS ExTestCatchDatatypeMisalignment(VOID) {
  __try {
    ExRaiseDatatypeMisalignment();
  } __except (EXCEPTION_EXECUTE_HANDLER) {
    return GetExceptionCode();
  }
  return STATUS_SUCCESS;
}

/* An ExAllocatePool2 request that cannot be satisfied, with POOL_FLAG_RAISE_ON_FAILURE. */
NTSTATUS ExTestCatchPool2Failure(VOID) {
  __try {
    PVOID block = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, (SIZE_T)1 << 40, 'esiR');
    if (block != NULL) {
      ExFreePool(block);
    }
  } __except (EXCEPTION_EXECUTE_HANDLER) {
    return GetExceptionCode();
  }
  return STATUS_SUCCESS;
}

/* A quota allocation that cannot be satisfied raises unless asked not to. */
NTSTATUS ExTestCatchQuotaFailure(VOID) {
  __try {
    PVOID block = ExAllocatePoolWithQuotaTag(PagedPool, (SIZE_T)1 << 40, 'atoQ');
    if (block != NULL) {
      ExFreePool(block);
    }
  } __except (EXCEPTION_EXECUTE_HANDLER) {
    return GetExceptionCode();
  }
  return STATUS_SUCCESS;
}

/* The status of the exception a __try around ExAllocateFromLookasideListEx catches when the list
 * was made with EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL and its entries (4 GiB each, more than
 * the lab's nonpaged pool holds) cannot be allocated. */
NTSTATUS ExTestCatchLookasideFailure(VOID) {
  LOOKASIDE_LIST_EX list;
  NTSTATUS status = ExInitializeLookasideListEx(&list, NULL, NULL, NonPagedPoolNx,
                                                EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL, MAXULONG, 'esiR', 0);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  __try {
    PVOID entry = ExAllocateFromLookasideListEx(&list);
    if (entry != NULL) {
      ExFreeToLookasideListEx(&list, entry);
    }
  } __except (EXCEPTION_EXECUTE_HANDLER) {
    status = GetExceptionCode();
  }
  ExDeleteLookasideListEx(&list);
  return status;
}
