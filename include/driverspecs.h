/* driverspecs.h - the WDK splits annotations over several headers; the lab keeps them in sal.h. */
#include <sal.h>
