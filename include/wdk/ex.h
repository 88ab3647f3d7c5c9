/* wdk/ex.h - placeholder, filled in by the ex work. */
#ifndef WDMLAB_WDK_EX_H
#define WDMLAB_WDK_EX_H
#endif
