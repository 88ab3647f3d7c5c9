/* A GUID declared the WDK way: defined in the one translation unit that includes initguid.h
 * first, declared extern everywhere else. */
#include <guiddef.h>

// {6A5C1B2E-3D4F-4A1B-9C8D-7E6F5A4B3C2D}
DEFINE_GUID(GUID_WDMLAB_TEST_INTERFACE, 0x6a5c1b2e, 0x3d4f, 0x4a1b, 0x9c, 0x8d, 0x7e, 0x6f, 0x5a, 0x4b, 0x3c, 0x2d);
