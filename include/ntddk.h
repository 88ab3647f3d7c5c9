/*
 * ntddk.h - wdm.h plus the routines and types for non-WDM kernel drivers.
 */
#ifndef _NTDDK_
#define _NTDDK_
#include <wdm.h>
#endif /* _NTDDK_ */
