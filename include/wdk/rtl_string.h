/* wdk/rtl_string.h - placeholder, filled in by the rtl_string work. */
#ifndef WDMLAB_WDK_RTL_STRING_H
#define WDMLAB_WDK_RTL_STRING_H
#endif
