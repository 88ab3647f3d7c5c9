/*
 * wdm.h - the Windows Driver Model interface, as the lab implements it.
 *
 * Assembled from per-subsystem fragments under wdk/; each type is defined exactly once. The
 * routines declared here are implemented by the lab's libraries (see docs/ddi.md for the
 * manifest of what is implemented and at which IRQL each may be called).
 */
#ifndef _WDMDDK_
#define _WDMDDK_
#define _WDM_INCLUDED_
#define WDMLAB_WDM_H

#include <ntdef.h>
#include <ntstatus.h>
#include <bugcodes.h>
#include <excpt.h>
#include <dpfilter.h>
#include <wdk/rtl.h>
#include <wdk/rtl_string.h>
#include <wdk/se.h>
#include <wdk/ke.h>
#include <wdk/ob.h>
#include <wdk/ps.h>
#include <wdk/zw.h>
#include <wdk/ex.h>
#include <wdk/mm.h>
#include <wdk/io.h>
#include <wdk/io_routines.h>

WDMLAB_EXTERN_C_START

/* PAGED_CODE() checks, in every build, that pageable code runs at IRQL <= APC_LEVEL. A violation
 * is reported as Windows reports pageable code touched at raised IRQL when Driver Verifier trims
 * it: bug check 0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL (rule PagedCode). */
NTKERNELAPI VOID NTAPI wdmlab_paged_code_check(VOID);
#define PAGED_CODE() wdmlab_paged_code_check()
#define PAGED_CODE_LOCKED() ((void)0)
#define PAGED_ASSERT(exp) ASSERT(exp)
#define NON_PAGED_CODE() ((void)0)

WDMLAB_EXTERN_C_END

#endif /* _WDMDDK_ */
