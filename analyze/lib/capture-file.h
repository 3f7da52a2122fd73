/* capture-file.h: the capture file reader is public (ciot/capture-file.h, for the capture library's
 * splitter); the library's own files keep including it by this name. */
#include "ciot/capture-file.h"
