/* Touches a page of a file mapping that lies beyond the end of the file: the host raises SIGBUS,
 * which is a fault like any other in driver code. (Drivers do not map files this way; this only
 * gives the lab a bus error to handle.) */
#include <ntddk.h>

ULONG BusErrorRead(volatile const UCHAR *Address) { return *Address; }
