/*
 * no_driver_entry - a shared object that is not a driver: it exports no DriverEntry. Loading it
 * is an error; building it with wdmlab_add_driver fails at link time.
 */
#include <ntddk.h>

ULONG NotADriver(VOID) { return 42; }
