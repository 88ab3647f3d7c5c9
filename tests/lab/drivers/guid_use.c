/* A translation unit that only refers to the GUID. */
#include <ntddk.h>
#include "guids.h"

const GUID *GuidUseAddress(VOID) { return &GUID_WDMLAB_TEST_INTERFACE; }

BOOLEAN GuidUseMatches(const GUID *Other) { return IsEqualGUID(&GUID_WDMLAB_TEST_INTERFACE, Other) ? TRUE : FALSE; }
