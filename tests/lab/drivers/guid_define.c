/* The translation unit that defines the GUID's storage. */
#include <ntddk.h>
#include <initguid.h>
#include "guids.h"
