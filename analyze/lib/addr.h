/* addr.h: the address helpers are public (ciot/addr.h, for the capture library); the library's own
 * files keep including them by this name. */
#include "ciot/addr.h"
