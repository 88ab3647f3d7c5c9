/*
 * dpfilter.h - component IDs and levels for DbgPrintEx and KdPrintEx.
 */
#ifndef _DPFILTER_
#define _DPFILTER_
#define DPFLTR_ERROR_LEVEL 0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL 2
#define DPFLTR_INFO_LEVEL 3
#define DPFLTR_MASK 0x80000000
typedef enum _DPFLTR_TYPE {
  DPFLTR_SYSTEM_ID = 0,
  DPFLTR_IHVDRIVER_ID = 77,
  DPFLTR_DEFAULT_ID = 101
} DPFLTR_TYPE;
#endif
